"""Pure data for the GLMM view: typical-group vs population-averaged (marginal) curves over a grid."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

GRID_POINTS = 60


@dataclass(frozen=True)
class CurveData:
    predictor: str
    x: np.ndarray                 # grid values (numeric) or positions 0..k-1 (categorical)
    labels: tuple[str, ...]       # category labels for categorical predictors, else ()
    typical: np.ndarray           # kind="typical": all random effects at zero
    marginal: np.ndarray          # kind="marginal": averaged over the random effects
    selected: np.ndarray | None   # kind="conditional" for the chosen level, when there is one

    @property
    def categorical(self) -> bool:
        return bool(self.labels)


def fixed_text(model) -> str:
    """Right-hand side of the fixed part of the formula."""
    parsed = getattr(getattr(model, "design", None), "formula", None)
    text = getattr(parsed, "fixed", None)
    if text:
        return str(text)
    rhs = str(model.formula).split("~", 1)[-1]
    return re.sub(r"\([^()]*\|[^()]*\)", "", rhs)


def predictor_candidates(model) -> list[str]:
    """Data columns that appear in the fixed part of the formula, in data order."""
    text = fixed_text(model)
    response = str(model.design.response_name)
    found = []
    for column in model.data.columns:
        name = str(column)
        if name != response and re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text):
            found.append(column)
    return found


def template_row(data: pd.DataFrame, predictors) -> pd.DataFrame:
    """One row: numeric predictors at their mean, everything else at its most common value."""
    values = {}
    for column in data.columns:
        series = data[column].dropna()
        if column in predictors and pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            values[column] = [series.mean()]
        else:
            values[column] = [series.mode().iloc[0] if len(series) else np.nan]
    frame = pd.DataFrame(values)
    for column in data.columns:
        if isinstance(data[column].dtype, pd.CategoricalDtype):
            frame[column] = pd.Categorical(frame[column], categories=data[column].cat.categories)
    return frame


def grid_frame(data: pd.DataFrame, predictor, predictors) -> tuple[pd.DataFrame, np.ndarray, tuple[str, ...]]:
    """New data varying `predictor` over its range (or its categories), others held at typical values."""
    series = data[predictor].dropna()
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series) \
        and series.nunique() > 2
    if numeric:
        values = np.linspace(float(series.min()), float(series.max()), GRID_POINTS)
        labels: tuple[str, ...] = ()
        x = values
    else:
        cats = series.cat.categories if isinstance(series.dtype, pd.CategoricalDtype) else sorted(series.unique())
        values = list(cats)
        labels = tuple(str(v) for v in values)
        x = np.arange(len(values), dtype=float)
    frame = template_row(data, predictors).loc[np.zeros(len(values), dtype=int)].reset_index(drop=True)
    column = pd.Series(values, dtype=data[predictor].dtype) if not numeric else pd.Series(values)
    frame[predictor] = column.to_numpy() if not isinstance(data[predictor].dtype, pd.CategoricalDtype) \
        else pd.Categorical(values, categories=data[predictor].cat.categories)
    return frame, x, labels


def curve_data(reader, predictor, group: str = "", label: str = "") -> CurveData:
    """Typical vs marginal curves (response scale), plus the chosen level's conditional curve."""
    model = reader.model
    data = reader.used_data
    frame, x, labels = grid_frame(data, predictor, predictor_candidates(model))
    typical = np.asarray(model.predict(newdata=frame, kind="typical", scale="response"), float)
    marginal = np.asarray(model.predict(newdata=frame, kind="marginal", scale="response"), float)
    selected = None
    value = level_value(reader, group, label)
    if value is not None:
        frame = frame.copy()
        frame[group] = pd.Series([value] * len(frame), dtype=data[group].dtype).to_numpy()
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
