"""mw.fit: formula text and a DataFrame in, a fitted mixed model out."""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from .backend.lmm import fit_lmm
from .design import build_design
from .errors import MixedModelError
from .fit_checks import (
    check_estimates,
    check_response_varies,
    estimate_notes,
    guarded_progress,
    numerical_failures_reported,
    warn_unconverged,
)
from .formula import parse_formula
from .results.model import LinearMixedModel

FAMILIES = ("gaussian", "binomial", "poisson")


def _check_arguments(formula, data, family, nagq, reml, progress) -> str:
    if not isinstance(formula, str):
        raise MixedModelError(f"the formula must be a string like 'y ~ x + (1 | g)', not {type(formula).__name__}")
    if not isinstance(data, pd.DataFrame):
        raise MixedModelError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    family = str(family).lower()
    if family not in FAMILIES:
        raise MixedModelError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}")
    if not isinstance(nagq, int) or isinstance(nagq, bool) or nagq < 1:
        raise MixedModelError(f"nagq must be a whole number ≥ 1, not {nagq!r}")
    if not isinstance(reml, (bool, np.bool_)):
        raise MixedModelError(f"reml must be True or False, not {reml!r}")
    if progress is not None and not callable(progress):
        raise MixedModelError(f"progress must be a function progress(evaluations, objective), not {progress!r}")
    return family


def fit(formula: str, data: pd.DataFrame, *, reml: bool = True, family: str = "gaussian", nagq: int = 1,
        weights=None, link: str | None = None, progress: Callable[[int, float], None] | None = None):
    """Fit a (generalized) linear mixed model written in lme4's formula syntax.

    reml applies to Gaussian models (REML by default, as lmer); binomial and Poisson models are fitted
    by maximum likelihood with the Laplace approximation (nagq = 1) or adaptive Gauss-Hermite
    quadrature (nagq > 1, one scalar random-effect term only). `progress(evaluations, objective)` is
    called as the optimizer runs. The caller's DataFrame is never modified.
    """
    from .distributed import is_dask_frame
    if is_dask_frame(data):   # rows stay on the cluster (the [dask] extra)
        from .distributed import fit_dask
        return fit_dask(formula, data, reml=reml, family=family, nagq=nagq, weights=weights, link=link,
                        progress=guarded_progress(progress))
    family = _check_arguments(formula, data, family, nagq, reml, progress)
    parsed = parse_formula(formula)
    design = build_design(parsed, data, family=family, weights=weights)
    check_response_varies(design, family)
    settings = {"reml": bool(reml), "family": family, "nagq": nagq, "weights": weights, "link": link}
    if family != "gaussian":
        from .glmm_api import fit_generalized
        return fit_generalized(formula, design, data, settings, progress)
    if nagq != 1:
        raise MixedModelError("nagq applies to binomial and Poisson models only")
    with numerical_failures_reported("the linear mixed model fit"):
        engine_fit = fit_lmm(design, reml=bool(reml), progress=guarded_progress(progress))
    check_estimates(engine_fit)
    notes = estimate_notes(engine_fit, design)
    warn_unconverged(engine_fit, notes)
    return LinearMixedModel(formula=formula, design=design, fit=engine_fit, data=data,
                            settings={**settings, "warnings": tuple(notes)})
