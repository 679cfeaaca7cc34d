"""Each piece of the LMM engine against plain dense numpy on small random problems.

For a random design and a random θ (not the optimum: every entry of Λ matters), the blocked
cross-products and blocked Cholesky must give what the textbook dense formulas give:
log|Λ'Z'WZΛ + I|, log|R_X|², the penalized residual sum of squares, the profiled REML and ML
deviances, β̂, the conditional modes b = Λû and their conditional covariances σ² Λ A⁻¹ Λ'.
Both the dense tail and the sparse tail of the engine are driven (the threshold is lowered), and the dense
tail built from row sums with its precomputed downdate pattern (the tail forced dense).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.linalg as la

from mixedwidgets.backend import crossprod, crossprod_dense, downdate, factor
from mixedwidgets.backend.crossprod import build_cross_products
from mixedwidgets.backend.factor import factorize
from mixedwidgets.backend.lmm import profiled_deviance
from mixedwidgets.backend.reterms import build_structure
from mixedwidgets.backend.solve import conditional_covariances, conditional_modes, fixed_effects, spherical_modes
from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula

FORMULAS = {
    "scalar": "y ~ x + (1 | g)",
    "vector": "y ~ x + (1 + x | g)",
    "crossed": "y ~ x + (1 | g) + (1 | h)",
    "vector_in_tail": "y ~ x + (1 | g) + (1 + x | h)",
    "two_vector_terms": "y ~ x + z + (1 + x | g) + (1 + z | h)",
    "nested": "y ~ x + (1 | a/b)",
    "uncorrelated": "y ~ x + (x || g) + (1 | h)",
    "three_crossed": "y ~ x + (1 | g) + (1 + z | h) + (1 | a)",
    "four_terms": "y ~ x + (1 | g) + (1 + z | h) + (1 | a) + (1 | b)",  # three terms in the tail
}


def random_frame(seed: int, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=n) * 2 + 1,
            "z": rng.uniform(-1, 3, size=n),
            "g": rng.integers(0, 23, size=n).astype(str),
            "h": rng.integers(0, 9, size=n).astype(str),
            "a": rng.integers(0, 6, size=n).astype(str),
            "b": rng.integers(0, 4, size=n).astype(str),
        }
    )
    frame["y"] = 1 + 0.5 * frame.x + rng.normal(size=n) + rng.normal(size=23)[frame.g.astype(int)]
    return frame


def dense_problem(design, structure):
    """Z (n × q) and Λ (q × q) in the engine's term order."""
    n = design.y.shape[0]
    z_blocks, lambda_blocks = [], []
    for layout in structure.terms:
        term = design.terms[layout.design_position]
        values = np.asarray(term.values, dtype=float).reshape(n, layout.q)
        z = np.zeros((n, layout.n_levels * layout.q))
        for j in range(layout.q):
            z[np.arange(n), np.asarray(term.codes) * layout.q + j] = values[:, j]
        z_blocks.append(z)
        lambda_blocks.append(layout)
    return np.hstack(z_blocks), lambda_blocks


def dense_lambda(layouts, theta, structure) -> np.ndarray:
    factors = structure.factors(theta)
    return la.block_diag(*[np.kron(np.eye(t.n_levels), f) for t, f in zip(layouts, factors)])


def dense_answers(design, structure, theta, weights):
    z, layouts = dense_problem(design, structure)
    lam = dense_lambda(layouts, theta, structure)
    X, y = design.X, design.y
    w = np.ones(len(y)) if weights is None else weights
    zl = z @ lam
    a = zl.T @ (w[:, None] * zl) + np.eye(zl.shape[1])
    q, p = zl.shape[1], X.shape[1]
    big = np.block([[a, zl.T @ (w[:, None] * X)], [X.T @ (w[:, None] * zl), X.T @ (w[:, None] * X)]])
    rhs = np.concatenate([zl.T @ (w * y), X.T @ (w * y)])
    solution = np.linalg.solve(big, rhs)
    u, beta = solution[:q], solution[q:]
    resid = y - X @ beta - zl @ u
    pwrss = float(np.sum(w * resid**2) + u @ u)
    schur = big[q:, q:] - big[q:, :q] @ np.linalg.solve(a, big[:q, q:])
    a_inv = np.linalg.inv(a)
    return {
        "logdet_random": np.linalg.slogdet(a)[1],
        "logdet_fixed": np.linalg.slogdet(schur)[1],
        "pwrss": pwrss,
        "beta": beta,
        "b": lam @ u,
        "cond_cov": lam @ a_inv @ lam.T,
        "n": len(y),
        "p": p,
    }


