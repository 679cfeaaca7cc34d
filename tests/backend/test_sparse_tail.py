"""The sparse tail (nested and crossed designs) against lme4, and against the dense tail.

Every case is fitted with the tail forced dense and forced sparse (crossprod.FORCE_TAIL): both must
reach lme4's optimum, and each other's to far tighter tolerances. Several cases put a vector-valued
term (1 + x | h) into the tail, where Λ must be applied as Λ'SΛ.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from golden import _cases_in, compare_fixed, compare_ranef, compare_varcorr, load_data

import mixedwidgets as mw
from mixedwidgets.backend import crossprod
from mixedwidgets.design.build import build_design
from mixedwidgets.formula import parse_formula

SPARSE = Path(__file__).resolve().parents[1] / "reference" / "sparse"
CASES = _cases_in(SPARSE, SPARSE / "data")


def _fit(case, tail, monkeypatch):
    monkeypatch.setattr(crossprod, "FORCE_TAIL", tail)
    data = load_data(case)
    if case.family == "gaussian":
        return mw.fit(case.formula, data, reml=case.reml)
    return mw.fit(case.formula, data, family=case.family, nagq=case.nagq)


@pytest.fixture(scope="module", params=CASES, ids=lambda c: c.name)
def fitted(request):
    with pytest.MonkeyPatch.context() as mp:
        dense = _fit(request.param, "dense", mp)
        sparse = _fit(request.param, "sparse", mp)
        auto = _fit(request.param, None, mp)
    return request.param, dense, sparse, auto


def test_sparse_tail_matches_lme4(fitted):
    case, _, sparse, _ = fitted
    assert abs(sparse.objective - case.answer["objective"]) < 2e-3
    compare_fixed(sparse, case.answer)
    compare_varcorr(sparse, case.answer)
    compare_ranef(sparse, case.answer)


def test_sparse_and_dense_tails_agree(fitted):
    _, dense, sparse, auto = fitted
    for other in (sparse, auto):
        assert other.objective == pytest.approx(dense.objective, rel=1e-9, abs=1e-7)
        np.testing.assert_allclose(other.fixef, dense.fixef, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(other.theta, dense.theta, rtol=1e-4, atol=1e-6)
        a, b = dense.ranef(), other.ranef()
        np.testing.assert_allclose(b.condval, a.condval, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(b.condsd, a.condsd, rtol=1e-5, atol=1e-8)


def test_sparse_objective_equals_dense_at_the_same_theta(fitted, monkeypatch):
    """The two factorizations evaluate the same function: compare at a θ away from the optimum."""
    from mixedwidgets.backend.factor import factorize
    from mixedwidgets.backend.lmm import profiled_deviance
    from mixedwidgets.backend.reterms import build_structure
    from mixedwidgets.design.build import build_design

    case = fitted[0]
    if case.family != "gaussian":
        pytest.skip("LMM objective")
    design = build_design(parse_formula(case.formula), load_data(case))
    structure = build_structure(design.terms)
    theta = np.linspace(0.4, 1.3, structure.n_theta)
    theta[~structure.is_diagonal_entry()] = -0.3
    values = []
    for tail in ("dense", "sparse"):
        monkeypatch.setattr(crossprod, "FORCE_TAIL", tail)
        cp = crossprod.build_cross_products(structure, design.terms, design.X, design.y)
        assert (cp.sparse is not None) == (tail == "sparse")
        values.append(profiled_deviance(factorize(cp, structure, theta), cp.n, True))
    assert values[1] == pytest.approx(values[0], rel=1e-11)


def test_nested_designs_choose_the_sparse_tail():
    """Nested factors eliminate without fill, so the sparse tail is chosen by itself; crossed do not."""
    from mixedwidgets.backend.reterms import build_structure
    from mixedwidgets.design.build import build_design

    rng = np.random.default_rng(5)
    school = np.repeat(np.arange(300), 20)
    klass = np.tile(np.repeat(np.arange(4), 5), 300)
    data = pd.DataFrame(
        {
            "y": rng.normal(size=school.size),
            "x": rng.normal(size=school.size),
            "school": school.astype(str),
            "class": klass.astype(str),
            "rater": rng.integers(0, 300, school.size).astype(str),
        }
    )
    for formula, sparse in (("y ~ x + (1 | school/class)", True), ("y ~ x + (1 | school:class) + (1 | rater)", False)):
        design = build_design(parse_formula(formula), data)
        structure = build_structure(design.terms)
        cp = crossprod.build_cross_products(structure, design.terms, design.X, design.y)
        assert (cp.sparse is not None) == sparse, formula


def _random_design(seed):
    """A small random design: nested or crossed, scalar or vector terms in the tail, with or without weights."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(200, 600))
    data = pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "w": rng.uniform(0.3, 3.0, n),
            "a": rng.integers(0, int(rng.integers(20, 60)), n).astype(str),
            "b": rng.integers(0, int(rng.integers(3, 12)), n).astype(str),
            "c": rng.integers(0, int(rng.integers(2, 5)), n).astype(str),
        }
    )
    formulas = [
        "y ~ x + (1 | a/b)",
        "y ~ x + (1 | c/a/b)",
        "y ~ x + (1 | a) + (1 + x | b)",
        "y ~ x + (1 | a:b) + (1 + x | a)",
        "y ~ x + (1 | a) + (1 | b) + (1 | c)",
        "y ~ x + (1 + x || b:c) + (1 | c)",
    ]
    formula = formulas[seed % len(formulas)]
    design = build_design(parse_formula(formula), data, weights="w" if seed % 2 else None)
    return formula, design


@pytest.mark.parametrize("seed", range(18))
def test_random_designs_sparse_equals_dense_at_random_theta(seed, monkeypatch):
    from mixedwidgets.backend.factor import factorize
    from mixedwidgets.backend.lmm import profiled_deviance
    from mixedwidgets.backend.reterms import build_structure
    from mixedwidgets.backend.solve import conditional_covariances, fixed_effects, spherical_modes

    formula, design = _random_design(seed)
    structure = build_structure(design.terms)
    rng = np.random.default_rng(100 + seed)
    theta = np.where(
        structure.is_diagonal_entry(),
        rng.uniform(0.2, 2.0, structure.n_theta),
        rng.uniform(-0.8, 0.8, structure.n_theta),
    )
    sqrt_w = None if design.weights is None else np.sqrt(design.weights)
    out = {}
    for tail in ("dense", "sparse"):
        monkeypatch.setattr(crossprod, "FORCE_TAIL", tail)
        cp = crossprod.build_cross_products(structure, design.terms, design.X, design.y, sqrt_w)
        f = factorize(cp, structure, theta, with_tail0=True)
        beta = fixed_effects(f)
        u = np.concatenate([m.ravel() for m in spherical_modes(f, structure, beta)])
        cov = np.concatenate([c.ravel() for c in conditional_covariances(f, structure, 1.0)])
        out[tail] = (profiled_deviance(f, cp.n, True), beta, u, cov)
    for got, want in zip(out["sparse"], out["dense"]):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10, err_msg=formula)
