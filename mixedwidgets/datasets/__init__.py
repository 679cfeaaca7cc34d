"""Small example data sets from lme4, as pandas DataFrames.

``load("sleepstudy")`` returns a fresh DataFrame whose grouping columns are
pandas categoricals (levels in R's order: numbers numerically, names alphabetically).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import MixedModelError

_FOLDER = Path(__file__).resolve().parent

# data set -> its grouping (categorical) columns
_DATASETS: dict[str, tuple[str, ...]] = {
    "cbpp": ("herd", "period"),
    "dyestuff": ("Batch",),
    "penicillin": ("plate", "sample"),
    "sleepstudy": ("Subject",),
}


def names() -> list[str]:
    """The names of the bundled data sets."""
    return sorted(_DATASETS)


def load(name: str) -> pd.DataFrame:
    """Load a bundled data set by name (case-insensitive), e.g. ``load("sleepstudy")``."""
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in _DATASETS:
        raise MixedModelError(f"no data set named {name!r}; available: {', '.join(names())}")
    categorical = _DATASETS[key]
    frame = pd.read_csv(_FOLDER / f"{key}.csv", dtype={column: str for column in categorical})
    for column in categorical:
        frame[column] = _as_factor(frame[column])
    return frame


def _as_factor(column: pd.Series) -> pd.Series:
    """A categorical of strings, ordered numerically when every value is a number."""
    values = column.unique().tolist()
    if all(value.lstrip("-").isdigit() for value in values):
        categories = sorted(values, key=int)
    else:
        categories = sorted(values)
    return pd.Series(pd.Categorical(column, categories=categories), index=column.index, name=column.name)
