"""The GLMM branch of mw.fit."""

from __future__ import annotations

import warnings

from .backend.family import make_family
from .backend.glmm import fit_glmm
from .results.diagnostics import glmm_warnings
from .results.glmm import GeneralizedLinearMixedModel


def fit_generalized(formula, design, data, settings, progress):
    family = make_family(settings["family"], settings.get("link"))
    engine_fit = fit_glmm(design, family, nagq=settings["nagq"], progress=progress)
    notes = glmm_warnings(design, engine_fit)
    for note in notes:
        warnings.warn(note, _warning_class(), stacklevel=3)
    return GeneralizedLinearMixedModel(formula=formula, design=design, fit=engine_fit, data=data,
                                       settings={**settings, "warnings": tuple(notes)})


def _warning_class():
    from .errors import MixedModelWarning
    return MixedModelWarning
