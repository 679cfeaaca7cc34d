"""The engine's answer, as one typed record: what every fit has, and what LMM and GLMM fits add.

The results layer reads these records only; terms are in the engine's order (by number of levels,
largest first), as `structure` lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .convergence import ConvergenceReport
from .family import Family
from .optimizer import OptSummary
from .reterms import RandomEffectsStructure


@dataclass(frozen=True)
class MixedFit:
    """What every mixed-model fit has."""

    structure: RandomEffectsStructure
    theta: np.ndarray  # relative covariance parameters, lme4's order
    beta: np.ndarray  # fixed effects, in the design's column order
    vcov: np.ndarray  # covariance of beta
    objective: float  # REML criterion or −2 log L (Laplace / quadrature for GLMMs)
    ranef: tuple[np.ndarray, ...]  # b per sorted term, (levels, q)
    ranef_cov: tuple[np.ndarray, ...]  # conditional covariance per sorted term, (levels, q, q)
    optsummary: OptSummary
    convergence: ConvergenceReport

    @property
    def sigma(self) -> float:
        """The residual standard deviation (1 for families without a scale parameter)."""
        return 1.0


@dataclass(frozen=True)
class LmmFit(MixedFit):
    """A linear mixed model: σ and the pieces of the profiled deviance."""

    reml: bool
    residual_sd: float
    pwrss: float  # penalized residual sum of squares
    logdet_random: float  # log|L|² of the random-effects block
    logdet_fixed: float  # log|R_X|²

    @property
    def sigma(self) -> float:
        return self.residual_sd


@dataclass(frozen=True)
class GlmmFit(MixedFit):
    """A generalized linear mixed model: the family, the quadrature and the fitted means."""

    family: Family
    nagq: int
    laplace_objective: float
    vcov_source: str  # "hessian" or "RX"
    eta: np.ndarray | None  # None when the rows stay on a cluster (mixedwidgets/distributed)
    mu: np.ndarray | None
    parameter_cov: np.ndarray | None = None  # covariance of (θ, β) over free_parameters (Hessian-based)
    free_parameters: np.ndarray | None = None  # which of (θ, β) are not on a bound
