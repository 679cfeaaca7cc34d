"""The tail's downdate by block 0, Σ_g A_g W_g A_g', as one sparse product with a precomputed pattern.

A_g is the (tail × q₀) slice of the cross-product between the tail and level g of block 0, and
W_g = T₀ (T₀'A₀g T₀ + I)⁻¹ T₀' depends on θ. Every product a_ia·a_jb is formed once, when the
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

    positions: np.ndarray  # distinct flat positions i·m + j (i ≥ j) that the downdate touches
    products: sp.csc_matrix  # (positions, levels₀·q₀²); column g·q₀² + a·q₀ + b
    m: int

    def downdate(self, w: np.ndarray) -> np.ndarray:
        """The lower triangle of Σ_g A_g W_g A_g' as a dense (m × m) matrix (upper part zero)."""
        out = np.zeros(self.m * self.m)
        out[self.positions] = self.products @ w.ravel()
        return out.reshape(self.m, self.m)


def _entries_by_level(tail0: sp.spmatrix, q0: int):
    """The nonzeros of tail0 as (level, row, sub-column, value), sorted by level, then row, then a."""
    coo = sp.coo_matrix(tail0)
    level, sub = np.divmod(coo.col.astype(np.int64), q0)
    order = np.lexsort((sub, coo.row, level))
    return level[order], coo.row[order].astype(np.int64), sub[order], coo.data[order]


def _lower_pairs(level: np.ndarray, n_levels: int):
    """For entries grouped by level, every pair (e, f) of the same level with f ≤ e, level by level."""
    counts = np.bincount(level, minlength=n_levels)
    starts = np.cumsum(counts) - counts
    rank = np.arange(level.size) - starts[level]  # position of each entry within its level
    first = np.repeat(np.arange(level.size), rank + 1)  # entry e, repeated (rank + 1) times
    offsets = np.arange(first.size) - np.repeat(np.cumsum(rank + 1) - (rank + 1), rank + 1)
    second = starts[level[first]] + offsets
    return first, second


def build_downdate_pattern(tail0: sp.spmatrix, q0: int) -> DowndatePattern | None:
    """Precompute the products for the downdate, or None when there would be too many of them."""
    m, n_levels = tail0.shape[0], tail0.shape[1] // q0
    level, row, sub, value = _entries_by_level(tail0, q0)
    per_level = np.bincount(level, minlength=n_levels).astype(np.int64)
    if int((per_level * (per_level + 1) // 2).sum()) > MAX_PAIRS:
        return None
    e, f = _lower_pairs(level, n_levels)
    # same row, different sub-columns: the pair stands for both (a, b) and (b, a) of the symmetric W
    product = value[e] * value[f] * np.where((row[e] == row[f]) & (sub[e] != sub[f]), 2.0, 1.0)
    position = row[e] * m + row[f]
    column = level[e] * q0 * q0 + sub[e] * q0 + sub[f]
    present = np.zeros(m * m, dtype=bool)
    present[position] = True
    compact = np.cumsum(present) - 1
    indptr = np.concatenate([[0], np.cumsum(np.bincount(column, minlength=n_levels * q0 * q0))])
    by_column = np.argsort(column, kind="stable")
    products = sp.csc_matrix(
        (product[by_column], compact[position[by_column]], indptr), shape=(int(present.sum()), n_levels * q0 * q0)
    )
    return DowndatePattern(np.flatnonzero(present), products, m)
