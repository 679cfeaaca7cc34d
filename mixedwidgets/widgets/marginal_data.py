"""Pure data for the GLMM view: typical-group vs population-averaged (marginal) curves over a grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .reader import ModelReader

GRID_POINTS = 60


@dataclass(frozen=True)
class CurveData:
    predictor: str
    x: np.ndarray  # grid values (numeric) or positions 0..k-1 (categorical)
    labels: tuple[str, ...]  # category labels for categorical predictors, else ()
    typical: np.ndarray  # kind="typical": all random effects at zero
    marginal: np.ndarray  # kind="marginal": averaged over the random effects
    selected: np.ndarray | None  # kind="conditional" for the chosen level, when there is one

    @property
    def categorical(self) -> bool:
        return bool(self.labels)


def predictor_candidates(reader: ModelReader) -> list:
    """Data columns that the fixed part of the formula reads (as the design recorded them), in data order."""
    used = set(reader.fixed_variables) - {reader.response_name}
    return [column for column in reader.data_columns if str(column) in used]


def column_like(data: pd.DataFrame, column, values) -> pd.Series | pd.Categorical:
    """`values` with the dtype of `data[column]` (categories kept, so the encodings match the fit)."""
    dtype = data[column].dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.Categorical(list(values), categories=dtype.categories, ordered=dtype.ordered)
    series = pd.Series(list(values))
    if (
        pd.api.types.is_integer_dtype(dtype)
        and pd.api.types.is_float_dtype(series.dtype)
        and not np.all(np.mod(series.to_numpy(), 1) == 0)
    ):
        return series.to_numpy()  # a grid between whole numbers stays fractional (no staircase curves)
    try:
        return series.astype(dtype).to_numpy()
    except (TypeError, ValueError):
        return series.to_numpy()


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def typical_value(data: pd.DataFrame, column, predictors):
    """Mean for numeric predictors, the most common value otherwise."""
    series = data[column].dropna()
    if column in predictors and _is_numeric(series):
        return series.mean()
    return series.mode().iloc[0] if len(series) else np.nan


def grid_frame(data: pd.DataFrame, predictor, predictors) -> tuple[pd.DataFrame, np.ndarray, tuple[str, ...]]:
    """New data varying `predictor` over its range (or its categories), others held at typical values."""
    series = data[predictor].dropna()
    values: np.ndarray | list
    labels: tuple[str, ...]
    if _is_numeric(series) and series.nunique() > 2:
        values = np.linspace(float(series.min()), float(series.max()), GRID_POINTS)
        x, labels = values, ()
    else:
        dtype = series.dtype
        values = list(dtype.categories) if isinstance(dtype, pd.CategoricalDtype) else sorted(series.unique())
        x, labels = np.arange(len(values), dtype=float), tuple(str(v) for v in values)
    frame = pd.DataFrame(
        {
            column: column_like(
                data, column, values if column == predictor else [typical_value(data, column, predictors)] * len(values)
            )
            for column in data.columns
        }
    )
    return frame, x, labels


def curve_data(reader, predictor, group: str = "", label: str = "") -> CurveData:
    """Typical vs marginal curves (response scale), plus the chosen level's conditional curve."""
    model = reader.model
    data = reader.used_data
    frame, x, labels = grid_frame(data, predictor, predictor_candidates(reader))
    typical = np.asarray(model.predict(newdata=frame, kind="typical", scale="response"), float)
    marginal = np.asarray(model.predict(newdata=frame, kind="marginal", scale="response"), float)
    selected = None
    value = level_value(reader, group, label)
    if value is not None:
        frame = frame.copy()
        frame[group] = column_like(data, group, [value] * len(frame))
        selected = np.asarray(model.predict(newdata=frame, kind="conditional", scale="response"), float)
    return CurveData(str(predictor), x, labels, typical, marginal, selected)


def level_value(reader, group: str, label: str):
    """The data value of level `label` of `group` (when the group is one data column), else None."""
    if not label or group not in reader.used_data.columns:
        return None
    k = reader.level_index(group, label)
    if k < 0:
        return None
    rows = np.flatnonzero(np.asarray(reader.design_term(group).codes) == k)
    return reader.used_data[group].iloc[rows[0]] if rows.size else None
