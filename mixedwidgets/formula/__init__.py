"""lme4-style formula parsing: ``y ~ x + (1 + x | g)``."""

from .caret import formula_error
from .groups import group_factor_names
from .parse import parse_formula
from .scan import call_arguments, column_name
from .types import ParsedFormula, RandomTerm

__all__ = [
    "ParsedFormula",
    "RandomTerm",
    "call_arguments",
    "column_name",
    "formula_error",
    "group_factor_names",
    "parse_formula",
]
