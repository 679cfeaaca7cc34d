"""The sparsity pattern of the tail's random block S_rr, and whether eliminating it creates fill.

The tail's random rows are the effects of the terms after the largest, level-major within a term
(row = start_k + level·q_k + a). A "unit" is one level of one term: its q_k rows. S_rr is stored as
values on a fixed pattern of lower-triangular entries (i ≥ j), block-closed (when one entry between
two units is stored, all q_U × q_V are), so that Λ'SΛ keeps the pattern for every θ. Sorted by
(i, j), the entries are exactly the upper triangle of S_rr in compressed-column form (column i,
rows j ≤ i): what the LDL' factorization reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True)
class TailUnits:
    """Where each unit's rows start, how many it has, and which unit each row belongs to."""

    start: np.ndarray  # (units,)
    q: np.ndarray  # (units,)
    of_row: np.ndarray  # (mr,)

    @classmethod
    def from_terms(cls, layouts) -> TailUnits:
        q = (
            np.concatenate([np.full(t.n_levels, t.q, dtype=np.int64) for t in layouts])
            if layouts
            else np.zeros(0, dtype=np.int64)
        )
        start = np.cumsum(q) - q
        return cls(start, q, np.repeat(np.arange(q.size), q))

    @property
    def mr(self) -> int:
        return int(self.q.sum())


@dataclass(frozen=True)
class TailPattern:
    """Stored lower entries (i ≥ j) of S_rr sorted by (i, j), with the upper-CSC column pointers."""

    rows: np.ndarray  # i of each entry (the CSC column of the upper triangle)
    cols: np.ndarray  # j of each entry (the CSC row index)
    indptr: np.ndarray  # (mr + 1,)
    mr: int

    @property
    def nnz(self) -> int:
        return self.rows.size

    @property
    def keys(self) -> np.ndarray:
        return self.rows * self.mr + self.cols

    def locate(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Index of entry (i, j), i ≥ j, which must be in the pattern."""
        keys = self.keys
        where = np.searchsorted(keys, np.asarray(i, dtype=np.int64) * self.mr + j)
        if where.size and (where.max(initial=0) >= keys.size or np.any(keys[where] != i * self.mr + j)):
            raise AssertionError("an entry outside the tail's sparsity pattern")
        return where

    @property
    def diagonal(self) -> np.ndarray:
        """Index of each diagonal entry (i, i): the last entry of column i."""
        return self.indptr[1:] - 1

    def upper(self, values: np.ndarray) -> sp.csc_matrix:
        """S_rr's upper triangle (with the diagonal) in compressed-column form."""
        return sp.csc_matrix((values, self.cols, self.indptr), shape=(self.mr, self.mr))

    def symmetric(self, values: np.ndarray) -> sp.csr_matrix:
        off = self.rows != self.cols
        rows = np.concatenate([self.rows, self.cols[off]])
        cols = np.concatenate([self.cols, self.rows[off]])
        return sp.csr_matrix((np.concatenate([values, values[off]]), (rows, cols)), shape=(self.mr, self.mr))


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting (numpy 2's hash-based unique is many times slower on millions of keys)."""
    values = np.sort(values)
    keep = np.empty(values.size, dtype=bool)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def unit_pairs(i: np.ndarray, j: np.ndarray, units: TailUnits) -> tuple[np.ndarray, np.ndarray]:
    """Distinct unit pairs (U ≥ V) touched by the row pairs (i ≥ j), every unit paired with itself."""
    n_units = units.q.size
    big, small = units.of_row[i], units.of_row[j]
    big, small = np.maximum(big, small), np.minimum(big, small)
    keys = np.concatenate([big * n_units + small, np.arange(n_units, dtype=np.int64) * (n_units + 1)])
    keys = sorted_unique(keys)
    return keys // n_units, keys % n_units


def expand_units(big: np.ndarray, small: np.ndarray, units: TailUnits) -> TailPattern:
    """All row entries (i ≥ j) of the unit pairs, sorted by (i, j)."""
    mr = units.mr
    pieces: list[np.ndarray] = []
    for qu in np.unique(units.q[big]):
        for qv in np.unique(units.q[small]):
            sel = (units.q[big] == qu) & (units.q[small] == qv)
            if not sel.any():
                continue
            a, b = np.meshgrid(np.arange(qu), np.arange(qv), indexing="ij")
            rows = units.start[big[sel]][:, None] + a.ravel()[None, :]
            cols = units.start[small[sel]][:, None] + b.ravel()[None, :]
            keep = rows >= cols
            pieces.append(rows[keep] * mr + cols[keep])
    keys = sorted_unique(np.concatenate(pieces)) if pieces else np.zeros(0, dtype=np.int64)
    rows, cols = keys // mr, keys % mr
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=mr))])
    return TailPattern(rows, cols, indptr, mr)


def eliminates_without_fill(big: np.ndarray, small: np.ndarray, n_units: int) -> bool:
    """Whether eliminating the units in their order (terms sorted largest first) creates no fill.

    The order is a perfect elimination ordering when, for every unit V, its later neighbours other
    than the first of them (its parent) are all neighbours of the parent (Rose, Tarjan & Lueker).
    Nested factors pass (each unit's later neighbours are its ancestors); crossed ones do not.
    """
    off = big != small
    big, small = big[off], small[off]
    if big.size == 0:
        return True
    parent = np.full(n_units, np.iinfo(np.int64).max)
    np.minimum.at(parent, small, big)
    need_big, need_small = big[big != parent[small]], parent[small[big != parent[small]]]
    edges = sorted_unique(big * n_units + small)
    wanted = need_big * n_units + need_small
    found = np.searchsorted(edges, wanted)
    return bool(np.all((found < edges.size) & (edges[np.minimum(found, edges.size - 1)] == wanted)))
