"""The functions a formula may call, and the evaluation context formulaic runs them in.

R idioms (``factor``, ``as.numeric`` ...) behave as in R. The context holds exactly the
whitelisted names of ``formula/allowed.py``; every Python builtin is shadowed by a stand-in
that refuses to run, and ``np`` is a namespace with numpy's math only, so even an expression
that slipped past the check could not reach ``open``, ``exec`` or ``np.save``.
"""

from __future__ import annotations

import builtins
import types
from typing import Any

import numpy as np
import pandas as pd
from formulaic.transforms import TRANSFORMS

from ..errors import MixedModelError
from ..formula.allowed import (
    CONTRASTS,
    FORMULAIC_FUNCTIONS,
    NUMPY_CONSTANTS,
    NUMPY_FUNCTIONS,
    NUMPY_UFUNCS,
)
from .grouping import level_labels
from .within_between import between, within


def factor(x) -> pd.Categorical:
    """R's factor(): a categorical with the observed values as levels, sorted like R."""
    values = pd.Series(np.asarray(x) if not isinstance(x, pd.Series) else x)
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.remove_unused_categories().array
    codes, uniques = pd.factorize(values, sort=True)
    labels = ["TRUE" if v else "FALSE" for v in uniques] if values.dtype == bool else level_labels(uniques)
    return pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype=object))


def relevel(x, ref) -> pd.Categorical:
    """R's relevel(f, ref): the same factor with level ``ref`` first (the reference)."""
    categorical = factor(x)
    levels = list(categorical.categories)
    if str(ref) not in levels:
        raise MixedModelError(f"relevel(): '{ref}' is not a level; the levels are {levels[:10]}")
    return categorical.reorder_categories([str(ref)] + [lv for lv in levels if lv != str(ref)])


def as_numeric(x) -> np.ndarray:
    """R's as.numeric(): a factor gives its level numbers 1, 2, ... (as in R); text is parsed."""
    values = pd.Series(x) if not isinstance(x, pd.Series) else x
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(dtype=np.float64) + 1.0
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64)
    try:
        return pd.to_numeric(values).to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise MixedModelError("as.numeric() needs numbers (or text that reads as numbers)") from None


def as_integer(x) -> np.ndarray:
    """R's as.integer(): truncates toward zero; a factor gives its level numbers."""
    return np.trunc(as_numeric(x))


def as_logical(x) -> pd.Categorical:
    """R's as.logical(): 0 is FALSE, other numbers TRUE; "TRUE"/"true"/"T" and "FALSE"/... as text."""
    values = pd.Series(x) if not isinstance(x, pd.Series) else x
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return logical_factor(values.to_numpy(dtype=np.float64) != 0)
    text = values.astype(str)
    truth = text.isin(["TRUE", "true", "True", "T"])
    known = truth | text.isin(["FALSE", "false", "False", "F"])
    if not known.all():
        raise MixedModelError(f"as.logical() cannot read {text[~known].iloc[0]!r} as TRUE or FALSE")
    return logical_factor(truth.to_numpy())


def logical_factor(values) -> pd.Categorical:
    """Booleans as R's model matrix treats them: a factor with levels FALSE, TRUE."""
    return pd.Categorical(np.asarray(values, dtype=bool), categories=[False, True])


def identity(x):
    """formulaic's I(), except that a logical result is a FALSE/TRUE factor (as in R)."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None and pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
        return logical_factor(x)
    return x


def r_log(x, base=None):
    """R's log(x, base)."""
    return np.log(x) if base is None else np.log(x) / np.log(base)


def _logical(values) -> np.ndarray:
    array = np.asarray(values.cat.codes if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype) else values)
    return array.astype(bool) if array.dtype.kind in "biuf" else np.asarray(array, dtype=bool)


def r_not(x) -> np.ndarray:
    return ~_logical(x)


def r_and(x, y) -> np.ndarray:
    return _logical(x) & _logical(y)


def r_or(x, y) -> np.ndarray:
    return _logical(x) | _logical(y)


R_IDIOMS = {
    "factor": factor, "as_factor": factor, "relevel": relevel, "as_numeric": as_numeric, "as_double": as_numeric,
    "as_integer": as_integer, "as_logical": as_logical, "I": identity, "log": r_log,
    "log2": np.log2, "log10": np.log10, "log1p": np.log1p, "exp": np.exp, "expm1": np.expm1,
    "sqrt": np.sqrt, "abs": np.abs, "sign": np.sign, "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "floor": np.floor, "ceiling": np.ceil, "ceil": np.ceil, "trunc": np.trunc,
    "round": lambda x, digits=0: np.round(x, int(digits)), "pmin": np.minimum, "pmax": np.maximum,
    "ifelse": lambda test, yes, no: np.where(_logical(test), yes, no),
    "r_not": r_not, "r_and": r_and, "r_or": r_or, "r_paren": lambda x: x, "within": within, "between": between,
}  # fmt: skip


class _Refused:
    """Stands in for a Python builtin in the evaluation context: calling it is an error."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args, **kwargs):
        raise MixedModelError(f"'{self.name}' is not allowed in a formula")


def _numpy_namespace() -> types.SimpleNamespace:
    names = (*NUMPY_UFUNCS, *NUMPY_FUNCTIONS, *NUMPY_CONSTANTS)
    return types.SimpleNamespace(**{name: getattr(np, name) for name in names})


def _contrasts_namespace() -> types.SimpleNamespace:
    registry = TRANSFORMS["contr"]
    return types.SimpleNamespace(**{name: getattr(registry, name) for name in CONTRASTS})


def evaluation_context() -> dict:
    """The names a formula's expressions can see besides the data columns."""
    context: dict[str, Any] = {name: _Refused(name) for name in (*dir(builtins), "__builtins__")}
    context.update({name: _Refused(name) for name in TRANSFORMS})
    context.update({name: TRANSFORMS[name] for name in FORMULAIC_FUNCTIONS if name != "I"})
    numpy = _numpy_namespace()
    context.update(R_IDIOMS, np=numpy, numpy=numpy, contr=_contrasts_namespace())
    return context


EVAL_CONTEXT = evaluation_context()
