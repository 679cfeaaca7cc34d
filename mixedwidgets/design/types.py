"""The design of a mixed model: response, fixed-effect matrix, random-effect terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..formula import ParsedFormula
from .split_columns import SplitColumn

if TYPE_CHECKING:
    from .encoding import DesignEncoding


@dataclass(frozen=True, eq=False)
class RandomEffectTerm:
    """All random effects sharing one grouping factor."""

    group: str  # "Subject", "a:b"
    columns: tuple[str, ...]  # ("(Intercept)", "Days")
    levels: tuple[str, ...]  # level labels in factor order (sorted like R's factor())
    codes: np.ndarray  # int64 (n,), 0..len(levels)-1, for the rows used
    values: np.ndarray  # float64 (n, len(columns)): per-row model matrix of the term
    blocks: tuple[tuple[int, ...], ...]  # partition of columns into correlated blocks


@dataclass(frozen=True, eq=False)
class Design:
    """Everything a backend needs to fit the model, for the rows used."""

    formula: ParsedFormula
    response_name: str
    y: np.ndarray  # float64 (n,); binomial cbind(s, f): proportion s/(s+f)
    X: np.ndarray  # float64 (n, p), full column rank
    fixed_names: tuple[str, ...]  # column names of X, intercept first
    terms: tuple[RandomEffectTerm, ...]  # formula order
    weights: np.ndarray | None  # prior weights (n,); binomial cbind -> trials
    offset: np.ndarray | None  # (n,), from offset(...) in the formula
    n_dropped: int  # rows dropped for missing values in used columns
    row_index: pd.Index  # labels of the rows used, from the caller's DataFrame
    row_positions: np.ndarray | None = field(repr=False)  # int64 positions of the rows used (None: dask summary)
    encoding: DesignEncoding = field(repr=False)  # rebuilds X and the terms for new data
    split_columns: tuple[SplitColumn, ...] = ()  # the within()/between() columns of X
    fixed_variables: tuple[str, ...] = ()  # the data columns the fixed part reads, in formula order

    def model_matrices(self, newdata: pd.DataFrame, *, random: bool = True):
        """``(X, codes, values, offset)`` for new data with the encodings of the fit.

        ``codes`` and ``values`` are lists with one array per term; a level not seen
        in the fit gets code -1. ``offset`` is None when the formula has none.
        With ``random=False`` the grouping columns are not needed and both lists are
        empty (population-level predictions).
        """
        return self.encoding.model_matrices(newdata, random=random)
