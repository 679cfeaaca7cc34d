"""Pure data preparation for the random-effect inspector (no widgets here)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from ..names import INTERCEPT

INTERVAL_LEVELS = (0.5, 0.8, 0.9, 0.95, 0.99)


def z_value(level: float) -> float:
    """Two-sided normal quantile for an interval holding `level` of the mass."""
    if not 0 < level < 1:
        raise ValueError("the interval level must lie strictly between 0 and 1")
    return NormalDist().inv_cdf((1 + level) / 2)


@dataclass(frozen=True)
class CaterpillarData:
    """One grouping factor and term: conditional modes (sorted by value or by name) with intervals."""

    group: str
    term: str
    level: float
    labels: np.ndarray  # the groups' names (str), in display order
    condval: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    condsd: np.ndarray

    def position(self, label: str) -> int:
        """Rank of `label` in the sorted order, or -1 when absent."""
        hits = np.flatnonzero(self.labels == label)
        return int(hits[0]) if hits.size else -1


SORT_ORDERS = ("value", "name")


def natural_key(label: str) -> tuple:
    """Sort key that puts "clinic 2" before "clinic 10" (numbers compared as numbers)."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.lower())
        for part in re.split(r"(\d+)", str(label))
        if part
    )


def caterpillar_data(ranef: pd.DataFrame, group: str, term: str, level: float, order: str = "value") -> CaterpillarData:
    """Conditional modes of `term` for `group` with `level` intervals from condsd, sorted by value
    (ascending) or by the group's name."""
    if order not in SORT_ORDERS:
        raise ValueError(f"order must be one of {SORT_ORDERS}, not {order!r}")
    rows = ranef[(ranef["group"] == group) & (ranef["term"] == term)]
    names = rows["level"].to_numpy(str)
    if order == "value":
        positions = np.lexsort((names, rows["condval"].to_numpy(float)))
    else:
        positions = np.array(sorted(range(len(names)), key=lambda i: natural_key(names[i])), dtype=int)
    rows = rows.iloc[positions]
    condval = rows["condval"].to_numpy(float)
    condsd = rows["condsd"].to_numpy(float)
    half = z_value(level) * condsd
    return CaterpillarData(
        group=group,
        term=term,
        level=level,
        labels=rows["level"].to_numpy(dtype=object).astype(str),
        condval=condval,
        lower=condval - half,
        upper=condval + half,
        condsd=condsd,
    )


def segments(data: CaterpillarData, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x, y arrays drawing the masked intervals as one path, NaN between segments (none at the end:
    bqplot places a line's label group at its last point)."""
    idx = np.flatnonzero(mask)
    x = np.full(3 * idx.size, np.nan)
    y = np.full(3 * idx.size, np.nan)
    x[0::3], x[1::3] = data.lower[idx], data.upper[idx]
    y[0::3] = y[1::3] = idx.astype(float)
    return x[:-1], y[:-1]


def x_extent(data: CaterpillarData) -> tuple[float, float]:
    """Range covering every interval and zero, padded by 5%."""
    finite = np.concatenate([data.lower, data.upper, [0.0]])
    finite = finite[np.isfinite(finite)]
    lo, hi = float(finite.min()), float(finite.max())
    pad = 0.05 * (hi - lo or 1.0)
    return lo - pad, hi + pad


@dataclass(frozen=True)
class GroupPanelData:
    """The chosen level's observations with its fitted line and the population line, sorted by x."""

    label: str
    x: np.ndarray
    y: np.ndarray
    conditional: np.ndarray
    typical: np.ndarray
    x_label: str


def panel_x(reader, group: str, term: str) -> tuple[np.ndarray, str]:
    """x variable for the group panel: the term's own slope column, else a fixed predictor, else order."""
    design_term = reader.design_term(group)
    columns = [str(c) for c in design_term.columns]
    preferred = [term] + columns if term != INTERCEPT else columns
    for name in preferred:
        if name != INTERCEPT and name in columns:
            values = np.asarray(design_term.values, float)[:, columns.index(name)]
            if np.unique(values).size > 2:
                return values, name
    X = reader.fixed_matrix
    for j, name in enumerate(reader.fixed_names):
        if name != INTERCEPT and np.unique(X[:, j]).size > 2:
            return X[:, j], str(name)
    return np.arange(len(X), dtype=float), "observation"


def group_panel_data(reader, group: str, term: str, label: str) -> GroupPanelData | None:
    """Rows of level `label` of `group`, or None when the label is unknown."""
    k = reader.level_index(group, label)
    if k < 0:
        return None
    rows = np.flatnonzero(np.asarray(reader.design_term(group).codes) == k)
    x_all, x_label = panel_x(reader, group, term)
    if x_label == "observation":
        x = np.arange(1, rows.size + 1, dtype=float)
    else:
        x = x_all[rows]
    order = np.argsort(x, kind="stable")
    pick = rows[order]
    return GroupPanelData(
        label=label,
        x=x[order],
        y=reader.response[pick],
        conditional=reader.fitted_conditional[pick],
        typical=reader.fitted_typical[pick],
        x_label=x_label,
    )
