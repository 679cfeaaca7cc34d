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
    data = pd.DataFrame({"y": rng.normal(size=school.size), "x": rng.normal(size=school.size),
                         "school": school.astype(str), "class": klass.astype(str),
                         "rater": rng.integers(0, 300, school.size).astype(str)})
    for formula, sparse in (("y ~ x + (1 | school/class)", True), ("y ~ x + (1 | school:class) + (1 | rater)", False)):
        design = build_design(parse_formula(formula), data)
        structure = build_structure(design.terms)
        cp = crossprod.build_cross_products(structure, design.terms, design.X, design.y)
        assert (cp.sparse is not None) == sparse, formula
