"""The row pass of a large tail: sums over rows of the blocked cross-products, chunk by chunk.

Everything the blocked factorization needs is a sum over rows: per level of block 0 its Z'Z, the
tail's products with block 0 (sparse), and the tail's products with itself (Z_r'Z_r sparse, Z_r'[X y]
and [X y]'[X y] dense). `TailRowSums` holds them; two of them add, so the rows can be visited in chunks
(in memory) or per partition (dask) and the results summed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .crossprod_dense import row_chunks, term_rows


@dataclass(frozen=True)
class TailRowSums:
    diag0: np.ndarray  # (levels₀, q₀, q₀)
    tail0: sp.csr_matrix  # (mr + p + 1, levels₀·q₀): [Z_r X y]' Z₀
    rr: sp.csr_matrix  # (mr, mr): Z_r'Z_r
    rf: np.ndarray  # (mr, p + 1): Z_r'[X y]
    ff: np.ndarray  # (p + 1, p + 1)

    def __add__(self, other: TailRowSums) -> TailRowSums:
        return TailRowSums(
            self.diag0 + other.diag0,
            (self.tail0 + other.tail0).tocsr(),
            (self.rr + other.rr).tocsr(),
            self.rf + other.rf,
            self.ff + other.ff,
        )


def term_matrix(codes: np.ndarray, values: np.ndarray, n_levels: int) -> sp.csr_matrix:
    """The sparse rows × (levels·q) model matrix of one term: row i holds values[i] at its level's columns."""
    n, q = values.shape
    indices = (codes[:, None] * q + np.arange(q)[None, :]).ravel()
    indptr = np.arange(0, n * q + 1, q)
    return sp.csr_matrix((values.ravel(), indices, indptr), shape=(n, n_levels * q))


def random_effects_matrix(structure, design_terms) -> sp.csr_matrix:
    """Z (n × q_total) without Λ, in the engine's order: sorted terms, level-major, a term's columns within a level."""
    blocks = []
    for layout in structure.terms:
        term = design_terms[layout.design_position]
        values = np.asarray(term.values, dtype=float).reshape(len(term.codes), layout.q)
        blocks.append(term_matrix(np.asarray(term.codes), values, layout.n_levels))
    return sp.hstack(blocks, format="csr")


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


def chunk_sums(structure, design_terms, X, y, sqrt_weights, rows: slice) -> TailRowSums:
    n = X.shape[0]
    w = None if sqrt_weights is None else sqrt_weights[rows]
    scale = (lambda a: a) if w is None else (lambda a: a * (w[:, None] if a.ndim == 2 else w))
    fixed = np.column_stack([scale(X[rows]), scale(y[rows])])
    matrices = []
    for layout in structure.terms:
        codes, values = term_rows(design_terms[layout.design_position], layout.q, n, rows)
        matrices.append((codes, scale(values), layout.n_levels))
    z0 = term_matrix(*matrices[0])
    zr = sp.hstack([term_matrix(*m) for m in matrices[1:]], format="csr")
    tail0 = sp.vstack([(zr.T @ z0).tocsr(), sp.csr_matrix(np.asarray((z0.T @ fixed).T))], format="csr")
    return TailRowSums(
        blockdiag_crossprod(*matrices[0]), tail0, (zr.T @ zr).tocsr(), np.asarray(zr.T @ fixed), fixed.T @ fixed
    )


def tail_row_sums(
    structure, design_terms, X: np.ndarray, y: np.ndarray, sqrt_weights: np.ndarray | None = None
) -> TailRowSums:
    """The sums over all rows, visited in chunks (the sparse per-chunk matrices stay small)."""
    total = None
    for rows in row_chunks(X.shape[0]):
        part = chunk_sums(structure, design_terms, X, y, sqrt_weights, rows)
        total = part if total is None else total + part
    assert total is not None  # row_chunks gives at least one chunk
    return total
