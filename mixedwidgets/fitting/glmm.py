"""The GLMM branch of mw.fit: the engine, its guards and the fit-time diagnostics."""

from __future__ import annotations

from collections.abc import Callable

from ..backend.dispersion import fit_glmm_dispersion
from ..backend.family import DispersionFamily, Family
from ..backend.fit_record import GlmmFit
from ..backend.glmm import fit_glmm
from ..results.fit_settings import FitSettings
from ..results.glmm import GeneralizedLinearMixedModel
from .diagnostics import glmm_warnings
from .guards import check_estimates, estimate_notes, guarded_progress, numerical_failures_reported, warn_unconverged


def fit_generalized(
    formula: str, design, data, settings: FitSettings, family: Family, progress, refit
) -> GeneralizedLinearMixedModel:
    with numerical_failures_reported("the generalized linear mixed model fit"):
        engine: Callable[..., GlmmFit] = fit_glmm_dispersion if isinstance(family, DispersionFamily) else fit_glmm
        engine_fit = engine(design, family, nagq=settings.nagq, progress=guarded_progress(progress))
    check_estimates(engine_fit)
    notes = glmm_warnings(design, engine_fit) + estimate_notes(engine_fit, design)
    warn_unconverged(engine_fit, notes)
    return GeneralizedLinearMixedModel(
        formula=formula, design=design, fit=engine_fit, data=data, settings=settings, notes=tuple(notes), refit=refit
    )
