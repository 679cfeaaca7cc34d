"""Confidence intervals for every parameter of a fitted mixed model, as lme4's confint.

Rows in lme4's order under its `oldNames = FALSE` labels: the random effects' standard deviations and
correlations (terms by number of levels, entries of T column by column), `sigma` (LMMs), then the fixed
effects. Methods:
- "wald": β̂ ± z·SE for the fixed effects; the variance parameters get NaN, as lme4's method="Wald"
  gives NA for them (a symmetric interval on the sd scale would mislead).
- "profile": the likelihood profile (profile.py); for LMMs on the ML deviance, as lme4.
- "boot": percentile intervals of a parametric bootstrap (bootstrap.py), as lme4's method="boot".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import MixedModelError
from .bootstrap import BootstrapResult, bootstrap, check_level
from .profile import DEFAULT_ZETA_MAX, Profile, profile_glmm, profile_lmm
from .refit import GlmmDrawTask, LmmDrawTask
from .sdcor import sdcor_names

METHODS = ("wald", "profile", "boot")


def is_generalized(fit) -> bool:
    """True for a GLMM fit record (its family is not Gaussian)."""
    return getattr(getattr(fit, "family", None), "name", "gaussian") != "gaussian"


def parameter_names(design, fit) -> list[str]:
    sigma = [] if is_generalized(fit) else ["sigma"]
    return sdcor_names(fit.structure) + sigma + list(design.fixed_names)


def wald_intervals(design, fit, level: float = 0.95) -> pd.DataFrame:
    """β̂ ± z(1 − α/2)·SE for the fixed effects, NaN for the variance parameters (as lme4)."""
    check_level(level)
    names = parameter_names(design, fit)
    p = len(design.fixed_names)
    se = np.sqrt(np.diag(fit.vcov))
    z = stats.norm.ppf(0.5 + level / 2.0)
    lower = np.concatenate([np.full(len(names) - p, np.nan), fit.beta - z * se])
    upper = np.concatenate([np.full(len(names) - p, np.nan), fit.beta + z * se])
    return pd.DataFrame({"lower": lower, "upper": upper}, index=names)


def model_profile(design, fit, zeta_max: float = DEFAULT_ZETA_MAX) -> Profile:
    """The likelihood profile of every parameter (LMM: ML deviance; GLMM: Laplace/quadrature)."""
    if not (isinstance(zeta_max, (int, float)) and 0 < zeta_max <= 10):
        raise MixedModelError(f"zeta_max must be a number in (0, 10], not {zeta_max!r}")
    if is_generalized(fit):
        se = np.sqrt(np.diag(fit.vcov))
        return profile_glmm(design, fit.family, fit.nagq, fit.theta, fit.beta, se, zeta_max)
    return profile_lmm(design, fit.theta, zeta_max)


def draw_task(design, fit):
    """The bootstrap's task: simulate from the fit and refit, as bootMer."""
    if is_generalized(fit):
        return GlmmDrawTask.from_fit(design, fit.family, fit.nagq, fit.theta, fit.beta, fit.vcov)
    return LmmDrawTask.from_fit(design, fit.theta, fit.beta, fit.sigma, fit.reml)


def model_bootstrap(design, fit, nsim: int = 1000, seed=None, progress=True, n_jobs: int = -1) -> BootstrapResult:
    return bootstrap(draw_task(design, fit), nsim=nsim, seed=seed, progress=progress, n_jobs=n_jobs)


def model_confint(
    design,
    fit,
    method: str = "wald",
    level: float = 0.95,
    nsim: int = 1000,
    seed=None,
    n_jobs: int = -1,
    progress=False,
) -> pd.DataFrame:
    """lower, upper per parameter, in lme4's confint order."""
    method = str(method).lower()
    if method not in METHODS:
        raise MixedModelError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    check_level(level)
    if method == "wald":
        return wald_intervals(design, fit, level)
    if method == "profile":
        z = float(stats.norm.ppf(0.5 + level / 2.0))
        return model_profile(design, fit, zeta_max=z).intervals(level)
    return model_bootstrap(design, fit, nsim, seed, progress, n_jobs).confint(level)
