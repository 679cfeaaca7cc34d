"""Fitted models and their tables (imports numpy, scipy and pandas only)."""

from .compare import compare
from .model import LinearMixedModel, MixedModelResults

__all__ = ["LinearMixedModel", "MixedModelResults", "compare"]
