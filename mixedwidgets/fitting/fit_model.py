"""mw.fit: formula text and a DataFrame in, a fitted mixed model out; refit: the same with changes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..backend.family import get_family
from ..backend.lmm import fit_lmm
from ..design import build_design
from ..design.types import Design
from ..errors import MixedModelError
from ..formula import parse_formula
from ..results.fit_settings import FitSettings
from ..results.model import LinearMixedModel, MixedModelResults
from .glmm import fit_generalized
from .guards import (
    check_estimates,
    check_response_varies,
    estimate_notes,
    guarded_progress,
    numerical_failures_reported,
    warn_unconverged,
)

ProgressCallback = Callable[[int, float], None]


def _check_arguments(formula, data, nagq, reml, progress) -> None:
    if not isinstance(formula, str):
        raise MixedModelError(f"the formula must be a string like 'y ~ x + (1 | g)', not {type(formula).__name__}")
    if not isinstance(data, pd.DataFrame):
        raise MixedModelError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    if not isinstance(nagq, int) or isinstance(nagq, bool) or nagq < 1:
        raise MixedModelError(f"nagq must be a whole number ≥ 1, not {nagq!r}")
    if not isinstance(reml, (bool, np.bool_)):
        raise MixedModelError(f"reml must be True or False, not {reml!r}")
    if progress is not None and not callable(progress):
        raise MixedModelError(f"progress must be a function progress(evaluations, objective), not {progress!r}")


def fit(
    formula: str,
    data: pd.DataFrame,
    *,
    reml: bool = True,
    family="gaussian",
    nagq: int = 1,
    weights=None,
    link: str | None = None,
    progress: ProgressCallback | None = None,
) -> MixedModelResults:
    """Fit a (generalized) linear mixed model written in lme4's formula syntax.

    reml applies to Gaussian models (REML by default, as lmer); binomial, Poisson, negative-binomial
    (NB2, log link, θ estimated) and Gamma (log or inverse link, shape estimated) models are fitted
    by maximum likelihood with the Laplace approximation (nagq = 1) or adaptive Gauss-Hermite
    quadrature (nagq > 1, one scalar random-effect term only). `family` is a name ("gaussian",
    "binomial", "poisson", "negative_binomial", "gamma") or a family object. `progress(evaluations,
    objective)` is called as the
    optimizer runs. The caller's DataFrame is never modified.
    """
    from ..distributed import is_dask_frame

    if is_dask_frame(data):  # rows stay on the cluster (the [dask] extra)
        from ..distributed import fit_dask

        return fit_dask(
            formula,
            data,
            reml=reml,
            family=family,
            nagq=nagq,
            weights=weights,
            link=link,
            progress=guarded_progress(progress),
        )
    _check_arguments(formula, data, nagq, reml, progress)
    family_object = get_family(family, link)
    settings = FitSettings(reml=bool(reml), family=family_object.name, link=link, nagq=nagq, weights=weights)
    design = build_design(parse_formula(formula), data, family=family_object.name, weights=weights)
    return fit_design(formula, data, design, settings, progress)


def fit_design(
    formula: str, data: pd.DataFrame, design: Design, settings: FitSettings, progress: ProgressCallback | None = None
) -> MixedModelResults:
    """Fit a model whose design is already built (by `fit`, or kept from an earlier fit by `refit`)."""
    family_object = get_family(settings.family, settings.link)
    check_response_varies(design, family_object.name)
    if family_object.name != "gaussian":
        return fit_generalized(formula, design, data, settings, family_object, progress, refit)
    if settings.nagq != 1:
        raise MixedModelError("nagq applies to generalized (non-Gaussian) models only")
    with numerical_failures_reported("the linear mixed model fit"):
        engine_fit = fit_lmm(design, reml=settings.reml, progress=guarded_progress(progress))
    check_estimates(engine_fit)
    notes = estimate_notes(engine_fit, design)
    warn_unconverged(engine_fit, notes)
    return LinearMixedModel(
        formula=formula, design=design, fit=engine_fit, data=data, settings=settings, notes=tuple(notes), refit=refit
    )


#: arguments a refit can change while keeping the design (the design depends on formula, data, family, weights)
DESIGN_FREE_ARGUMENTS = frozenset({"reml", "nagq", "link", "progress"})


def refit(model: MixedModelResults, **changes) -> MixedModelResults:
    """The model fitted again to its data with some arguments changed (e.g. reml=False).

    When only arguments that do not change the design are changed, the design is reused (no formula
    parsing, no data pass); otherwise everything is rebuilt by `fit`.
    """
    arguments = {**model.fit_settings.as_arguments(), **changes}
    if not set(changes) <= DESIGN_FREE_ARGUMENTS:
        return fit(model.formula, model.data, **arguments)
    progress = arguments.pop("progress", None)
    _check_arguments(model.formula, model.data, arguments["nagq"], arguments["reml"], progress)
    family_object = get_family(arguments["family"], arguments["link"])
    settings = FitSettings(**{**arguments, "family": family_object.name, "reml": bool(arguments["reml"])})
    return fit_design(model.formula, model.data, model.design, settings, progress)
