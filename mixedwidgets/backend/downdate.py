"""The tail's downdate by block 0, Σ_g A_g W_g A_g', as one sparse product with a precomputed pattern.

A_g is the (tail × q₀) slice of the cross-product between the tail and level g of block 0, and
W_g = T₀ (T₀'A₀g T₀ + I)⁻¹ T₀' depends on θ. Every product a_ig·a_jg is formed once, when the
cross-products are; an evaluation of θ is then a sparse matrix-vector product and a scatter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: above this many pairwise products the pattern is not kept and a sparse product is used instead
MAX_PAIRS = 40_000_000


@dataclass(frozen=True)
class DowndatePattern:
    """The products a_ia·a_jb (i ≥ j), summed per position of the tail and per entry of W."""

    positions: np.ndarray       # distinct flat positions i·m + j (i ≥ j) that the downdate touches
    products: sp.csr_matrix     # (positions, levels₀·q₀²); column g·q₀² + a·q₀ + b
    m: int

    def downdate(self, w: np.ndarray) -> np.ndarray:
        """The lower triangle of Σ_g A_g W_g A_g' as a dense (m × m) matrix (upper part zero)."""
        out = np.zeros(self.m * self.m)
        out[self.positions] = self.products @ w.ravel()
        return out.reshape(self.m, self.m)


def _pairs_of_columns(csc: sp.csc_matrix, q0: int, a: int, b: int):
    """Every (nonzero in column g·q₀+a, nonzero in column g·q₀+b) pair, over all levels g."""
    levels = csc.shape[1] // q0
    g = np.arange(levels)
    start_a, start_b = csc.indptr[g * q0 + a], csc.indptr[g * q0 + b]
    k_a = csc.indptr[g * q0 + a + 1] - start_a
    k_b = csc.indptr[g * q0 + b + 1] - start_b
    counts = k_a * k_b
    level = np.repeat(g, counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    nz_a = start_a[level] + offset // k_b[level]
    nz_b = start_b[level] + offset % k_b[level]
    return level, nz_a, nz_b


def build_downdate_pattern(tail0: sp.spmatrix, q0: int) -> DowndatePattern | None:
    """Precompute the products for the downdate, or None when there would be too many of them."""
    csc = sp.csc_matrix(tail0)
    csc.sort_indices()
    m = csc.shape[0]
    nnz_per_level = np.add.reduceat(np.diff(csc.indptr), np.arange(0, csc.shape[1], q0))
    if int((nnz_per_level.astype(np.int64) ** 2).sum()) * q0 * q0 > 2 * MAX_PAIRS:
        return None
    positions, values, columns = [], [], []
    for a in range(q0):
        for b in range(q0):
            level, nz_a, nz_b = _pairs_of_columns(csc, q0, a, b)
            i, j = csc.indices[nz_a].astype(np.int64), csc.indices[nz_b]
            keep = i >= j
            positions.append(i[keep] * m + j[keep])
            values.append(csc.data[nz_a[keep]] * csc.data[nz_b[keep]])
            columns.append((level * q0 * q0 + a * q0 + b)[keep])
    positions = np.concatenate(positions)
    present = np.zeros(m * m, dtype=bool)
    present[positions] = True
    row_of_position = np.cumsum(present) - 1
    distinct = np.flatnonzero(present)
    levels = csc.shape[1] // q0
    products = sp.csr_matrix((np.concatenate(values), (row_of_position[positions], np.concatenate(columns))),
                             shape=(len(distinct), levels * q0 * q0))
    return DowndatePattern(distinct, products, m)
