"""Fitted models and their tables (imports numpy, scipy and pandas only)."""

from .fit_settings import FitSettings
from .glmm import GeneralizedLinearMixedModel
from .model import LinearMixedModel, MixedModelResults

__all__ = ["FitSettings", "GeneralizedLinearMixedModel", "LinearMixedModel", "MixedModelResults"]
