"""Grouping factors: integer codes and string levels, ordered like R's factor().

Any column is treated as categorical. Numeric columns sort numerically, strings
sort by code point, a pandas Categorical keeps its category order. Unused levels
are dropped. ``a:b`` is the interaction, with only the observed combinations,
the first factor varying slowest (as R's ``factor(a:b)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..formula import group_factor_names


@dataclass(frozen=True)
class GroupEncoding:
    """How the rows of a data set map to the levels of a grouping factor."""

    group: str
    factor_names: tuple[str, ...]
    factor_levels: tuple[tuple[str, ...], ...]  # observed levels of each factor
    step_keys: tuple[np.ndarray, ...]  # sorted keys prev_code * size + code, per extra factor
    levels: tuple[str, ...]

    def codes_for(self, data: pd.DataFrame) -> np.ndarray:
        """Level codes for the rows of ``data``; -1 for levels not seen in the fit."""
        codes = _codes_in(data[self.factor_names[0]], self.factor_levels[0])
        for step, keys in enumerate(self.step_keys, start=1):
            factor = _codes_in(data[self.factor_names[step]], self.factor_levels[step])
            combined = codes * len(self.factor_levels[step]) + factor
            position = np.minimum(np.searchsorted(keys, combined), len(keys) - 1)
            found = (keys[position] == combined) & (codes >= 0) & (factor >= 0)
            codes = np.where(found, position, -1)
        return codes.astype(np.int64)


def encode_group(group: str, frame: pd.DataFrame) -> tuple[np.ndarray, GroupEncoding]:
    """Codes (int64, 0..L-1) of every row of ``frame`` and the encoding that made them."""
    names = group_factor_names(group)
    codes, labels = factor_codes(frame[names[0]])
    factor_levels, step_keys = [tuple(labels)], []
    for name in names[1:]:
        factor, factor_labels = factor_codes(frame[name])
        size = len(factor_labels)
        codes, keys = pd.factorize(codes * size + factor, sort=True)
        keys = np.asarray(keys, dtype=np.int64)
        labels = [f"{labels[k // size]}:{factor_labels[k % size]}" for k in keys.tolist()]
        factor_levels.append(tuple(factor_labels))
        step_keys.append(keys)
    encoding = GroupEncoding(group, names, tuple(factor_levels), tuple(step_keys), tuple(labels))
    return np.asarray(codes, dtype=np.int64), encoding


def factor_codes(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Codes and labels of the observed levels of one column (no missing values)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        raw = series.cat.codes.to_numpy(dtype=np.int64)
        used = np.flatnonzero(np.bincount(raw, minlength=len(series.cat.categories)))
        remap = np.full(len(series.cat.categories), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        return remap[raw], level_labels(series.cat.categories[used])
    try:
        codes, uniques = pd.factorize(series, sort=True)
    except TypeError:  # mixed types that do not sort together
        codes, uniques = pd.factorize(series.astype(str), sort=True)
    labels = level_labels(uniques)
    if len(set(labels)) != len(labels):  # e.g. 1 and "1" in an object column
        return factor_codes(series.astype(str))
    return np.asarray(codes, dtype=np.int64), labels


def level_labels(values) -> list[str]:
    """Level labels as R prints them: 1 (not 1.0) for whole floats, 2.5, "a", True."""
    array = _plain_array(values)
    if array.dtype.kind in "iu":
        return array.astype(str).tolist()
    if array.dtype.kind == "f":
        whole = np.isfinite(array) & (array == np.round(array)) & (np.abs(array) < 2**53)
        if whole.all():
            return array.astype(np.int64).astype(str).tolist()
    return [_label(value) for value in array.tolist()]


def _label(value) -> str:
    if isinstance(value, float) and not isinstance(value, bool):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return np.format_float_positional(value, trim="-")
    return str(value)


def _codes_in(series: pd.Series, fitted_levels: tuple[str, ...]) -> np.ndarray:
    """Codes of ``series`` values among the levels seen in the fit; -1 otherwise."""
    raw, uniques = pd.factorize(series)
    lookup = pd.Index(fitted_levels).get_indexer(level_labels(uniques))
    codes = np.full(len(raw), -1, dtype=np.int64)
    present = raw >= 0
    codes[present] = lookup[raw[present]]
    return codes


def _plain_array(values) -> np.ndarray:
    """A NumPy array of ``values``; nullable pandas integers/floats become int64/float64."""
    kind = getattr(getattr(values, "dtype", None), "kind", "O")
    if not isinstance(getattr(values, "dtype", None), np.dtype) and kind in "iuf":
        return np.asarray(values, dtype=np.float64 if kind == "f" else np.int64)
    return np.asarray(values)
