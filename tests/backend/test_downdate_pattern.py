"""The precomputed downdate Σ_g A_g W_g A_g' (lower triangle), built in chunks of levels."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from mixedwidgets.backend import downdate


def direct_downdate(tail0: sp.csr_matrix, w: np.ndarray, q0: int) -> np.ndarray:
    a = tail0.toarray()
    m = a.shape[0]
    out = np.zeros((m, m))
    for g in range(w.shape[0]):
        block = a[:, g * q0 : (g + 1) * q0]
        out += block @ w[g] @ block.T
    return np.tril(out)


@pytest.mark.parametrize("q0", [1, 2, 3])
@pytest.mark.parametrize("chunk", [1, 13, 10**7])
@pytest.mark.parametrize("kept_by", ["position", "level"])
@pytest.mark.parametrize("into", ["new array", "given array", "given array, no scipy routine"])
def test_the_pattern_gives_the_downdate_whatever_the_chunks(monkeypatch, q0, chunk, kept_by, into):
    monkeypatch.setattr(downdate, "CHUNK_PAIRS", chunk)
    monkeypatch.setattr(downdate, "BY_POSITION_FROM", 0.0 if kept_by == "position" else np.inf)
    if into == "given array, no scipy routine":
        monkeypatch.setattr(downdate, "_sparsetools", None)
    rng = np.random.default_rng(q0)
    levels, m = 30, 45
    tail0 = sp.random(m, levels * q0, density=0.25, random_state=q0, format="csr")
    w = rng.normal(size=(levels, q0, q0))
    w = w + w.transpose(0, 2, 1)  # W_g is symmetric
    pattern = downdate.build_downdate_pattern(tail0, q0)
    assert pattern is not None
    assert pattern.products.format == ("csr" if kept_by == "position" else "csc")
    out = None if into == "new array" else np.full((m, m), np.nan)  # whatever the array held before
    result = pattern.downdate(w, out=out)
    assert out is None or result is out
    np.testing.assert_allclose(result, direct_downdate(tail0, w, q0), rtol=1e-12, atol=1e-12)
    base = rng.normal(size=(m, m))  # what factorize subtracts it from (Z'Z), the caller's array untouched
    kept = base.copy()
    out = None if into == "new array" else np.full((m, m), np.nan)
    result = pattern.subtracted_from(base, w, out=out)
    assert out is None or result is out
    lower = np.tril_indices(m)
    np.testing.assert_allclose(result[lower], (base - direct_downdate(tail0, w, q0))[lower], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(base, kept)


def test_too_many_products_are_not_precomputed(monkeypatch):
    tail0 = sp.random(40, 20, density=0.5, random_state=0, format="csr")
    monkeypatch.setattr(downdate, "MAX_PAIRS", 10)
    assert downdate.build_downdate_pattern(tail0, 1) is None


def test_level_chunks_cover_every_level_once():
    per_level = np.array([0, 5, 100, 3, 3, 0, 40, 1], dtype=np.int64)
    chunks = downdate._level_chunks(per_level)
    assert chunks[0][0] == 0 and chunks[-1][1] == per_level.size
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))
