"""Blocked cross-products of [Z_1 … Z_k X y], formed once per fit (once per PIRLS step for GLMMs).

Block 0 is the first sorted term: its Z'Z is block-diagonal, stored as an array (levels, q, q).
Everything after it — the other terms' Z and the dense [X y] — is the "tail": its cross-product
with block 0 is kept sparse; its own cross-product is dense when small or crossed (crossed factors fill
it in anyway), sparse when its elimination makes no fill (nested factors, crossprod_sparse.py).
No evaluation of θ touches the rows again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import MixedModelError
from .crossprod_dense import (
    DOT_PRODUCTS_UP_TO,
    column_gram,
    dense_cross_products,
    dense_tail_fits,
    row_chunks,
    term_rows,
)
from .crossprod_sparse import (
    SparseTailProducts,
    SymbolicCache,
    count_downdate_pairs,
    downdate_layout,
    sparse_tail_products,
    tail_structure,
)
from .downdate import DowndatePattern, build_downdate_pattern
from .reterms import RandomEffectsStructure
from .row_sums import TailRowSums, blockdiag_crossprod, tail_row_sums, term_matrix
from .tail_pattern import TailUnits, expand_units

#: force the tail's layout ("dense" or "sparse"); None chooses (tests set it to check both paths)
FORCE_TAIL: str | None = None
#: a dense tail needs about this many m × m arrays at once (the products, the downdated copy, its factor)
DENSE_COPIES = 3
#: a tail whose downdate by block 0 holds more pairwise products than this is crossed (nested tails hold
#: few per level): it goes to the dense layout without looking at its fill
MAX_SPARSE_PAIRS = 40_000_000
#: a tail pattern denser than this goes dense even without fill: qdldl (not supernodal, ~1 GFLOP/s)
#: loses to LAPACK's dense Cholesky (~50 GFLOP/s) long before the pattern is full (crossed
#: 4,000 × 800 × 600, 200k rows: S_rr is all but full, so no fill; qdldl 0.57 s against 0.02 s dense)
MAX_SPARSE_DENSITY = 0.05


@dataclass(frozen=True)
class CrossProducts:
    """Z₀'Z₀ per level, the tail's products with Z₀ (sparse) and with itself (dense)."""

    diag0: np.ndarray  # (levels₀, q₀, q₀)
    tail0: sp.csr_matrix | np.ndarray  # (m, levels₀·q₀): [Z_rest X y]' Z₀; dense when one term
    tailtail: np.ndarray | None  # (m, m): [Z_rest X y]' [Z_rest X y] (None when the tail is sparse)
    n_random_tail: int  # rows of the tail that are random effects (the rest are X then y)
    p: int  # fixed-effect columns
    n: int  # observations
    pattern: DowndatePattern | None = None  # precomputed downdate of the tail (several terms only)
    sparse: SparseTailProducts | None = None  # the tail kept sparse (tailtail is then None)


def build_cross_products(
    structure: RandomEffectsStructure,
    design_terms,
    X: np.ndarray,
    y: np.ndarray,
    sqrt_weights: np.ndarray | None = None,
    with_pattern: bool = True,
) -> CrossProducts:
    """Form every cross-product the blocked Cholesky needs, scaling rows by √w when weights are given.

    with_pattern precomputes the downdate products (worth it when θ is evaluated many times at the
    same weights, as for an LMM; not for one PIRLS step).
    """
    n, p = X.shape
    if len(structure.terms) == 1:
        return _one_term(structure, design_terms, X, y, sqrt_weights)
    if FORCE_TAIL is None and dense_tail_fits(structure, p):
        w = None if sqrt_weights is None else sqrt_weights**2
        diag0, tail0, tailtail, mr = dense_cross_products(structure, design_terms, X, y, w)
        return CrossProducts(diag0=diag0, tail0=tail0, tailtail=tailtail, n_random_tail=mr, p=p, n=n)
    return cross_products_from_sums(
        structure, tail_row_sums(structure, design_terms, X, y, sqrt_weights), n, with_pattern
    )


def _one_term(structure, design_terms, X, y, sqrt_weights) -> CrossProducts:
    """One random term: Z'Z per level, Z'[X y] as one sparse-by-dense product and [X y]'[X y], summed
    chunk by chunk of rows (six times faster than the per-entry sums of the dense layout at 200,000 rows,
    and no n-sized copy)."""
    n, p = X.shape
    layout = structure.terms[0]
    term = design_terms[layout.design_position]
    diag0 = np.zeros((layout.n_levels, layout.q, layout.q))
    tail0 = np.zeros((p + 1, layout.size))
    tailtail = np.zeros((p + 1, p + 1))
    few = p <= DOT_PRODUCTS_UP_TO  # [X y]'[X y] as dot products of columns: see crossprod_dense._fixed_cross
    for rows in row_chunks(n):
        fixed = np.empty((rows.stop - rows.start, p + 1), order="F")
        fixed[:, :p], fixed[:, p] = X[rows], y[rows]
        codes, values = term_rows(term, layout.q, n, rows)
        if sqrt_weights is not None:
            fixed *= sqrt_weights[rows, None]
            values = values * sqrt_weights[rows, None]
        diag0 += blockdiag_crossprod(codes, values, layout.n_levels)
        tail0 += np.asarray(term_matrix(codes, values, layout.n_levels).T @ fixed).T
        tailtail += column_gram([fixed[:, j] for j in range(p + 1)]) if few else fixed.T @ fixed
    return CrossProducts(diag0=diag0, tail0=tail0, tailtail=tailtail, n_random_tail=0, p=p, n=n)


def cross_products_from_sums(
    structure: RandomEffectsStructure, sums: TailRowSums, n: int, with_pattern: bool = True
) -> CrossProducts:
    """The blocked cross-products from the row sums (several terms): a sparse tail when its elimination
    makes no fill (or when forced), else a dense one."""
    mr, k = sums.rf.shape
    p, q0 = k - 1, sums.diag0.shape[1]
    sparse = sparse_tail_or_none(structure, sums, q0)
    if sparse is not None:
        return CrossProducts(
            diag0=sums.diag0, tail0=sums.tail0, tailtail=None, n_random_tail=mr, p=p, n=n, sparse=sparse
        )
    check_dense_tail_memory(mr + k, mr)
    tailtail = dense_tailtail(sums)
    pattern = build_downdate_pattern(sums.tail0, q0) if with_pattern else None
    return CrossProducts(
        diag0=sums.diag0, tail0=sums.tail0, tailtail=tailtail, n_random_tail=mr, p=p, n=n, pattern=pattern
    )


def dense_tailtail(sums: TailRowSums) -> np.ndarray:
    """[Z_r X y]'[Z_r X y] as one dense array, written in place (no dense copy of Z_r'Z_r first)."""
    mr, k = sums.rf.shape
    m = mr + k
    out = np.zeros((m, m))
    rr = sums.rr.tocoo()
    rr.sum_duplicates()
    out.ravel()[rr.row.astype(np.int64) * m + rr.col] = rr.data
    out[:mr, mr:] = sums.rf
    out[mr:, :mr] = sums.rf.T
    out[mr:, mr:] = sums.ff
    return out


#: the last row structure's sparse layout (or None: dense), reused while only the weights change (PIRLS)
_LAST_LAYOUT: dict = {}


def _structure_key(sums: TailRowSums, q0: int) -> tuple:
    arrays = (sums.tail0.indptr, sums.tail0.indices, sums.rr.indptr, sums.rr.indices)
    return (FORCE_TAIL, q0, sums.tail0.shape, sums.rf.shape) + tuple(hash(a.tobytes()) for a in arrays)


def sparse_tail_or_none(structure: RandomEffectsStructure, sums: TailRowSums, q0: int) -> SparseTailProducts | None:
    """The tail's products kept sparse when its elimination creates no fill (nested factors) or when
    forced; None when the dense tail is the better choice (crossed factors fill the tail in).

    The decision, pattern, downdate layout and symbolic factorization depend on the rows' structure
    only, so a PIRLS step (same rows, new weights) reuses the previous step's."""
    if FORCE_TAIL == "dense":
        return None
    key = _structure_key(sums, q0)
    if key not in _LAST_LAYOUT:
        _LAST_LAYOUT.clear()
        _LAST_LAYOUT[key] = _sparse_layout(structure, sums, q0)
    layout = _LAST_LAYOUT[key]
    if layout is None:
        return None
    pattern, no_fill, downdate, symbolic = layout
    return sparse_tail_products(sums.rr, sums.rf, sums.ff, sums.tail0, pattern, no_fill, downdate, symbolic)


