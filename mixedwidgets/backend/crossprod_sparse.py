"""The tail's cross-products kept sparse: for nested designs and any tail too large to keep dense.

The tail splits into its random rows r (the other terms' effects) and the fixed rows f = [X y].
Everything the factorization needs is one flat vector of values, laid out as
[S_rr on its pattern (tail_pattern.py) | S_rf (mr × (p+1), row-major) | S_ff ((p+1)², lower part used)],
minus the downdate by block 0, Σ_g A_g W_g A_g', which is linear in the per-level W_g: a sparse
(values × levels₀·q₀²) matrix of products a_ia·a_jb built once (downdate.py does the same for the
dense tail). An evaluation of θ is then one sparse matrix-vector product, no dense m × m array.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .downdate import _entries_by_level, _lower_pairs
from .tail_pattern import TailPattern, TailUnits, eliminates_without_fill, unit_pairs


@dataclass
class SymbolicCache:
    """The LDL' solver of S_rr: its fill-reducing ordering and symbolic analysis are done at the first
    numeric factorization and reused for every later θ (same pattern), as CHOLMOD's analyze/factorize."""

    solver: Any = None


@dataclass(frozen=True)
class SparseTailProducts:
    """Base values of the tail on its layout, and the downdate products that depend on W(θ)."""

    pattern: TailPattern
    base: np.ndarray  # values before the downdate
    products: sp.csr_matrix  # (values, levels₀·q₀²)
    p: int  # fixed-effect columns (the fixed rows are p + 1 with y)
    no_fill: bool  # the tail's units eliminate in order without fill (nested designs)
    symbolic: SymbolicCache = field(default_factory=SymbolicCache, compare=False, repr=False)

    @property
    def mr(self) -> int:
        return self.pattern.mr

    def split(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rr values, rf (mr × (p+1)), ff symmetric ((p+1)²)) from a vector on the layout."""
        nnz, mr, k = self.pattern.nnz, self.mr, self.p + 1
        rr = values[:nnz]
        rf = values[nnz : nnz + mr * k].reshape(mr, k)
        lower = np.tril(values[nnz + mr * k :].reshape(k, k))
        return rr, rf, lower + np.tril(lower, -1).T

    def downdated(self, w: np.ndarray) -> np.ndarray:
        return self.base - self.products @ w.ravel()


def tail_structure(rr: sp.spmatrix, tail0: sp.csr_matrix, q0: int, units: TailUnits):
    """The unit pairs of S_rr (Z_r'Z_r and the downdate's fill), and whether they eliminate without fill.

    expand_units(big, small, units) turns the pairs into the pattern."""
    mr = units.mr
    rr = sp.tril(rr).tocoo()
    level, row, _, _ = _entries_by_level(tail0[:mr], q0)
    e, f = _lower_pairs(level, tail0.shape[1] // q0)
    i = np.concatenate([rr.row, row[e]]).astype(np.int64)
    j = np.concatenate([rr.col, row[f]]).astype(np.int64)
    big, small = unit_pairs(np.maximum(i, j), np.minimum(i, j), units)
    return big, small, eliminates_without_fill(big, small, units.q.size)


def count_downdate_pairs(tail0: sp.spmatrix, q0: int) -> int:
    """How many products a_ia·a_jb the downdate pattern would hold."""
    counts = np.bincount(tail0.tocoo().col // q0, minlength=tail0.shape[1] // q0).astype(np.int64)
    return int((counts * (counts + 1) // 2).sum())


def _targets(i: np.ndarray, j: np.ndarray, pattern: TailPattern, k: int) -> np.ndarray:
    """Position on the layout of tail entries (i ≥ j), tail rows numbered random first, then [X y]."""
    mr, nnz = pattern.mr, pattern.nnz
    out = np.empty(i.size, dtype=np.int64)
    rr = i < mr
    out[rr] = pattern.locate(i[rr], j[rr])
    rf = (i >= mr) & (j < mr)
    out[rf] = nnz + j[rf] * k + (i[rf] - mr)
    ff = j >= mr
    out[ff] = nnz + mr * k + (i[ff] - mr) * k + (j[ff] - mr)
    return out


@dataclass(frozen=True)
class DowndateLayout:
    """Where each product a_ia·a_jb of the downdate goes: fixed for a model's row structure, so that a
    PIRLS step (new weights, same rows) only recomputes the products' values."""

    order: np.ndarray  # tail0's stored entries, sorted by (level, row, sub-column)
    e: np.ndarray  # first and second entry of each pair, in that order
    f: np.ndarray
    doubled: np.ndarray  # 2 where the pair stands for both (a, b) and (b, a) of the symmetric W
    slot: np.ndarray  # each pair's position among the products' stored entries
    indices: np.ndarray  # the products' CSR structure
    indptr: np.ndarray
    shape: tuple[int, int]

    def products(self, tail0: sp.csr_matrix) -> sp.csr_matrix:
        value = tail0.tocoo().data[self.order]
        data = np.bincount(self.slot, value[self.e] * value[self.f] * self.doubled, minlength=self.indices.size)
        return sp.csr_matrix((data, self.indices, self.indptr), shape=self.shape)


