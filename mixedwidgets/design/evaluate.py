"""Evaluate formula pieces on data with formulaic, with readable errors and R-style names."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from formulaic import Formula, ModelSpec, model_matrix
from formulaic.errors import DataMismatchWarning
from formulaic.transforms import TRANSFORMS
from formulaic.utils.variables import Variable, get_required_variables

from ..errors import MixedModelError
from ..names import INTERCEPT
from .within_between import between, within

# Names a formula may call besides formulaic's own transforms (C, I, log, exp, np, ...).
EVAL_CONTEXT = {
    "np": np,
    "numpy": np,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "floor": np.floor,
    "ceil": np.ceil,
    "within": within,  # x minus its group mean (hybrid models)
    "between": between,  # the group mean of x
}

_LEVEL_SUFFIX = re.compile(r"^(.*)\[(?:[A-Z]\.)?([^\[\]]*)\]$", re.DOTALL)
_ANSI = re.compile(r"\x1b\[[0-9;]*m|[⧛⧚]")


@dataclass(frozen=True)
class EvaluatedMatrix:
    """A model matrix with R-style column names and what is needed to redo it."""

    values: np.ndarray  # float64 (n, k)
    names: tuple[str, ...]
    term_columns: tuple[tuple[int, ...], ...]  # column indices of each formulaic term
    spec: ModelSpec


def value_columns(expression: str) -> list[str]:
    """The data columns a Python expression such as ``log(x) + z`` reads."""
    return _value_names(f"I({expression})", expression)


def rhs_columns(rhs: str) -> list[str]:
    """The data columns a formula right-hand side such as ``x * C(f)`` reads."""
    return _value_names(rhs, rhs)


def _value_names(formula: str, order_text: str) -> list[str]:
    return list(_cached_value_names(formula, order_text))


@lru_cache(maxsize=512)
def _cached_value_names(formula: str, order_text: str) -> tuple[str, ...]:
    """Parsing is the slow part and depends on the text alone, so it is remembered."""
    try:
        factors = [factor for term in Formula(formula) for factor in term.factors]
    except Exception:  # syntax problems are reported when the piece is evaluated
        return ()
    names: set[str] = set()
    for factor in factors:
        if factor.eval_method.value == "lookup":
            names.add(str(factor.expr))
        elif factor.eval_method.value == "python":
            names |= _python_names(str(factor.expr))
    return tuple(sorted(names, key=lambda name: (order_text.find(name), name)))


def _python_names(expression: str) -> set[str]:
    """Data columns a Python expression reads: ``center(z)`` -> {"z"}, ``x.clip(0)`` -> {"x"}."""
    names = set()
    for variable in get_required_variables(expression):
        if Variable.Role.VALUE in variable.roles:
            names.add(str(variable))
        elif "." in variable:  # a method call on a column, or a module function like np.log
            names.add(variable.split(".", 1)[0])
    return {name for name in names if name not in EVAL_CONTEXT and name not in TRANSFORMS}


def evaluate_rhs(rhs: str, frame: pd.DataFrame, where: str) -> EvaluatedMatrix:
    """Model matrix of a formula right-hand side (rows with NaN are kept)."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", DataMismatchWarning)
            matrix = model_matrix(rhs, frame, context=EVAL_CONTEXT, na_action="ignore")
    except MixedModelError:
        raise
    except Exception as exc:
        raise MixedModelError(
            f"could not evaluate {where} '{rhs}': {formulaic_summary(exc)}"
        ) from None
    return _evaluated(matrix)


def evaluate_expression(expression: str, frame: pd.DataFrame, where: str) -> EvaluatedMatrix:
    """One numeric column from a Python expression such as ``log(exposure)``."""
    evaluated = evaluate_rhs(f"0 + I({expression})", frame, where)
    if evaluated.values.shape[1] != 1:
        raise MixedModelError(f"{where} '{expression}' must be numeric, not categorical")
    return evaluated


def reapply(spec: ModelSpec, newdata: pd.DataFrame, where: str) -> np.ndarray:
    """Rebuild a model matrix for new data with the encodings of the fit."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("error", DataMismatchWarning)
            matrix = spec.get_model_matrix(newdata, context=EVAL_CONTEXT, na_action="ignore")
    except DataMismatchWarning as warning:
        unseen = re.search(r"\{.*?\}", str(warning))
        detail = unseen.group(0) if unseen else formulaic_summary(warning)
        raise MixedModelError(
            f"the new data has categories not seen in the fit, in {where}: {detail}"
        ) from None
    except Exception as exc:
        raise MixedModelError(
            f"could not evaluate {where} on new data: {formulaic_summary(exc)}"
        ) from None
    return matrix.to_numpy(dtype=np.float64)


def formulaic_summary(exc: BaseException) -> str:
    """A one-paragraph description of a formulaic error, without colour codes."""
    text = _ANSI.sub("", str(exc)).strip()
    summary = text.split("\n\n")[0].strip()
    return " ".join(summary.split()) or type(exc).__name__


def _evaluated(matrix) -> EvaluatedMatrix:
    spec = matrix.model_spec
    term_columns, names, start = [], [], 0
    for structure in spec.structure:
        count = len(structure.columns)
        term_columns.append(tuple(range(start, start + count)))
        names.extend(_r_style_names(structure))
        start += count
    if len(set(names)) != len(names):
        names = [(INTERCEPT if name == "Intercept" else name) for name in matrix.columns]
    values = np.ascontiguousarray(matrix.to_numpy(dtype=np.float64))
    return EvaluatedMatrix(values, tuple(names), tuple(term_columns), spec)


def _r_style_names(structure) -> list[str]:
    if str(structure.term) == "1":
        return [INTERCEPT] * len(structure.columns)
    variables = {str(factor.expr) for factor in structure.term.factors}
    return [
        ":".join(_drop_level_brackets(part, variables) for part in _split_interaction(column))
        for column in structure.columns
    ]


def _drop_level_brackets(part: str, variables: set[str]) -> str:
    """``f[T.b]`` -> ``fb``, ``f[b]`` -> ``fb`` (R's naming of dummy columns); a numeric
    column whose own name has brackets (```x[1]```) keeps them."""
    if part in variables:
        return part
    match = _LEVEL_SUFFIX.match(part)
    return match.group(1) + match.group(2) if match else part


def _split_interaction(column: str) -> list[str]:
    """Split a column name at ':' outside brackets and parentheses."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(column):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == ":" and depth == 0:
            parts.append(column[start:index])
            start = index + 1
    parts.append(column[start:])
    return parts
