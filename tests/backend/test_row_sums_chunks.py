"""The tail's row sums (backend/row_sums.py) from chunks of rows added together (as dask partitions are)
against the dense products of Z (built level by level in test_engine_dense_reference) and [X y], weighted;
and the root-mean-square of columns (backend/scaling.py) that the engine divides them by."""

from __future__ import annotations

import numpy as np
import pytest
from test_engine_dense_reference import dense_problem, random_frame

from mixedwidgets.backend import row_sums
from mixedwidgets.backend.reterms import build_structure
from mixedwidgets.backend.row_sums import chunk_sums
from mixedwidgets.backend.scaling import column_rms, scaled_terms
from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula


def test_two_chunks_add_up_to_the_dense_products():
    design = build_design(parse_formula("y ~ x + (1 + x | g) + (1 | h) + (1 | a)"), random_frame(5))
    structure = build_structure(design.terms)
    n = len(design.y)
    w = np.random.default_rng(5).uniform(0.5, 2.0, n)
    X, y = np.asarray(design.X), np.asarray(design.y)
    first = chunk_sums(structure, design.terms, X, y, np.sqrt(w), slice(0, 100))
    second = chunk_sums(structure, design.terms, X, y, np.sqrt(w), slice(100, n))
    total = first + second
    z, _ = dense_problem(design, structure)
    g = structure.terms[0]
    m0 = g.n_levels * g.q
    z0, zr = z[:, :m0], z[:, m0:]
    fixed = np.column_stack([X, y])
    ztz0 = z0.T @ (w[:, None] * z0)
    blocks = np.array([ztz0[i * g.q : (i + 1) * g.q, i * g.q : (i + 1) * g.q] for i in range(g.n_levels)])
    np.testing.assert_allclose(total.diag0, blocks, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(total.rr.toarray(), zr.T @ (w[:, None] * zr), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(total.rf, zr.T @ (w[:, None] * fixed), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(total.ff, fixed.T @ (w[:, None] * fixed), rtol=1e-12)
    tail0 = np.vstack([zr.T @ (w[:, None] * z0), fixed.T @ (w[:, None] * z0)])
    np.testing.assert_allclose(total.tail0.toarray(), tail0, rtol=1e-12, atol=1e-12)


def test_the_row_pass_in_three_chunks_equals_one(monkeypatch):
    design = build_design(parse_formula("y ~ x + (1 + x | g) + (1 | h)"), random_frame(6))
    structure = build_structure(design.terms)
    X, y = np.asarray(design.X), np.asarray(design.y)
    whole = row_sums.tail_row_sums(structure, design.terms, X, y)
    monkeypatch.setattr(row_sums, "row_chunks", lambda n: [slice(0, 70), slice(70, 150), slice(150, n)])
    chunked = row_sums.tail_row_sums(structure, design.terms, X, y)
    for name in ("diag0", "rf", "ff"):
        np.testing.assert_allclose(getattr(chunked, name), getattr(whole, name), rtol=1e-12, atol=1e-12)
    for name in ("tail0", "rr"):
        np.testing.assert_allclose(getattr(chunked, name).toarray(), getattr(whole, name).toarray(), atol=1e-12)


def test_column_rms_is_the_root_mean_square_over_rows():
    values = np.array([[3.0, 0.0, 1.0, 0.5], [4.0, 0.0, -1.0, -0.5], [0.0, 0.0, 1.0, 0.5], [0.0, 0.0, -1.0, 0.5]])
    np.testing.assert_allclose(column_rms(values), [np.sqrt(25 / 4), 1.0, 1.0, 0.5])  # an all-zero column: 1


@pytest.mark.parametrize("formula", ["y ~ x + (0 + x | g)", "y ~ x + (1 + x | g) + (z || h)"])
def test_scaled_terms_divide_every_column_by_its_rms(formula):
    frame = random_frame(7).assign(x=lambda d: d["x"] * 40.0)
    design = build_design(parse_formula(formula), frame)
    terms, scales = scaled_terms(design.terms)
    for original, scaled, d in zip(design.terms, terms, scales):
        values = np.asarray(original.values, dtype=float).reshape(len(original.codes), -1)
        np.testing.assert_allclose(d, np.sqrt(np.mean(values**2, axis=0)), rtol=1e-12)
        np.testing.assert_allclose(np.asarray(scaled.values).reshape(values.shape), values / d, rtol=1e-12)
        np.testing.assert_array_equal(scaled.codes, original.codes)
