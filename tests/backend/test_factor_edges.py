"""The blocked factorization's rarer paths, each checked by value against dense numpy.

The common paths are pinned by test_engine_dense_reference.py and test_sparse_tail.py; here: block 0
with more than SMALL_BLOCK columns, the closed-form and small Cholesky factors refusing a block that is
not positive definite, a dense tail downdated without the precomputed pattern (too many products), a
nested design pushed off the sparse tail for the same reason, the sparse tail's own solves, and the
profiled deviance where the factorization breaks down.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import scipy.sparse as sp
from test_engine_dense_reference import FORMULAS, dense_answers, dense_problem, random_frame, random_theta

from mixedwidgets.backend import crossprod, crossprod_dense, downdate
from mixedwidgets.backend.crossprod import build_cross_products
from mixedwidgets.backend.factor import factorize, first_block, first_block_downdate, small_cholesky
from mixedwidgets.backend.factor_sparse import factor_sparse_tail
from mixedwidgets.backend.lmm import make_objective, profiled_deviance
from mixedwidgets.backend.reterms import build_structure
from mixedwidgets.backend.solve import fixed_effects
from mixedwidgets.backend.tail_pattern import TailPattern
from mixedwidgets.design import build_design
from mixedwidgets.errors import MixedModelError
from mixedwidgets.formula import parse_formula


def _random_t(q: int, rng) -> np.ndarray:
    t = np.tril(rng.normal(size=(q, q)))
    t[np.diag_indices(q)] = np.abs(t[np.diag_indices(q)]) + 0.1
    return t


@pytest.mark.parametrize("q", [1, 2, 3, 9, 12])
def test_first_block_is_the_cholesky_factor_of_the_scaled_block_plus_identity(q):
    """q = 1, 2 (closed forms), 3 (vectorized small Cholesky), 9 and 12 (above SMALL_BLOCK: LAPACK)."""
    rng = np.random.default_rng(q)
    levels = 5
    zs = rng.normal(size=(levels, 3 * q, q))
    diag0 = np.einsum("gia,gib->gab", zs, zs)  # Z_g'Z_g per level
    t = _random_t(q, rng)
    chol, inv = first_block(diag0, t)
    for g in range(levels):
        expected = t.T @ diag0[g] @ t + np.eye(q)
        np.testing.assert_allclose(chol[g], np.linalg.cholesky(expected), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(inv[g] @ chol[g], np.eye(q), atol=1e-10)


@pytest.mark.parametrize("q", [2, 3])
def test_a_block_that_is_not_positive_definite_is_refused(q):
    rng = np.random.default_rng(4)
    good = np.stack([np.eye(q) * 2 + 0.1 * rng.normal(size=(q, q)) for _ in range(3)])
    good = (good + good.transpose(0, 2, 1)) / 2
    bad = np.eye(q)
    bad[-1, -1] = -1.0  # an indefinite level among good ones
    stack = np.concatenate([good, bad[None]])
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        first_block(stack - np.eye(q), np.eye(q))  # first_block adds I back: T'AT + I = stack
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        first_block(np.ones((1, q, q)) - np.eye(q), np.eye(q))  # semidefinite: a pivot exactly 0
    if q > 2:
        with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
            small_cholesky(stack)
        with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
            small_cholesky(np.ones((1, q, q)))  # semidefinite: a pivot exactly 0
        small = good / 4  # pivots below 1 (the engine's blocks, T'AT + I, never have them)
        np.testing.assert_allclose(small_cholesky(small), np.linalg.cholesky(small), rtol=1e-12)


def _check_against_dense(name, seed, weighted=False):
    design = _design(name, seed)
    structure = build_structure(design.terms)
    rng = np.random.default_rng(50 + seed)
    weights = rng.uniform(0.5, 2.0, size=len(design.y)) if weighted else None
    theta = random_theta(structure, rng)
    expected = dense_answers(design, structure, theta, weights)
    cp = build_cross_products(
        structure, design.terms, design.X, design.y, None if weights is None else np.sqrt(weights)
    )
    f = factorize(cp, structure, theta, with_tail0=True)
    assert f.logdet_random == pytest.approx(expected["logdet_random"], rel=1e-9)
    assert f.logdet_fixed == pytest.approx(expected["logdet_fixed"], rel=1e-9)
    assert f.pwrss == pytest.approx(expected["pwrss"], rel=1e-9)
    np.testing.assert_allclose(fixed_effects(f), expected["beta"], rtol=1e-8, atol=1e-10)
    return cp


@pytest.mark.parametrize("name", ["crossed", "vector_in_tail", "two_vector_terms"])
def test_dense_tail_downdated_without_the_precomputed_pattern(name, monkeypatch):
    """Too many pairwise products for the pattern: the downdate is the sparse product A W A' instead."""
    monkeypatch.setattr(crossprod, "FORCE_TAIL", "dense")  # through the row sums, kept dense
    monkeypatch.setattr(downdate, "MAX_PAIRS", 0)
    cp = _check_against_dense(name, 3, weighted=True)
    assert cp.tailtail is not None and cp.pattern is None and cp.sparse is None


