"""The engine's answer, as one typed record: what every fit has, and what LMM and GLMM fits add.

The results layer reads these records only; terms are in the engine's order (by number of levels,
largest first), as `structure` lays them out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .convergence import ConvergenceReport
from .family import Family
from .optimizer import OptSummary
from .reterms import RandomEffectsStructure


class DeferredCovariances(Sequence[np.ndarray]):
    """Conditional covariances per sorted term, computed on first use and kept; what they are computed
    from is let go then. For crossed designs with thousands of levels in the smaller factors they cost
    an inversion of the dense tail (2m³/3 flops, 3.6 s at m = 10,000): like lme4 and MixedModels.jl,
    which compute them when `ranef(condVar = TRUE)` / `condVar` asks, the fit does not wait for them.
    Pickles as the computed tuple."""

    def __init__(self, compute: Callable[[], Sequence[np.ndarray]], count: int):
        self._compute: Callable[[], Sequence[np.ndarray]] | None = compute
        self._values: tuple[np.ndarray, ...] | None = None
        self._count = count
        self._lock = threading.Lock()

    @property
    def computed(self) -> bool:
        return self._values is not None

    def values(self) -> tuple[np.ndarray, ...]:
        with self._lock:
            if self._values is None:
                assert self._compute is not None
                self._values = tuple(self._compute())
                self._compute = None
            return self._values

    def __getitem__(self, index):
        return self.values()[index]

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self.values())

    def __reduce__(self):
        return (tuple, (self.values(),))


@dataclass(frozen=True)
class MixedFit:
    """What every mixed-model fit has."""

    structure: RandomEffectsStructure
    theta: np.ndarray  # relative covariance parameters, lme4's order
    beta: np.ndarray  # fixed effects, in the design's column order
    vcov: np.ndarray  # covariance of beta
    objective: float  # REML criterion or −2 log L (Laplace / quadrature for GLMMs)
    ranef: tuple[np.ndarray, ...]  # b per sorted term, (levels, q)
    ranef_cov: Sequence[np.ndarray]  # conditional covariance per sorted term, (levels, q, q); maybe deferred
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
