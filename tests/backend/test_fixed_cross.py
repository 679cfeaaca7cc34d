"""[X y]'W[X y] (crossprod_dense._fixed_cross, column_gram): dot products of columns for few fixed effects,
one matrix product for many; both against the dense formula."""

from __future__ import annotations

import numpy as np
import pytest

from mixedwidgets.backend.crossprod_dense import DOT_PRODUCTS_UP_TO, _fixed_cross, column_gram


@pytest.mark.parametrize("p", [0, 1, 2, DOT_PRODUCTS_UP_TO, DOT_PRODUCTS_UP_TO + 1, 14])
@pytest.mark.parametrize("layout", ["C", "F"])
def test_fixed_cross_is_the_weighted_gram_matrix_of_x_and_y(p, layout):
    rng = np.random.default_rng(p)
    n = 257
    X = np.asarray(rng.normal(size=(n, p)) * rng.uniform(0.1, 10, p), order=layout)
    y, w = rng.normal(size=n), rng.uniform(0.2, 3.0, n)
    full = np.column_stack([X, y])
    expected = full.T @ (w[:, None] * full)
    got = _fixed_cross(X, y, w)
    assert got.shape == (p + 1, p + 1)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())
    np.testing.assert_allclose(got, got.T, rtol=1e-12, atol=1e-12 * np.abs(expected).max())  # gemm: to rounding


def test_column_gram_without_weights_is_the_plain_gram_matrix():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(100, 4))
    np.testing.assert_allclose(column_gram(list(A.T)), A.T @ A, rtol=1e-12)
