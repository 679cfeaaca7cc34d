"""The tail's row sums (backend/row_sums.py) from two chunks of rows added together (as dask partitions are)
against the dense products of Z (built level by level in test_engine_dense_reference) and [X y], weighted."""

from __future__ import annotations

import numpy as np
from test_engine_dense_reference import dense_problem, random_frame

from mixedwidgets.backend.reterms import build_structure
from mixedwidgets.backend.row_sums import chunk_sums
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
