"""The tail's downdate by block 0, Σ_g A_g W_g A_g', as one sparse product with a precomputed pattern.

A_g is the (tail × q₀) slice of the cross-product between the tail and level g of block 0, and
W_g = T₀ (T₀'A₀g T₀ + I)⁻¹ T₀' depends on θ. Every product a_ia·a_jb is formed once, when the
cross-products are; an evaluation of θ is then one sparse matrix-vector product whose result is
the lower triangle of the dense tail, in place (no SpGEMM, no scatter, no symmetric copy).

The products are built level by level in chunks, straight into their final arrays (12 bytes a
product), so the build's peak is the pattern itself plus one chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

try:  # the routine scipy's own `A @ x` calls, given our output array (see DowndatePattern.downdate)
    from scipy.sparse import _sparsetools
except ImportError:  # pragma: no cover - a scipy without it: the products go through `@`
    _sparsetools = None

#: above this many pairwise products the pattern is not kept and a sparse product is used instead
#: (2·10⁸ products take 2.4 GB; three crossed factors 20,000 × 4,000 × 3,000, 1M rows, need 1.05·10⁸)
MAX_PAIRS = 200_000_000
#: at most this many products are formed at once while the pattern is built
CHUNK_PAIRS = 4_000_000
#: with at least this many products per position of the tail's lower triangle the products are kept by
#: position (CSR: each output entry summed once, W read from cache) instead of by level (CSC: scattered
#: updates of the m × m result). Measured on 2 cores: three crossed factors 20,000 × 4,000 × 3,000
#: (1.08·10⁸ products, m = 7,003, 4.4 per position) 0.52 s by level, 0.25 s by position; two crossed
#: 10,000 × 10,000 (1.45·10⁷ products, m = 10,003, 0.29 per position) 0.11 s by level, 0.16 s by
#: position (the row pointers, m² of them, are then most of what is read).
BY_POSITION_FROM = 1.0


@dataclass(frozen=True)
class DowndatePattern:
    """The products a_ia·a_jb (i ≥ j), per flat position i·m + j of the tail and per entry of W."""

    products: sp.csc_matrix | sp.csr_matrix  # (m·m, levels₀·q₀²); row i·m + j (i ≥ j), column g·q₀² + a·q₀ + b
    m: int

    @property
    def nbytes(self) -> int:
        """Memory the stored products take."""
        p = self.products
        return int(p.data.nbytes + p.indices.nbytes + p.indptr.nbytes)

    def downdate(self, w: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The lower triangle of Σ_g A_g W_g A_g' as a dense (m × m) matrix (upper part zero); in `out`
        (C-contiguous m × m) when given."""
        return self._accumulate(None, w, out)

    def subtracted_from(self, base: np.ndarray, w: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """base − Σ_g A_g W_g A_g', valid in the lower triangle; in `out` when given (one pass fewer
        than subtracting the downdate afterwards: the products are summed onto a copy of base)."""
        return self._accumulate(base, w, out)

    def _accumulate(self, base: np.ndarray | None, w: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        """Writing into an array the caller keeps from one θ to the next matters here: a fresh m × m result
        per evaluation is fresh memory, and on this machine's virtual memory first touching 800 MB (two
        crossed 10,000-level factors) took 0.3–1.8 s, against 0.07 s for the products themselves."""
        matvec = getattr(_sparsetools, f"{self.products.format}_matvec", None)
        if out is None or matvec is None:
            result = np.asarray(self.products @ w.ravel()).reshape(self.m, self.m)
            if base is not None:
                np.subtract(base, result, out=result)
            if out is None:
                return result
            np.copyto(out, result)
            return out
        if base is None:
            out.fill(0.0)
        else:
            np.copyto(out, base)
        weights = np.ascontiguousarray(w, dtype=float).ravel()
        rows, cols = self.products.shape
        p = self.products
        matvec(rows, cols, p.indptr, p.indices, p.data, weights if base is None else -weights, out.reshape(-1))
        return out


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
    # pair k of entry e is (e, starts[level e] + k − (pairs before e))
    second = np.arange(first.size) + np.repeat(starts[level] - (np.cumsum(rank + 1) - (rank + 1)), rank + 1)
    return first, second


def _level_chunks(per_level: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive level ranges [start, stop) holding about CHUNK_PAIRS products each."""
    pairs = per_level * (per_level + 1) // 2
    chunk = (np.cumsum(pairs) - pairs) // CHUNK_PAIRS  # nondecreasing: which chunk each level starts in
    bounds = [0, *(np.flatnonzero(np.diff(chunk)) + 1).tolist(), per_level.size]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def build_downdate_pattern(tail0: sp.spmatrix, q0: int) -> DowndatePattern | None:
    """Precompute the products for the downdate, or None when there would be too many of them."""
    m, n_levels = tail0.shape[0], tail0.shape[1] // q0
    level, row, sub, value = _entries_by_level(tail0, q0)
    per_level = np.bincount(level, minlength=n_levels).astype(np.int64)
    total = int((per_level * (per_level + 1) // 2).sum())
    if total > MAX_PAIRS:
        return None
    index_type = np.int32 if m * m < 2**31 and total < 2**31 else np.int64
    data = np.empty(total)
    indices = np.empty(total, dtype=index_type)
    column_counts = np.zeros(n_levels * q0 * q0, dtype=np.int64)
    entry_starts = np.concatenate([[0], np.cumsum(per_level)])
    done = 0
    for first_level, stop_level in _level_chunks(per_level):
        lo, hi = entry_starts[first_level], entry_starts[stop_level]
        lv, rw, sb, vl = level[lo:hi] - first_level, row[lo:hi].astype(index_type), sub[lo:hi], value[lo:hi]
        e, f = _lower_pairs(lv, stop_level - first_level)
        product = vl[e] * vl[f]
        position = rw[e] * m + rw[f]
        if q0 == 1:  # one column per level: the pairs are already in column order
            column_counts[first_level:stop_level] = np.bincount(lv[e], minlength=stop_level - first_level)
        else:  # same row, different sub-columns: the pair stands for (a, b) and (b, a) of the symmetric W
            product *= np.where((rw[e] == rw[f]) & (sb[e] != sb[f]), 2.0, 1.0)
            column = (lv[e] + first_level) * q0 * q0 + sb[e] * q0 + sb[f]
            order = np.argsort(column, kind="stable")
            product, position = product[order], position[order]
            column_counts += np.bincount(column, minlength=column_counts.size)
        data[done : done + e.size] = product
        indices[done : done + e.size] = position
        done += e.size
    indptr = np.concatenate([[0], np.cumsum(column_counts)])
    products = sp.csc_matrix((data, indices, indptr), shape=(m * m, n_levels * q0 * q0))
    if total >= BY_POSITION_FROM * m * (m + 1) / 2:
        del data, indices
        products = products.tocsr()  # a counting sort: linear in the products
    return DowndatePattern(products, m)
