"""Blocked cross-products with a dense tail, as linear maps of the row weights.

Used when the tail (the terms after the largest, then X and y) is small: [Z_rest X y]'WZ₀ then fits
as a dense (m × levels₀·q₀) array and the per-θ downdate is one small matrix product.

Every entry of Z'WZ, Z'WX and Z'Wy is a sum over rows of w_i (or w_i·y_i) times a product of
design values that does not change during a fit. `entries` lists, for each such product, where it
goes and its value per row. A one-off LMM sums them with bincount; a GLMM, whose weights and working
response change at every PIRLS step, turns them once into two sparse matrices (CrossProductPlan), so
that each step costs two sparse matrix-vector products.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

#: use the dense tail while m² · levels₀ · q₀ (the flops of one downdate) stays below this
MAX_DENSE_FLOPS = 3e7
MAX_DENSE_TAIL = 2_000


def dense_tail_fits(structure, p: int) -> bool:
    first, rest = structure.terms[0], structure.terms[1:]
    m = sum(t.size for t in rest) + p + 1
    return m <= MAX_DENSE_TAIL and m * m * first.size <= MAX_DENSE_FLOPS


@dataclass(frozen=True)
class Layout:
    """Sizes and offsets of the pieces in one flat vector of sums."""

    levels0: int
    q0: int
    mr: int  # random rows of the tail
    p: int

    @property
    def width(self) -> int:
        return self.levels0 * self.q0

    @cached_property
    def sizes(self) -> dict[str, int]:
        return {
            "diag0": self.levels0 * self.q0 * self.q0,
            "tail0": (self.mr + self.p) * self.width,
            "rr": self.mr * self.mr,
            "rx": self.mr * self.p,
            "y0": self.width,
            "ry": self.mr,
        }

    @cached_property
    def offsets(self) -> dict[str, int]:
        starts = np.cumsum([0] + list(self.sizes.values()))
        return dict(zip(self.sizes, starts.tolist()))

    def offset(self, name: str) -> int:
        return self.offsets[name]


#: rows handled at once by the row pass: the per-row products then take a few tens of MB, never n-sized copies
ROW_CHUNK = 1 << 18


def row_chunks(n: int, size: int = ROW_CHUNK):
    """Consecutive slices of at most `size` rows covering range(n)."""
    return [slice(start, min(n, start + size)) for start in range(0, n, size)] or [slice(0, 0)]


def term_rows(term, q: int, n: int, rows: slice) -> tuple[np.ndarray, np.ndarray]:
    """(codes, values (rows × q)) of one design term for a slice of rows, without copying all rows."""
    values = np.asarray(term.values).reshape(n, q)[rows]
    return term.codes[rows], np.asarray(values, dtype=float)


def _random_rows(structure, design_terms, n, rows):
    out, start = [], 0
    for layout in structure.terms[1:]:
        codes, values = term_rows(design_terms[layout.design_position], layout.q, n, rows)
        out += [(start + codes * layout.q + a, values[:, a]) for a in range(layout.q)]
        start += layout.size
    return out, start


def entries(structure, design_terms, X, rows: slice = slice(None)):
    """(target, value-per-row) pairs for a slice of rows: those linear in w first, then those in w·y."""
    n, p = X.shape
    first = structure.terms[0]
    codes0, v0 = term_rows(design_terms[first.design_position], first.q, n, rows)
    x = X[rows]
    cols0 = [(codes0 * first.q + b, v0[:, b]) for b in range(first.q)]
    random_rows, mr = _random_rows(structure, design_terms, n, rows)
    lay = Layout(first.n_levels, first.q, mr, p)
    tail_rows = random_rows + [(np.full(x.shape[0], mr + c), x[:, c]) for c in range(p)]
    by_w = [
        (lay.offset("diag0") + (codes0 * first.q + a) * first.q + b, v0[:, a] * v0[:, b])
        for a in range(first.q)
        for b in range(first.q)
    ]
    by_w += [(lay.offset("tail0") + r * lay.width + c, rv * cv) for r, rv in tail_rows for c, cv in cols0]
    by_w += [(lay.offset("rr") + r1 * mr + r2, v1 * v2) for r1, v1 in random_rows for r2, v2 in random_rows]
    by_w += [(lay.offset("rx") + r * p + c, v * x[:, c]) for r, v in random_rows for c in range(p)]
    by_wy = [(lay.offset("y0") + c, cv) for c, cv in cols0]
    by_wy += [(lay.offset("ry") + r, v) for r, v in random_rows]
    return lay, by_w, by_wy


def assemble(lay: Layout, sums: np.ndarray, fixed_cross: np.ndarray):
    """(diag0, tail0, tailtail) from the flat sums and [X y]'W[X y]."""
    piece = {k: sums[lay.offset(k) : lay.offset(k) + s] for k, s in lay.sizes.items()}
    m = lay.mr + lay.p + 1
    diag0 = piece["diag0"].reshape(lay.levels0, lay.q0, lay.q0)
    tail0 = np.vstack([piece["tail0"].reshape(lay.mr + lay.p, lay.width), piece["y0"][None, :]])
    tailtail = np.empty((m, m))
    mr = lay.mr
    tailtail[:mr, :mr] = piece["rr"].reshape(mr, mr)
    tailtail[:mr, mr:] = np.column_stack([piece["rx"].reshape(mr, lay.p), piece["ry"]])
    tailtail[mr:, :mr] = tailtail[:mr, mr:].T
    tailtail[mr:, mr:] = fixed_cross
    return diag0, tail0, tailtail