def _sparse_layout(structure: RandomEffectsStructure, sums: TailRowSums, q0: int):
    units = TailUnits.from_terms(structure.terms[1:])
    mr = units.mr
    pairs = count_downdate_pairs(sums.tail0, q0)
    if FORCE_TAIL != "sparse" and (pairs > MAX_SPARSE_PAIRS or pairs > mr * (mr + 1) // 2):
        return None  # crossed, or so many products that they cover the whole triangle: dense
    big, small, no_fill = tail_structure(sums.rr, sums.tail0, q0, units)
    if not no_fill and FORCE_TAIL != "sparse":
        return None
    pattern = expand_units(big, small, units)
    if FORCE_TAIL != "sparse" and pattern.nnz > MAX_SPARSE_DENSITY * mr * (mr + 1) / 2:
        return None  # filled in already (a complete graph has no fill to make): LAPACK is far faster
    return pattern, no_fill, downdate_layout(sums.tail0, q0, pattern, sums.rf.shape[1]), SymbolicCache()


def physical_memory() -> int | None:
    """Bytes of RAM on this machine, None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_dense_tail_memory(m: int, n_random_tail: int) -> None:
    """Refuse a dense tail that cannot fit in this machine's memory, saying how much it needs."""
    need = DENSE_COPIES * 8 * m * m
    have = physical_memory()
    if have is not None and need > have:
        raise MixedModelError(
            f"the random-effect terms after the largest one have {n_random_tail:,} effects in all, and they "
            f"are crossed, so their block fills in: factoring it needs about {need / 2**30:.1f} GiB "
            f"({DENSE_COPIES} dense {m:,} × {m:,} arrays), more than this machine's {have / 2**30:.1f} GiB. "
            "Nested factors are handled sparsely at any size; for crossed ones consider fewer levels in "
            "the smaller factors (e.g. merge rare levels)."
        )