def engine_answers(design, structure, theta, weights):
    sqrt_w = None if weights is None else np.sqrt(weights)
    cp = build_cross_products(structure, design.terms, design.X, design.y, sqrt_w)
    f = factorize(cp, structure, theta, with_tail0=True)
    beta = fixed_effects(f)
    b = conditional_modes(spherical_modes(f, structure, beta), f.factors)
    covs = conditional_covariances(f, structure, 1.0, cp.pattern)
    if cp.pattern is not None:  # the same from L_rr⁻¹ and the coupling, the path without a pattern
        for with_pattern, without in zip(covs, conditional_covariances(f, structure, 1.0)):
            np.testing.assert_allclose(with_pattern, without, rtol=1e-9, atol=1e-13)
    return f, beta, b, covs, cp


def random_theta(structure, rng) -> np.ndarray:
    theta = rng.normal(scale=0.8, size=structure.n_theta)
    return np.where(structure.lower == 0, np.abs(theta) + 0.05, theta)


@pytest.fixture(
    params=["dense_tail", "sparse_tail", "forced_sparse_tail", "dense_tail_from_row_sums", "downdate_by_level"]
)
def tail_path(request, monkeypatch):
    if request.param == "sparse_tail":  # sparse where the tail eliminates without fill, else dense from sums
        monkeypatch.setattr(crossprod_dense, "MAX_DENSE_FLOPS", 0)
    if request.param == "forced_sparse_tail":  # every tail through qdldl, filled-in ones too (small designs
        monkeypatch.setattr(crossprod, "FORCE_TAIL", "sparse")  # are dense by the density rule otherwise)
    if request.param in ("dense_tail_from_row_sums", "downdate_by_level"):  # with the precomputed downdate
        monkeypatch.setattr(crossprod, "FORCE_TAIL", "dense")  # pattern, its products kept by position
    if request.param == "downdate_by_level":  # (CSR, many products per entry of the tail) or by level (CSC)
        monkeypatch.setattr(downdate, "BY_POSITION_FROM", np.inf)
        monkeypatch.setattr(factor, "SCALE_ROWS", 5)  # bands of rows that cut through levels of vector terms
    return request.param


@pytest.mark.parametrize("name", sorted(FORMULAS))
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
def test_blocked_engine_equals_dense_linear_algebra(name, seed, weighted, tail_path):
    frame = random_frame(seed)
    design = build_design(parse_formula(FORMULAS[name]), frame)
    structure = build_structure(design.terms)
    rng = np.random.default_rng(100 + seed)
    weights = rng.uniform(0.5, 2.0, size=len(design.y)) if weighted else None
    theta = random_theta(structure, rng)
    expected = dense_answers(design, structure, theta, weights)
    f, beta, b, covs, cp = engine_answers(design, structure, theta, weights)
    assert (cp.n, cp.p) == (expected["n"], expected["p"])
    if cp.pattern is not None:  # the small designs have many products per tail entry: kept by position
        assert cp.pattern.products.format == ("csc" if tail_path == "downdate_by_level" else "csr")
    assert f.logdet_random == pytest.approx(expected["logdet_random"], rel=1e-9, abs=1e-9)
    assert f.logdet_fixed == pytest.approx(expected["logdet_fixed"], rel=1e-9, abs=1e-9)
    assert f.pwrss == pytest.approx(expected["pwrss"], rel=1e-9)
    np.testing.assert_allclose(beta, expected["beta"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(np.concatenate([bk.ravel() for bk in b]), expected["b"], rtol=1e-7, atol=1e-10)
    start = 0
    for layout, cov in zip(structure.terms, covs):
        block = expected["cond_cov"][start : start + layout.size, start : start + layout.size]
        for level in range(layout.n_levels):
            s = slice(level * layout.q, (level + 1) * layout.q)
            np.testing.assert_allclose(cov[level], block[s, s], rtol=1e-7, atol=1e-11)
        start += layout.size


@pytest.mark.parametrize("name", ["vector", "vector_in_tail", "nested"])
@pytest.mark.parametrize("reml", [True, False])
def test_profiled_deviance_equals_the_dense_formula(name, reml, tail_path):
    frame = random_frame(7)
    design = build_design(parse_formula(FORMULAS[name]), frame)
    structure = build_structure(design.terms)
    theta = random_theta(structure, np.random.default_rng(3))
    d = dense_answers(design, structure, theta, None)
    dof = d["n"] - d["p"] if reml else d["n"]
    expected = d["logdet_random"] + dof * (1 + np.log(2 * np.pi * d["pwrss"] / dof))
    expected += d["logdet_fixed"] if reml else 0.0
    f = engine_answers(design, structure, theta, None)[0]
    assert profiled_deviance(f, d["n"], reml) == pytest.approx(expected, rel=1e-10)


def test_the_sparse_tail_fixture_really_takes_the_sparse_path(monkeypatch):
    design = build_design(parse_formula(FORMULAS["crossed"]), random_frame(1))
    structure = build_structure(design.terms)
    dense = build_cross_products(structure, design.terms, design.X, design.y)
    monkeypatch.setattr(crossprod_dense, "MAX_DENSE_FLOPS", 0)
    sparse = build_cross_products(structure, design.terms, design.X, design.y)
    assert isinstance(dense.tail0, np.ndarray) and not isinstance(sparse.tail0, np.ndarray)
