"""demean(): within- and between-group parts of variables as new columns (datawizard's convention).

    wide = mw.demean(df, ["A", "B"], by="g")      # adds A_within, A_between, B_within, B_between
    m = mw.fit("y ~ A_within + A_between + (1 | g)", wide)
    m.contextual_effect("A")

In a formula, ``within(A, g)`` and ``between(A, g)`` do the same without new columns, and
compute the group means on the rows the fit actually uses. ``demean`` uses every row where
the variable is observed, so the two can differ when other columns have missing values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .design.within_between import group_keys, mean_by_key, numeric_values
from .errors import MixedModelError

WITHIN_SUFFIX = "_within"
BETWEEN_SUFFIX = "_between"


def demean(
    data: pd.DataFrame, columns, by, *, suffixes: tuple[str, str] = (WITHIN_SUFFIX, BETWEEN_SUFFIX)
) -> pd.DataFrame:
    """A copy of ``data`` with ``<col>_within`` (x minus its group mean) and ``<col>_between``
    (the group mean) for each of ``columns``, grouped by the column(s) ``by``.

    Group means ignore missing values of the variable; rows with a missing group get NaN.
    The caller's DataFrame is not modified.
    """
    columns, by = _as_names(columns, "columns"), _as_names(by, "by")
    _check_columns(data, columns, by, suffixes)
    keys = group_keys(tuple(data[name] for name in by))
    keys_missing = data[list(by)].isna().any(axis=1).to_numpy()
    result = data.copy()
    for name in columns:
        values = numeric_values(data[name], f"demean() of column '{name}'")
        means = np.array(pd.Series(keys).map(mean_by_key(values, keys)), dtype=np.float64)
        means[keys_missing] = np.nan
        result[f"{name}{suffixes[0]}"] = values - means
        result[f"{name}{suffixes[1]}"] = means
    return result


def _as_names(names, what: str) -> list[str]:
    if isinstance(names, str):
        return [names]
    try:
        names = list(names)
    except TypeError:
        raise MixedModelError(f"{what} must be a column name or a list of column names") from None
    if not names:
        raise MixedModelError(f"{what} is empty: name at least one column")
    return names


def _check_columns(data, columns, by, suffixes) -> None:
    if not isinstance(data, pd.DataFrame):
        raise MixedModelError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    for name in [*columns, *by]:
        if name not in data.columns:
            raise MixedModelError(f"column '{name}' is not in the data")
    overlap = set(columns) & set(by)
    if overlap:
        raise MixedModelError(f"column '{sorted(overlap)[0]}' is both a variable and a grouping column")
    if len(suffixes) != 2 or suffixes[0] == suffixes[1]:
        raise MixedModelError("suffixes must be two different strings, like ('_within', '_between')")
