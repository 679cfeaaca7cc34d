"""From a parsed formula and a DataFrame to the matrices of a mixed model."""

from .build import build_design
from .types import Design, RandomEffectTerm

__all__ = ["Design", "RandomEffectTerm", "build_design"]