#: up to this many fixed-effect columns [X y]'W[X y] is summed as dot products of columns
DOT_PRODUCTS_UP_TO = 8


def column_gram(columns: list[np.ndarray], w: np.ndarray | None = None) -> np.ndarray:
    """Σ_i w_i c_a[i] c_b[i] over the columns given (1-D), as k(k + 1)/2 dot products (for few columns)."""
    out = np.empty((len(columns), len(columns)))
    for a, column in enumerate(columns):
        weighted = column if w is None else w * column
        for b in range(a + 1):
            out[a, b] = out[b, a] = np.dot(weighted, columns[b])
    return out


def _fixed_cross(X, y, w):
    """[X y]'W[X y]. For p ≤ DOT_PRODUCTS_UP_TO as (p + 1)(p + 2)/2 dot products of columns (w·c_a once per
    column): OpenBLAS's product of a (p + 1) × n by an n × (p + 1) matrix, with the n × (p + 1) copies it
    needs, measured 3–10× slower here (p = 2: 101 against 27 µs at 20,000 rows, 3.2 against 0.33 ms at
    200,000); a column-major X (the GLMM plan keeps one) makes the columns contiguous."""
    p = X.shape[1]
    if p <= DOT_PRODUCTS_UP_TO:
        return column_gram([X[:, j] for j in range(p)] + [y], w)
    fixed = np.empty((X.shape[0], X.shape[1] + 1), order="F")
    fixed[:, :-1] = X
    fixed[:, -1] = y
    return fixed.T @ (fixed * w[:, None])


def dense_cross_products(structure, design_terms, X, y, weights):
    """(diag0, tail0, tailtail, n_random_tail) summed directly (one fit, fixed weights), chunk by chunk
    of rows: the per-row products exist for one chunk at a time."""
    n, p = X.shape
    lay = Layout(structure.terms[0].n_levels, structure.terms[0].q, sum(t.size for t in structure.terms[1:]), p)
    size = sum(lay.sizes.values())
    sums = np.zeros(size)
    fixed_cross = np.zeros((p + 1, p + 1))
    for rows in row_chunks(n):
        w = np.ones(rows.stop - rows.start) if weights is None else weights[rows]
        _, by_w, by_wy = entries(structure, design_terms, X, rows)
        for group, factor in ((by_w, w), (by_wy, w * y[rows])):
            for target, value in group:
                sums += np.bincount(target, value * factor, minlength=size)
        fixed_cross += _fixed_cross(X[rows], y[rows], w)
    return (*assemble(lay, sums, fixed_cross), lay.mr)


@dataclass(frozen=True)
class CrossProductPlan:
    """The cross-products as sparse linear maps of w and w·y, built once per GLMM fit."""

    layout: Layout
    by_w: sp.csr_matrix
    by_wy: sp.csr_matrix
    X: np.ndarray

    @classmethod
    def build(cls, structure, design_terms, X) -> CrossProductPlan:
        n = X.shape[0]
        lay, by_w, by_wy = entries(structure, design_terms, X)
        size = sum(lay.sizes.values())
        maps = []
        for group in (by_w, by_wy):
            target = np.concatenate([t for t, _ in group])
            value = np.concatenate([v for _, v in group])
            rows = np.tile(np.arange(n), len(group))
            maps.append(sp.csr_matrix((value, (target, rows)), shape=(size, n)))
        return cls(lay, maps[0], maps[1], np.asfortranarray(X))  # contiguous columns for _fixed_cross

    def evaluate(self, y: np.ndarray, w: np.ndarray):
        sums = self.by_w @ w + self.by_wy @ (w * y)
        return (*assemble(self.layout, sums, _fixed_cross(self.X, y, w)), self.layout.mr)
