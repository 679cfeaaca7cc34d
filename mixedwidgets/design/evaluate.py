"""Evaluate formula pieces on data with formulaic, with readable errors and R-style names."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import pandas as pd
from formulaic import Formula, ModelSpec, model_matrix
from formulaic.errors import DataMismatchWarning

from ..errors import MixedModelError
from ..formula.rnames import r_label
from ..formula.translate import columns_read, python_rhs
from ..names import INTERCEPT
from .rfunctions import EVAL_CONTEXT

_LEVEL_SUFFIX = re.compile(r"^(.*)\[(?:[A-Z]\.)?([^\[\]]*)\]$", re.DOTALL)
_R_LOGICAL_LEVELS = {"True": "TRUE", "False": "FALSE"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m|[⧛⧚]")


@dataclass(frozen=True)
class EvaluatedMatrix:
    """A model matrix with R-style column names and what is needed to redo it."""

    values: np.ndarray  # float64 (n, k)
    names: tuple[str, ...]
    term_columns: tuple[tuple[int, ...], ...]  # column indices of each formulaic term
    spec: ModelSpec


def value_columns(expression: str) -> list[str]:
    """The data columns an expression such as ``log(x) + z`` reads."""
    return _value_names(f"I({expression})")


def rhs_columns(rhs: str) -> list[str]:
    """The data columns a formula right-hand side such as ``x * factor(f)`` reads."""
    return _value_names(rhs)


def _value_names(formula: str) -> list[str]:
    return list(_cached_value_names(python_rhs(formula)))


@lru_cache(maxsize=512)
def _cached_value_names(python: str) -> tuple[str, ...]:
    """Parsing is the slow part and depends on the text alone, so it is remembered."""
    try:
        factors = [factor for term in Formula(python) for factor in term.factors]
    except Exception:  # syntax problems are reported when the piece is evaluated
        return ()
    names: list[str] = []
    for factor in factors:
        if factor.eval_method.value == "lookup":
            names.append(str(factor.expr))
        elif factor.eval_method.value == "python":
            names += columns_read(str(factor.expr))
    return tuple(dict.fromkeys(names))


@lru_cache(maxsize=256)
def _formula(rhs: str) -> Formula:
    """formulaic's parse of a right-hand side, kept: parsing is about half of formulaic's time on small data,
    and the Formula is only read by model_matrix (its encodings live in the ModelSpec of each matrix)."""
    return Formula(rhs)


def evaluate_rhs(rhs: str, frame: pd.DataFrame, where: str) -> EvaluatedMatrix:
    """Model matrix of a formula right-hand side (rows with NaN are kept)."""
    try:
        python = python_rhs(rhs)
        key = _plain_key(python, frame)
        known = _PLAIN.get(key) if key is not None else None
        if known is not None:
            return known.evaluate(frame)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", DataMismatchWarning)
            matrix = model_matrix(_formula(python), frame, context=EVAL_CONTEXT, na_action="ignore")
    except MixedModelError:
        raise
    except Exception as exc:
        raise MixedModelError(f"could not evaluate {where} '{rhs}': {formulaic_summary(exc)}") from None
    evaluated = _evaluated(matrix)
    if key is not None:
        _remember_plain(key, evaluated)
    return evaluated


@dataclass(frozen=True)
class _PlainMatrix:
    """A right-hand side of the intercept and numeric columns only (``1 + Days``): its matrix is those
    columns as float64, the ModelSpec formulaic made for it holds no state from the data (numerical
    encodings, no transforms), so a second evaluation on the same columns' types reuses the spec and
    skips formulaic's materializer (two thirds of a small fit's design time)."""

    sources: tuple[str | None, ...]  # per matrix column: the data column, None for the intercept
    template: EvaluatedMatrix  # names, term columns and spec; its values are not used

    def evaluate(self, frame: pd.DataFrame) -> EvaluatedMatrix:
        values = np.empty((len(frame), len(self.sources)))
        for j, source in enumerate(self.sources):
            values[:, j] = 1.0 if source is None else frame[source].to_numpy(dtype=np.float64)
        return replace(self.template, values=values)


#: (Python right-hand side, (column, dtype) read) -> its plain matrix; bounded like the parse caches
_PLAIN: dict[tuple, _PlainMatrix] = {}
_PLAIN_LIMIT = 256


def _plain_key(python: str, frame: pd.DataFrame) -> tuple | None:
    """The cache key of a right-hand side whose columns are all numeric numpy columns of the frame."""
    if not frame.columns.is_unique:
        return None
    names = _cached_value_names(python)
    dtypes = []
    for name in names:
        if name not in frame.columns:
            return None
        dtype = frame[name].dtype
        if not isinstance(dtype, np.dtype) or dtype.kind not in "fiu":
            return None
        dtypes.append(dtype.str)
    return python, names, tuple(dtypes)


def _remember_plain(key: tuple, evaluated: EvaluatedMatrix) -> None:
    spec = evaluated.spec
    if spec.transform_state or any(
        getattr(kind, "value", kind) != "numerical" for kind, _ in spec.encoder_state.values()
    ):
        return
    sources: list[str | None] = []
    for structure in spec.structure:
        factors = list(structure.term.factors)
        if str(structure.term) == "1" and list(structure.columns) == ["Intercept"]:
            sources.append(None)
        elif (
            len(factors) == 1
            and factors[0].eval_method.value == "lookup"
            and list(structure.columns) == [str(factors[0].expr)]
        ):
            sources.append(str(factors[0].expr))
        else:  # an interaction or anything formulaic computes: not plain
            return
    if len(_PLAIN) >= _PLAIN_LIMIT:
        _PLAIN.clear()
    # the template keeps no rows: the cache must not hold a large frame's matrix alive
    _PLAIN[key] = _PlainMatrix(tuple(sources), replace(evaluated, values=np.empty((0, len(sources)))))


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
        raise MixedModelError(f"the new data has categories not seen in the fit, in {where}: {detail}") from None
    except Exception as exc:
        raise MixedModelError(f"could not evaluate {where} on new data: {formulaic_summary(exc)}") from None
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
    factors = sorted(
        ((str(factor.expr), factor.eval_method.value == "python") for factor in structure.term.factors),
        key=lambda item: -len(item[0]),
    )
    return [":".join(_r_part(part, factors) for part in _split_interaction(column)) for column in structure.columns]


def _r_part(part: str, factors: list[tuple[str, bool]]) -> str:
    """One factor's part of a column name as R writes it: ``f[T.b]`` -> ``fb``,
    ``I(k ** 2.0)`` -> ``I(k^2)``, ``I(k > 2.0)[T.True]`` -> ``I(k > 2)TRUE``; a numeric
    column whose own name has brackets (```x[1]```) keeps them."""
    for expr, python in factors:
        label = r_label(expr) if python else expr
        if part == expr:
            return label
        if part.startswith(expr + "[") and part.endswith("]"):
            level = _LEVEL_SUFFIX.match(part)
            level_text = level.group(2) if level else part[len(expr) + 1 : -1]
            return label + (_R_LOGICAL_LEVELS.get(level_text, level_text) if python else level_text)
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
