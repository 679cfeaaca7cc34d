"""What each partition computes: its rows as model matrices with the fit's global encodings, and sums.

Every function here runs on a worker, on one pandas partition, and returns arrays whose size depends
on the number of levels and columns, never on the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..backend.crossprod_dense import dense_cross_products
from ..backend.row_sums import tail_row_sums
from ..backend.start import LevelSums, level_sums, row_effects
from ..design.response import family_response, response_parts
from ..design.types import RandomEffectTerm
from .plan import plain_strings


@dataclass(frozen=True)
class PartitionRows:
    """One partition as the engine sees it."""

    y: np.ndarray
    X: np.ndarray
    terms: tuple[RandomEffectTerm, ...]
    offset: np.ndarray | None
    dropped: int
    weights: np.ndarray | None = None  # binomial trials of a cbind() response


def partition_rows(part: pd.DataFrame, plan) -> PartitionRows:
    """Model matrices of a partition with the fit's encodings (rows with missing values dropped)."""
    used = [c for c in plan.used_columns if c in part.columns]
    complete = plain_strings(part.dropna(subset=used))
    X, codes, values, offset = plan.encoding.model_matrices(complete)
    y, weights = family_response(plan.response, response_parts(plan.response, complete), plan.family, None)
    terms = tuple(
        RandomEffectTerm(
            group=t.group,
            columns=t.columns,
            levels=t.levels,
            codes=np.asarray(c),
            values=np.asarray(v, dtype=float).reshape(len(complete), len(t.columns)),
            blocks=t.blocks,
        )
        for t, c, v in zip(plan.terms, codes, values)
    )
    return PartitionRows(
        np.asarray(y, dtype=float),
        np.asarray(X, dtype=float),
        terms,
        None if offset is None else np.asarray(offset, dtype=float),
        len(part) - len(complete),
        None if weights is None else np.asarray(weights, dtype=float),
    )


def working_response(rows: PartitionRows) -> np.ndarray:
    return rows.y if rows.offset is None else rows.y - rows.offset


def column_squares(rows: PartitionRows) -> dict:
    """Sums of squares of X's columns and of every term's columns (design order, concatenated), rows
    and rows dropped: what backend/scaling.py's root-mean-square scales need."""
    terms = [np.asarray(t.values, dtype=float).reshape(len(t.codes), len(t.columns)) for t in rows.terms]
    return {
        "x": np.sum(rows.X**2, axis=0),
        "terms": np.concatenate([np.sum(v**2, axis=0) for v in terms]),
        "n": np.array(float(len(rows.y))),
        "dropped": np.array(float(rows.dropped)),
    }


def rms_scales(squares: dict, plan) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """(X's column scales, the terms' column scales) from the summed squares, as scaling.column_rms."""
    n = max(float(squares["n"]), 1.0)

    def rms(total):
        root = np.sqrt(total / n)
        return np.where(root > 0, root, 1.0)

    sizes = np.cumsum([0] + [len(t.columns) for t in plan.terms])
    terms = rms(squares["terms"])
    return rms(squares["x"]), tuple(terms[a:b] for a, b in zip(sizes[:-1], sizes[1:]))


def scaled_rows(rows: PartitionRows, term_scales, column_scale=None) -> PartitionRows:
    """The rows with each term's columns (and X's, when given) divided by their scales, as in memory."""
    terms = tuple(
        t
        if np.all(d == 1.0)
        else replace(t, values=np.asarray(t.values, dtype=float).reshape(len(t.codes), len(t.columns)) / d)
        for t, d in zip(rows.terms, term_scales)
    )
    X = rows.X if column_scale is None else rows.X / column_scale
    return replace(rows, terms=terms, X=X)


def cross_product_sums(rows: PartitionRows, structure, dense: bool, term_scales) -> dict:
    """The blocked cross-products of one partition's rows, the terms' columns scaled (dense tail as
    arrays, else TailRowSums), X'X and X'y."""
    rows = scaled_rows(rows, term_scales)
    y = working_response(rows)
    if dense:
        diag0, tail0, tailtail, _ = dense_cross_products(structure, rows.terms, rows.X, y, None)
        blocks = {"diag0": diag0, "tail0": tail0, "tailtail": tailtail}
    else:
        blocks = {"tail": tail_row_sums(structure, rows.terms, rows.X, y)}
    return {
        **blocks,
        "xtx": rows.X.T @ rows.X,
        "xty": rows.X.T @ y,
    }


def start_sums(
    rows: PartitionRows,
    term_scales,
    beta: np.ndarray,
    term_order: tuple[int, ...],
    k: int,
    coefficients: dict[int, np.ndarray],
) -> LevelSums:
    """Level sums of term k (design position) of the residuals of Xβ and the other terms' shrunken effects
    (the terms' columns scaled, as the in-memory start sees them)."""
    rows = scaled_rows(rows, term_scales)
    residuals = working_response(rows) - rows.X @ beta
    for position in term_order:
        if position != k and position in coefficients:
            term = rows.terms[position]
            residuals -= row_effects(term.codes, term.values, coefficients[position])
    term = rows.terms[k]
    return level_sums(term.codes, term.values, residuals, len(term.levels))


def linear_predictor(
    part: pd.DataFrame, plan, beta: np.ndarray, ranef: dict[int, np.ndarray], conditional: bool
) -> pd.Series:
    """η of a partition's rows (NaN where a used column is missing), indexed like the partition."""
    X, codes, values, offset = plan.encoding.model_matrices(plain_strings(part), random=conditional)
    eta = X @ beta + (0.0 if offset is None else offset)
    for position, b in ranef.items() if conditional else ():
        c = np.asarray(codes[position])
        v = np.asarray(values[position]).reshape(len(eta), b.shape[1])
        known = c >= 0
        eta[known] += np.einsum("ij,ij->i", v[known], b[c[known]])
    return pd.Series(eta, index=part.index, name="predicted")


def add(a, b):
    """Sum of two partial results (dicts of arrays or LevelSums)."""
    if isinstance(a, dict):
        return {k: a[k] + b[k] for k in a}
    return a + b
