"""Blocked cross-products of [Z_1 … Z_k X y], formed once per fit (once per PIRLS step for GLMMs).

Block 0 is the first sorted term: its Z'Z is block-diagonal, stored as an array (levels, q, q).
Everything after it — the other terms' Z and the dense [X y] — is the "tail": its cross-product
with block 0 is kept sparse, its own cross-product dense. No evaluation of θ touches the rows again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import MixedModelError
from .crossprod_dense import dense_cross_products, dense_tail_fits
from .downdate import DowndatePattern, build_downdate_pattern
from .reterms import RandomEffectsStructure

#: the tail's dense cross-product is (size × size) and is factored at every evaluation: at 8,000 that
#: is 512 MB a copy and ~170 GFLOP a factorization (seconds each), beyond it neither memory nor time fit
MAX_DENSE_TAIL = 8_000


@dataclass(frozen=True)
class CrossProducts:
    """Z₀'Z₀ per level, the tail's products with Z₀ (sparse) and with itself (dense)."""

    diag0: np.ndarray          # (levels₀, q₀, q₀)
    tail0: sp.csr_matrix | np.ndarray  # (m, levels₀·q₀): [Z_rest X y]' Z₀; dense when one term
    tailtail: np.ndarray       # (m, m): [Z_rest X y]' [Z_rest X y]
    n_random_tail: int         # rows of the tail that are random effects (the rest are X then y)
    p: int                     # fixed-effect columns
    n: int                     # observations
    pattern: DowndatePattern | None = None   # precomputed downdate of the tail (several terms only)


def term_matrix(codes: np.ndarray, values: np.ndarray, n_levels: int) -> sp.csr_matrix:
    """The sparse n × (levels·q) model matrix of one term: row i holds values[i] at its level's columns."""
    n, q = values.shape
    indices = (codes[:, None] * q + np.arange(q)[None, :]).ravel()
    indptr = np.arange(0, n * q + 1, q)
    return sp.csr_matrix((values.ravel(), indices, indptr), shape=(n, n_levels * q))


def blockdiag_crossprod(codes: np.ndarray, values: np.ndarray, n_levels: int) -> np.ndarray:
    """Σ over rows of each level of z z' — the diagonal blocks of Z'Z for one term."""
    q = values.shape[1]
    out = np.empty((n_levels, q, q))
    for a in range(q):
        for b in range(a + 1):
            s = np.bincount(codes, weights=values[:, a] * values[:, b], minlength=n_levels)
            out[:, a, b] = s
            out[:, b, a] = s
    return out


def build_cross_products(structure: RandomEffectsStructure, design_terms, X: np.ndarray,
                         y: np.ndarray, sqrt_weights: np.ndarray | None = None,
                         with_pattern: bool = True) -> CrossProducts:
    """Form every cross-product the blocked Cholesky needs, scaling rows by √w when weights are given.

    with_pattern precomputes the downdate products (worth it when θ is evaluated many times at the
    same weights, as for an LMM; not for one PIRLS step).
    """
    n, p = X.shape
    if dense_tail_fits(structure, p):
        w = None if sqrt_weights is None else sqrt_weights**2
        diag0, tail0, tailtail, mr = dense_cross_products(structure, design_terms, X, y, w)
        return CrossProducts(diag0=diag0, tail0=tail0, tailtail=tailtail, n_random_tail=mr, p=p, n=n)
    scale = (lambda a: a) if sqrt_weights is None else (
        lambda a: a * (sqrt_weights[:, None] if a.ndim == 2 else sqrt_weights))
    fixed = np.column_stack([scale(X), scale(y)])
    matrices = []
    for layout in structure.terms:
        term = design_terms[layout.design_position]
        values = scale(np.asarray(term.values, dtype=float).reshape(n, layout.q))
        matrices.append((term.codes, values, layout.n_levels))
    codes0, values0, levels0 = matrices[0]
    z0 = term_matrix(codes0, values0, levels0)
    rest = [term_matrix(*m) for m in matrices[1:]]
    n_random_tail = sum(z.shape[1] for z in rest)
    if n_random_tail + p + 1 > MAX_DENSE_TAIL:
        raise MixedModelError(
            f"the random-effect terms after the largest one have {n_random_tail} effects in all; "
            f"this engine keeps them in a dense block and handles at most {MAX_DENSE_TAIL - p - 1}. "
            "The largest grouping factor is handled level by level, so only the other factors count: "
            "consider fewer levels in them (e.g. merge rare levels) or a model with one large factor.")
    fixed0 = np.asarray((z0.T @ fixed).T)
    if rest:
        zr = sp.hstack(rest, format="csr")
        tail0 = sp.vstack([(zr.T @ z0).tocsr(), sp.csr_matrix(fixed0)], format="csr")
        zr_fixed = np.asarray(zr.T @ fixed)
        tailtail = np.block([[np.asarray((zr.T @ zr).todense()), zr_fixed],
                             [zr_fixed.T, fixed.T @ fixed]])
    else:
        tail0 = fixed0
        tailtail = fixed.T @ fixed
    pattern = build_downdate_pattern(tail0, values0.shape[1]) if rest and with_pattern else None
    return CrossProducts(
        diag0=blockdiag_crossprod(codes0, values0, levels0), tail0=tail0, tailtail=tailtail,
        n_random_tail=n_random_tail, p=p, n=n, pattern=pattern)
