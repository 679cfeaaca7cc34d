"""``within(x, g)`` and ``between(x, g)``: group-mean centring inside formulas (hybrid models).

``y ~ within(A, g) + between(A, g) + (1 | g)`` is the within-between ("hybrid") model of
Allison and Bell & Jones: ``between(A, g)`` is the mean of A in the row's group and
``within(A, g)`` is A minus that mean. Both are formulaic stateful transforms: the group
means are computed on the rows the fit actually uses (after missing values are dropped)
and stored with the fit, so that ``predict(newdata)`` reuses them.

Groups that the fit has not seen: their mean is taken from the new data itself (the
mean of x over the new rows of that group), with a MixedModelWarning saying so. A group
with no usable values gives NaN.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

import numpy as np
import pandas as pd
from formulaic.utils.stateful_transforms import stateful_transform

from ..errors import MixedModelError
from .grouping import level_labels
from .warn import warn_user

MEANS_KEY = "group_means"
FORMULAIC_MODULES = ("formulaic", "functools", "interface_meta")  # frames between us and the user
_UNSEEN_GROUPS: contextvars.ContextVar[set | None] = contextvars.ContextVar("unseen_groups", default=None)
MISSING = "\x00missing"  # key of rows whose group is missing: their mean is NaN


def group_keys(groups: tuple) -> np.ndarray:
    """One string key per row for one or several grouping columns (R-style labels, ':'-joined)."""
    if not groups:
        raise MixedModelError("within() and between() need a grouping column, like within(x, g)")
    labels = [_labels(column) for column in groups]
    keys = labels[0]
    for more in labels[1:]:
        keys = np.char.add(np.char.add(keys, ":"), more)
    missing = np.any([label == MISSING for label in labels], axis=0)
    return np.where(missing, MISSING, keys) if missing.any() else keys


def _labels(column) -> np.ndarray:
    values = column if isinstance(column, pd.Series) else pd.Series(np.asarray(column))
    codes, uniques = pd.factorize(values)
    labels = np.asarray(level_labels(uniques), dtype=object)
    out = np.full(len(codes), MISSING, dtype=object)
    out[codes >= 0] = labels[codes[codes >= 0]]
    return out.astype(str)


def numeric_values(x, what: str) -> np.ndarray:
    """``x`` as float64, or a MixedModelError when it is not numeric."""
    dtype = getattr(x, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype) or (
        dtype is not None and not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))
    ):
        raise MixedModelError(f"{what} needs a numeric variable, but it has dtype {dtype}")
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise MixedModelError(f"{what} needs a numeric variable") from None


def mean_by_key(values: np.ndarray, keys: np.ndarray) -> dict[str, float]:
    """Mean of the finite ``values`` for each key (NaN when a key has none)."""
    frame = pd.DataFrame({"key": keys, "value": np.where(np.isfinite(values), values, np.nan)})
    means = frame.groupby("key", sort=True)["value"].mean()
    return {str(key): float(mean) for key, mean in means.items()}


def row_group_means(x, groups: tuple, state: dict, what: str) -> np.ndarray:
    """Per-row group mean of ``x``: learnt into ``state`` on the first call, reused after."""
    values = numeric_values(x, what)
    keys = group_keys(groups)
    if len(keys) != len(values):
        raise MixedModelError(f"{what}: the variable and the grouping column have different lengths")
    if MEANS_KEY not in state:
        state[MEANS_KEY] = {k: m for k, m in mean_by_key(values, keys).items() if k != MISSING}
    stored = state[MEANS_KEY]
    means = np.array(pd.Series(keys).map(stored), dtype=np.float64)
    unseen = ~pd.Series(keys).isin(stored.keys()).to_numpy()
    if unseen.any():
        means[unseen] = _means_of_new_groups(values, keys, unseen)
    return means


def _means_of_new_groups(values, keys, unseen) -> np.ndarray:
    own = {k: v for k, v in mean_by_key(values[unseen], keys[unseen]).items() if k != MISSING}
    pending = _UNSEEN_GROUPS.get()
    if pending is not None:
        pending.update(own)
    elif own:
        _warn_unseen(own, FORMULAIC_MODULES)
    return np.array(pd.Series(keys[unseen]).map(own), dtype=np.float64)


def _warn_unseen(names, skip: tuple[str, ...]) -> None:
    names = sorted(names)
    shown = ", ".join(repr(n) for n in names[:5]) + (" ..." if len(names) > 5 else "")
    warn_user(
        f"within()/between(): {len(names)} group(s) not seen in the fit ({shown}); their "
        "group mean is taken from the new data itself",
        skip=skip,
    )


@contextmanager
def one_warning_for_unseen_groups():
    """Collect the unseen groups of all within()/between() terms evaluated inside, warn once."""
    token = _UNSEEN_GROUPS.set(set())
    try:
        yield
        names = _UNSEEN_GROUPS.get()
    finally:
        _UNSEEN_GROUPS.reset(token)
    if names:
        _warn_unseen(names, ("contextlib",))


@stateful_transform
def within(x, *groups, _state=None):
    """``x`` minus its group mean. The means are learnt on the rows of the fit and reused for
    new data; a group the fit has not seen uses its mean in the new data (with a warning)."""
    state = {} if _state is None else _state
    means = row_group_means(x, groups, state, "within()")
    return numeric_values(x, "within()") - means


@stateful_transform
def between(x, *groups, _state=None):
    """The mean of ``x`` in the row's group. The means are learnt on the rows of the fit and reused
    for new data; a group the fit has not seen uses its mean in the new data (with a warning)."""
    state = {} if _state is None else _state
    return row_group_means(x, groups, state, "between()")