def downdate_layout(tail0: sp.csr_matrix, q0: int, pattern: TailPattern, k: int) -> DowndateLayout:
    n_levels = tail0.shape[1] // q0
    coo = tail0.tocoo()
    level, sub = np.divmod(coo.col.astype(np.int64), q0)
    row = coo.row.astype(np.int64)
    order = np.lexsort((sub, row, level))
    level, row, sub = level[order], row[order], sub[order]
    e, f = _lower_pairs(level, n_levels)
    doubled = np.where((row[e] == row[f]) & (sub[e] != sub[f]), 2.0, 1.0)
    n_columns = n_levels * q0 * q0
    key = _targets(row[e], row[f], pattern, k) * n_columns + level[e] * q0 * q0 + sub[e] * q0 + sub[f]
    by_key = np.argsort(key, kind="stable")
    sorted_keys = key[by_key]
    new = np.ones(key.size, dtype=bool)
    new[1:] = sorted_keys[1:] != sorted_keys[:-1]
    slot = np.empty(key.size, dtype=np.int64)
    slot[by_key] = np.cumsum(new) - 1
    unique = sorted_keys[new]
    size = pattern.nnz + pattern.mr * k + k * k
    indptr = np.concatenate([[0], np.cumsum(np.bincount(unique // n_columns, minlength=size))])
    return DowndateLayout(order, e, f, doubled, slot, unique % n_columns, indptr, (size, n_columns))


def base_values(rr: sp.spmatrix, rf: np.ndarray, ff: np.ndarray, pattern: TailPattern) -> np.ndarray:
    """[Z_r'Z_r on the pattern | Z_r'[X y] | [X y]'[X y]] before any downdate."""
    rr = sp.tril(rr).tocoo()
    values = np.zeros(pattern.nnz)
    np.add.at(values, pattern.locate(rr.row.astype(np.int64), rr.col.astype(np.int64)), rr.data)
    return np.concatenate([values, rf.ravel(), ff.ravel()])


def sparse_tail_products(
    rr: sp.spmatrix,
    rf: np.ndarray,
    ff: np.ndarray,
    tail0: sp.csr_matrix,
    pattern: TailPattern,
    no_fill: bool,
    layout: DowndateLayout,
    symbolic: SymbolicCache,
) -> SparseTailProducts:
    """The sparse tail's layout from the row sums Z_r'Z_r, Z_r'[X y], [X y]'[X y] and [Z_r X y]'Z₀."""
    k = rf.shape[1]
    return SparseTailProducts(
        pattern=pattern,
        base=base_values(rr, rf, ff, pattern),
        products=layout.products(tail0),
        p=k - 1,
        no_fill=no_fill,
        symbolic=symbolic,
    )
