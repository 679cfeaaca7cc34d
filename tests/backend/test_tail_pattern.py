"""The structural pieces of the tail: fill detection, pattern layout, and the chunked row pass."""

import numpy as np
import pandas as pd
import pytest

from mixedwidgets.backend import crossprod_dense
from mixedwidgets.backend.crossprod import build_cross_products
from mixedwidgets.backend.reterms import build_structure
from mixedwidgets.backend.row_sums import tail_row_sums
from mixedwidgets.backend.tail_pattern import TailUnits, eliminates_without_fill, expand_units, unit_pairs
from mixedwidgets.design.build import build_design
from mixedwidgets.formula import parse_formula


def _edges(pairs):
    big = np.array([max(a, b) for a, b in pairs], dtype=np.int64)
    small = np.array([min(a, b) for a, b in pairs], dtype=np.int64)
    return big, small


@pytest.mark.parametrize(
    "pairs, n, no_fill",
    [
        ([], 3, True),
        ([(0, 2), (1, 2)], 3, True),  # a star: leaves first, no fill
        ([(0, 1), (0, 2)], 3, False),  # 0's later neighbours 1, 2 are not joined: fill (1, 2)
        ([(0, 1), (0, 2), (1, 2)], 3, True),  # a clique
        ([(0, 3), (1, 3), (2, 4), (3, 5), (4, 5)], 6, True),  # a tree: classes → schools → district
        ([(0, 2), (0, 3), (1, 2), (1, 3)], 4, False),  # crossed 2 × 2: a 4-cycle fills in
    ],
)
def test_perfect_elimination_order_is_recognised(pairs, n, no_fill):
    big, small = _edges(pairs)
    assert eliminates_without_fill(big, small, n) == no_fill


def test_pattern_is_block_closed_and_sorted_for_vector_terms():
    units = TailUnits(start=np.array([0, 2, 3]), q=np.array([2, 1, 1]), of_row=np.array([0, 0, 1, 2]))
    big, small = unit_pairs(np.array([2]), np.array([1]), units)  # row 2 (unit 1) with row 1 (unit 0)
    pattern = expand_units(big, small, units)
    entries = list(zip(pattern.rows.tolist(), pattern.cols.tolist()))
    assert entries == sorted(entries)
    assert {(2, 0), (2, 1), (1, 0), (0, 0), (1, 1), (2, 2), (3, 3)} == set(entries)
    assert pattern.indptr.tolist() == [0, 1, 3, 6, 7]


def _design(formula, seed=3, n=3_000):
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "a": rng.integers(0, 40, n),
            "b": rng.integers(0, 15, n),
            "w": rng.uniform(0.5, 2.0, n),
        }
    )
    return build_design(parse_formula(formula), data)


@pytest.mark.parametrize("formula", ["y ~ x + (1 + x | a)", "y ~ x + (1 | a) + (1 + x | b)"])
def test_chunked_row_pass_equals_one_pass(formula, monkeypatch):
    design = _design(formula)
    structure = build_structure(design.terms)
    sqrt_w = np.sqrt(np.random.default_rng(1).uniform(0.5, 2.0, len(design.y)))
    whole = build_cross_products(structure, design.terms, design.X, design.y, sqrt_w)
    monkeypatch.setattr(crossprod_dense, "ROW_CHUNK", 7)  # many chunks, boundaries mid-level
    from mixedwidgets.backend import row_sums

    monkeypatch.setattr(row_sums, "row_chunks", lambda n: crossprod_dense.row_chunks(n, 7))
    monkeypatch.setattr(
        crossprod_dense, "row_chunks", lambda n, size=7: [slice(s, min(n, s + size)) for s in range(0, n, size)]
    )
    chunked = build_cross_products(structure, design.terms, design.X, design.y, sqrt_w)
    np.testing.assert_allclose(chunked.diag0, whole.diag0, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(chunked.tailtail), np.asarray(whole.tailtail), rtol=1e-11, atol=1e-9)
    t0 = lambda cp: cp.tail0.toarray() if hasattr(cp.tail0, "toarray") else cp.tail0
    np.testing.assert_allclose(t0(chunked), t0(whole), rtol=1e-11, atol=1e-9)


def test_row_sums_add_up_across_chunks():
    design = _design("y ~ x + (1 | a) + (1 + x | b)")
    structure = build_structure(design.terms)
    whole = tail_row_sums(structure, design.terms, design.X, design.y)
    n = len(design.y)
    half = n // 2
    from mixedwidgets.backend.row_sums import chunk_sums

    parts = chunk_sums(structure, design.terms, design.X, design.y, None, slice(0, half)) + chunk_sums(
        structure, design.terms, design.X, design.y, None, slice(half, n)
    )
    np.testing.assert_allclose(parts.rr.toarray(), whole.rr.toarray(), rtol=1e-12)
    np.testing.assert_allclose(parts.rf, whole.rf, rtol=1e-12)
    np.testing.assert_allclose(parts.tail0.toarray(), whole.tail0.toarray(), rtol=1e-12, atol=1e-12)