def test_nested_design_leaves_the_sparse_tail_by_each_of_the_three_rules(monkeypatch):
    """The nested tail has no fill; it is kept sparse unless its downdate holds more products than
    MAX_SPARSE_PAIRS, or than its lower triangle has entries, or its pattern is denser than
    MAX_SPARSE_DENSITY (then LAPACK's dense Cholesky is faster). Each way, the answers are the dense ones."""
    design = _design("nested_many", 4)
    structure = build_structure(design.terms)
    z, _ = dense_problem(design, structure)
    q0 = structure.terms[0].size  # block 0 is (1 | a:b): one column per level
    mr = sum(t.size for t in structure.terms[1:])
    tail = np.column_stack([z[:, q0:], design.X, design.y])
    per_level = np.count_nonzero(tail.T @ z[:, :q0], axis=0)  # nonzero tail entries of each level's column
    pairs = int((per_level * (per_level + 1) // 2).sum())  # the products a_i·a_j (i ≥ j) the pattern holds
    assert pairs <= mr * (mr + 1) // 2  # nested: few products per level
    monkeypatch.setattr(crossprod_dense, "MAX_DENSE_FLOPS", 0)  # past the small dense layout
    monkeypatch.setattr(crossprod, "MAX_SPARSE_DENSITY", 1.0)
    monkeypatch.setattr(crossprod, "_LAST_LAYOUT", {})
    monkeypatch.setattr(crossprod, "MAX_SPARSE_PAIRS", pairs)  # at the limit: still sparse
    assert _check_against_dense("nested_many", 4).sparse is not None
    monkeypatch.setattr(crossprod, "_LAST_LAYOUT", {})
    monkeypatch.setattr(crossprod, "MAX_SPARSE_PAIRS", pairs - 1)
    cp = _check_against_dense("nested_many", 4)
    assert cp.sparse is None and cp.tailtail is not None
    monkeypatch.setattr(crossprod, "MAX_SPARSE_PAIRS", pairs)
    monkeypatch.setattr(crossprod, "_LAST_LAYOUT", {})
    monkeypatch.setattr(crossprod, "MAX_SPARSE_DENSITY", 0.0)  # any pattern is too dense
    cp = _check_against_dense("nested_many", 4)
    assert cp.sparse is None and cp.tailtail is not None
    monkeypatch.setattr(crossprod, "_LAST_LAYOUT", {})
    monkeypatch.setattr(crossprod, "FORCE_TAIL", "sparse")  # forced: sparse whatever the rules say
    assert _check_against_dense("nested_many", 4).sparse is not None


def _design(name: str, seed: int):
    """A design of test_engine_dense_reference, or 'crossed_with_fill': three crossed factors with few rows per
    level, whose tail fills in when eliminated (dense by itself, sparse only when forced)."""
    if name == "nested_many":  # 150 schools × 2 classes: a nested tail with few products per level
        frame = random_frame(seed)
        rng = np.random.default_rng(seed)
        frame["a"], frame["b"] = (
            rng.integers(0, 150, len(frame)).astype(str),
            rng.integers(0, 2, len(frame)).astype(str),
        )
        return build_design(parse_formula(FORMULAS["nested"]), frame)
    if name != "crossed_with_fill":
        return build_design(parse_formula(FORMULAS[name]), random_frame(seed))
    rng = np.random.default_rng(seed)
    frame = random_frame(seed)
    for column, levels in (("g", 100), ("h", 60), ("a", 50)):
        frame[column] = rng.integers(0, levels, len(frame)).astype(str)
    return build_design(parse_formula("y ~ x + (1 | g) + (1 | h) + (1 | a)"), frame)


def _sparse_tail_and_dense_schur(formula_name, seed, monkeypatch):
    """The engine's sparse tail at a random θ and the dense S_rr it factors: the random rows of the
    Schur complement of block 0 in Λ'Z'ZΛ + I."""
    monkeypatch.setattr(crossprod, "FORCE_TAIL", "sparse")
    design = _design(formula_name, seed)
    structure = build_structure(design.terms)
    theta = random_theta(structure, np.random.default_rng(seed))
    cp = build_cross_products(structure, design.terms, design.X, design.y)
    assert cp.sparse is not None
    factors = structure.factors(theta)
    chol0, chol0_inv = first_block(cp.diag0, factors[0])
    _, w = first_block_downdate(factors[0], chol0_inv)
    tail = factor_sparse_tail(cp.sparse, structure, factors, w, with_solves=True)
    z, layouts = dense_problem(design, structure)
    lam = sp.block_diag([sp.kron(sp.identity(t.n_levels), f) for t, f in zip(layouts, factors)]).toarray()
    zl = z @ lam
    a = zl.T @ zl + np.eye(zl.shape[1])
    q0 = structure.terms[0].size
    s_rr = a[q0:, q0:] - a[q0:, :q0] @ np.linalg.solve(a[:q0, :q0], a[:q0, q0:])
    return tail, s_rr, cp, structure, factors, w


@pytest.mark.parametrize("name", ["nested", "crossed", "vector_in_tail", "three_crossed", "crossed_with_fill"])
def test_sparse_tail_solves_against_the_dense_schur_complement(name, monkeypatch):
    """'nested' gives a diagonal S_rr (L without off-diagonal entries), the others a filled one;
    'crossed_with_fill' fills in when eliminated and is sparse only because it is forced."""
    tail, s_rr, cp, *_ = _sparse_tail_and_dense_schur(name, 5, monkeypatch)
    assert cp.sparse.no_fill == (name != "crossed_with_fill")
    diagonal_l = tail.ldl[0].nnz == tail.ldl[0].shape[0]
    assert diagonal_l == (name == "nested")
    assert tail.logdet == pytest.approx(np.linalg.slogdet(s_rr)[1], rel=1e-10)
    rng = np.random.default_rng(1)
    b = rng.normal(size=s_rr.shape[0])
    np.testing.assert_allclose(tail.solve(b), np.linalg.solve(s_rr, b), rtol=1e-9, atol=1e-12)
    block = rng.normal(size=(s_rr.shape[0], 3))
    half = tail.half_inverse(block)  # C⁻¹B with CC' = S_rr: (C⁻¹B)'(C⁻¹B) = B'S_rr⁻¹B whatever C is
    np.testing.assert_allclose(half.T @ half, block.T @ np.linalg.solve(s_rr, block), rtol=1e-9, atol=1e-12)


def test_sparse_tail_refuses_a_downdate_that_leaves_it_indefinite(monkeypatch):
    tail, s_rr, cp, structure, factors, w = _sparse_tail_and_dense_schur("crossed", 6, monkeypatch)
    with pytest.raises(np.linalg.LinAlgError):
        factor_sparse_tail(cp.sparse, structure, factors, 1e6 * w)  # removes far more than is there


def test_locating_an_entry_outside_the_tail_pattern_is_an_error():
    pattern = TailPattern(np.array([0, 1, 1]), np.array([0, 0, 1]), np.array([0, 1, 3]), 2)
    np.testing.assert_array_equal(pattern.locate(np.array([1, 0]), np.array([0, 0])), [1, 0])
    with pytest.raises(AssertionError, match="outside"):
        pattern.locate(np.array([2]), np.array([2]))


class _Factor:
    def __init__(self, pwrss):
        self.pwrss, self.p, self.logdet_random, self.logdet_fixed = pwrss, 1, 0.0, 0.0


def test_profiled_deviance_is_infinite_without_residual_variance():
    assert profiled_deviance(_Factor(0.0), 10, True) == np.inf
    assert profiled_deviance(_Factor(-1e-300), 10, False) == np.inf
    # the smallest positive pwrss gives the formula's finite value: ML n(1 + log(2π r²/n))
    assert profiled_deviance(_Factor(1e-300), 10, False) == pytest.approx(10 * (1 + np.log(2 * np.pi * 1e-301)))


@pytest.mark.parametrize("name", ["crossed", "nested", "vector_in_tail"])
def test_objective_is_infinite_where_the_factorization_breaks_down(name):
    design = build_design(parse_formula(FORMULAS[name]), random_frame(1))
    structure = build_structure(design.terms)
    cp = build_cross_products(structure, design.terms, design.X, design.y)
    objective = make_objective(cp, structure, True, 0.0)
    assert objective(np.where(structure.lower == 0, 1e10, 0.0)) == np.inf
    theta = np.where(structure.lower == 0, 0.7, 0.1)
    f = factorize(cp, structure, theta)
    assert objective(theta) == pytest.approx(profiled_deviance(f, cp.n, True), rel=1e-14)


def test_sparse_tail_with_a_tail_term_at_zero(monkeypatch):
    """θ = 0 for a tail term (a singular fit's boundary): S_rr has pivots exactly 1 there."""
    monkeypatch.setattr(crossprod, "FORCE_TAIL", "sparse")
    design = build_design(parse_formula(FORMULAS["three_crossed"]), random_frame(2))
    structure = build_structure(design.terms)
    theta = random_theta(structure, np.random.default_rng(2))
    theta[structure.terms[1].theta_slice] = 0.0
    expected = dense_answers(design, structure, theta, None)
    cp = build_cross_products(structure, design.terms, design.X, design.y)
    f = factorize(cp, structure, theta, with_tail0=True)
    assert f.logdet_random == pytest.approx(expected["logdet_random"], rel=1e-10)
    assert f.pwrss == pytest.approx(expected["pwrss"], rel=1e-10)


def test_the_sparse_symbolic_analysis_is_done_once_and_reused(monkeypatch):
    tail, s_rr, cp, structure, factors, w = _sparse_tail_and_dense_schur("three_crossed", 3, monkeypatch)
    solver = cp.sparse.symbolic.solver
    assert solver is not None  # kept from the first factorization
    again = factor_sparse_tail(cp.sparse, structure, factors, w)  # no solves needed: the cached one
    assert cp.sparse.symbolic.solver is solver and again.ldl is None
    assert again.logdet == pytest.approx(np.linalg.slogdet(s_rr)[1], rel=1e-10)


def test_physical_memory_and_the_dense_tail_refusal(monkeypatch):
    assert crossprod.physical_memory() == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    m = 20_000
    need = crossprod.DENSE_COPIES * 8 * m * m  # bytes of the dense m × m arrays: 8.9 GiB
    monkeypatch.setattr(crossprod, "physical_memory", lambda: need)
    crossprod.check_dense_tail_memory(m, m - 3)  # exactly fits
    monkeypatch.setattr(crossprod, "physical_memory", lambda: need - 1)
    expected = r"19,997 effects .* about 8\.9 GiB \(3 dense 20,000 × 20,000 arrays\), more than this machine's 8\.9 GiB"
    with pytest.raises(MixedModelError, match=expected):
        crossprod.check_dense_tail_memory(m, m - 3)


def test_a_crossed_dense_tail_is_sized_before_it_is_formed(monkeypatch):
    """The refusal comes from the cross-products' own size: m = the tail's random rows + p + 1."""
    monkeypatch.setattr(crossprod, "FORCE_TAIL", "dense")
    design = _design("crossed_with_fill", 1)
    structure = build_structure(design.terms)
    mr = sum(t.size for t in structure.terms[1:])
    m = mr + design.X.shape[1] + 1
    monkeypatch.setattr(crossprod, "physical_memory", lambda: crossprod.DENSE_COPIES * 8 * m * m - 1)
    with pytest.raises(MixedModelError, match=rf"have {mr:,} effects .*dense {m:,} × {m:,} arrays"):
        build_cross_products(structure, design.terms, design.X, design.y)
    monkeypatch.setattr(crossprod, "physical_memory", lambda: crossprod.DENSE_COPIES * 8 * m * m)
    cp = build_cross_products(structure, design.terms, design.X, design.y)
    assert cp.pattern is not None  # an LMM's dense tail precomputes its downdate (a speed-up, same values)
    assert build_cross_products(structure, design.terms, design.X, design.y, with_pattern=False).pattern is None


@pytest.mark.parametrize("weighted", [False, True])
def test_cross_products_summed_in_chunks_of_rows(weighted, monkeypatch):
    """Rows are summed in chunks (ROW_CHUNK, 2^18, on large data): chunks of 37 rows give the same sums."""
    design = build_design(parse_formula(FORMULAS["two_vector_terms"]), random_frame(8))
    structure = build_structure(design.terms)
    weights = np.random.default_rng(8).uniform(0.5, 2, len(design.y)) if weighted else None
    whole = crossprod_dense.dense_cross_products(structure, design.terms, design.X, design.y, weights)
    real = crossprod_dense.row_chunks
    monkeypatch.setattr(crossprod_dense, "row_chunks", lambda n: real(n, 37))
    assert len(crossprod_dense.row_chunks(len(design.y))) == 7  # 240 rows
    chunked = crossprod_dense.dense_cross_products(structure, design.terms, design.X, design.y, weights)
    for a, b in zip(chunked[:3], whole[:3]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert chunked[3] == whole[3]
