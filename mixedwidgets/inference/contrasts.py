"""Contrast matrices of the fixed-effect terms for type I and type III F tests, as lmerTest 3.1.

Type I (`get_contrasts_type1`): the rows of the Doolittle factor of X'X that belong to each term, i.e.
each term given the terms before it. Type III (`get_contrasts_type3`, `extract_contrasts_type3`): the
cell-means design rdX is expressed in R's treatment-coded X (L = X⁺ rdX), the columns of each term are
made orthogonal to those of the terms that contain it (highest order first), and the result is mapped
to the model's own coding by X_treat⁺ X. The hypotheses therefore do not depend on the contrast coding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..design.fixed_terms import (
    FixedStructure,
    fixed_structure,
    full_rank_columns,
    term_cells,
    used_rows,
)

ZERO_ROW = 1e-8


def zapsmall(x: np.ndarray, digits: int = 7) -> np.ndarray:
    """R's zapsmall: round to `digits` significant digits of the largest entry."""
    largest = np.max(np.abs(x)) if x.size else 0.0
    if not largest > 0:
        return x
    return np.round(x, max(0, digits - int(np.ceil(np.log10(largest)))))


def type1_contrasts(X: np.ndarray, structure: FixedStructure) -> dict[str, np.ndarray]:
    """Each term's rows of the upper Cholesky factor of X'X (the rows of t(Doolittle L) up to scale)."""
    R = np.linalg.cholesky(X.T @ X).T
    R = R / np.diag(R)[:, None]
    return {t.label: R[list(t.columns)] for t in structure.terms}


def _contains(inner, outer) -> bool:
    """lmerTest's `term_contain`: inner's variables strictly inside outer's, same numeric variables."""
    a, b = set(inner.variables), set(outer.variables)
    numeric = lambda t: {v for v, c in zip(t.variables, t.categorical) if not c}
    return a < b and numeric(inner) == numeric(outer)


def _treatment_design(structure: FixedStructure, frame: pd.DataFrame, n: int):
    """rdX (intercept, then every term's cells), R's treatment-coded X as columns of rdX, and the
    columns of rdX each term owns."""
    model_terms = {frozenset(t.variables) for t in structure.terms}
    has_intercept = structure.intercept is not None
    blocks, treat, owned, start = [], [], {}, 0
    if has_intercept:
        blocks.append(np.ones((n, 1)))
        treat.append(0)
        start = 1
    evaluated: dict[str, np.ndarray]
    first_factor, evaluated = True, {}
    for term in structure.terms:
        single_factor = term.order == 1 and term.categorical[0]
        cells = term_cells(term, frame, model_terms, has_intercept, single_factor and first_factor, evaluated)
        first_factor = first_factor and not single_factor
        blocks.append(cells.cells)
        owned[term.label] = [start + k for k in cells.treatment]
        treat += owned[term.label]
        start += cells.cells.shape[1]
    return np.column_stack(blocks), treat, owned


def type3_contrasts(design, data: pd.DataFrame) -> dict[str, np.ndarray]:
    """lmerTest's type III contrasts (rows per term, columns those of the model's X)."""
    frame = used_rows(design, data)
    structure = fixed_structure(design, frame)
    X = np.asarray(design.X)
    if X.shape[1] <= 1 or len(structure.terms) <= 1:
        return type1_contrasts(X, structure)
    rdx, treat, owned = _treatment_design(structure, frame, X.shape[0])
    kept = [treat[j] for j in full_rank_columns(rdx[:, treat])]
    x_treat = rdx[:, kept]
    pinv = np.linalg.pinv(x_treat)
    L = zapsmall((pinv @ rdx).T)  # rdX columns × X_treat columns
    term_columns = {label: [kept.index(c) for c in cols if c in kept] for label, cols in owned.items()}
    terms = list(structure.terms)
    for term in sorted(terms, key=lambda t: -t.order):
        containing = [c for other in terms if _contains(term, other) for c in term_columns[other.label]]
        own = term_columns[term.label]
        if containing and own:
            basis = L[:, containing]
            coef = np.linalg.lstsq(basis, L[:, own], rcond=None)[0]
            L[:, own] = zapsmall(L[:, own] - basis @ coef)
    L = L[kept]  # rows: the rdX columns that are X_treat's
    to_model = zapsmall(pinv @ X)  # X_treat coefficients → the model's β
    out = {}
    for term in terms:
        rows = L[:, term_columns[term.label]].T
        rows = rows[np.abs(rows).sum(axis=1) > ZERO_ROW]
        out[term.label] = rows @ to_model
    return out


def term_contrasts(design, data: pd.DataFrame, kind: int) -> dict[str, np.ndarray]:
    """Contrast matrices per term label, in R's term order; kind 1 (sequential) or 3."""
    if kind == 1:
        return type1_contrasts(np.asarray(design.X), fixed_structure(design))
    return type3_contrasts(design, data)
