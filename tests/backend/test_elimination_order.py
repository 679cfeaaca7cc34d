"""The LMM engine's elimination order (backend/elimination.py): the term with most random effects first
when lme4's order would leave a large tail, and the fit mapped back to lme4's order of terms.

Checked against lme4 on a stored crossed case whose vector term has fewer levels but more effects
(`tests/reference/sparse/crossed_slope_reordered`), against the same fit in lme4's order, and the
mapping itself on a three-term structure."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets.backend import elimination, lmm
from mixedwidgets.backend.convergence import ConvergenceReport
from mixedwidgets.backend.elimination import elimination_order
from mixedwidgets.backend.fit_record import DeferredCovariances, LmmFit
from mixedwidgets.backend.optimizer import OptSummary
from mixedwidgets.backend.reterms import build_structure
from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula

FOLDER = Path(__file__).resolve().parents[1] / "reference" / "sparse"
FORMULA = "y ~ x + (1 | a) + (1 + x | b)"


@pytest.fixture(scope="module")
def case():
    answer = json.loads((FOLDER / "crossed_slope_reordered.json").read_text())
    data = pd.read_csv(FOLDER / "data" / "crossed_slope_reordered.csv", dtype={"a": str, "b": str})
    return answer, data


def test_the_vector_term_goes_first_and_the_fit_is_lme4s(case):
    answer, data = case
    structure = build_structure(build_design(parse_formula(FORMULA), data).terms)
    assert [t.group for t in structure.terms] == ["a", "b"]  # lme4's order: a has more levels
    reorder = elimination_order(structure)
    assert reorder is not None and [t.group for t in reorder.engine.terms] == ["b", "a"]  # b: 800 effects
    fit = mw.fit(FORMULA, data)
    assert [t.group for t in fit.engine_fit.structure.terms] == ["a", "b"]
    assert fit.objective == pytest.approx(answer["objective"], rel=1e-10)
    np.testing.assert_allclose(fit.theta, answer["theta"], rtol=2e-4, atol=1e-5)  # lme4's order of θ
    np.testing.assert_allclose(fit.engine_fit.optsummary.final, fit.theta)
    ours = {
        (g, t, lv): sd for g, t, lv, sd in fit.ranef()[["group", "term", "level", "condsd"]].itertuples(index=False)
    }
    ref = pd.DataFrame(answer["ranef"])
    got = np.array([ours[(g, t, str(lv))] for g, t, lv in ref[["grpvar", "term", "grp"]].itertuples(index=False)])
    np.testing.assert_allclose(got, ref.condsd, rtol=1e-4)


@pytest.mark.parametrize("keep_best_from", [0, 10**9])  # the covariances deferred, or computed in the fit
def test_the_reordered_fit_equals_the_fit_in_lme4s_order(case, monkeypatch, keep_best_from):
    from mixedwidgets.backend.downdate import DowndatePattern

    _, data = case
    monkeypatch.setattr(lmm, "KEEP_BEST_FROM", keep_best_from)
    monkeypatch.setattr(DowndatePattern, "nbytes", property(lambda self: 0))  # deferral not refused for size
    reordered = mw.fit(FORMULA, data)
    monkeypatch.setattr(elimination, "REORDER_FROM", 10**9)
    plain = mw.fit(FORMULA, data)
    assert isinstance(reordered.engine_fit.ranef_cov, DeferredCovariances) == (keep_best_from == 0)
    assert reordered.objective == pytest.approx(plain.objective, rel=1e-10)
    np.testing.assert_allclose(reordered.theta, plain.theta, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(reordered.fixef, plain.fixef, rtol=1e-6)
    a, b = reordered.ranef(), plain.ranef()
    assert list(a.group) == list(b.group) and list(a.level) == list(b.level) and list(a.term) == list(b.term)
    np.testing.assert_allclose(a.condval, b.condval, rtol=1e-4, atol=2e-5)  # two optimizer paths: θ ~1e-5 apart
    np.testing.assert_allclose(a.condsd, b.condsd, rtol=1e-5)
    assert reordered.engine_fit.convergence.gradient.size == plain.engine_fit.convergence.gradient.size


def test_the_mapping_back_on_three_terms():
    """Terms (lme4's order) g: 600 levels, scalar; h: 500 × 3; k: 40 × 2. h goes first; every per-term
    and per-θ array comes back in lme4's order."""
    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "g": rng.integers(0, 600, n).astype(str),
            "h": rng.integers(0, 500, n).astype(str),
            "k": rng.integers(0, 40, n).astype(str),
        }
    )
    design = build_design(parse_formula("y ~ x + (1 | g) + (1 + x + z | h) + (1 + x | k)"), frame)
    structure = build_structure(design.terms)
    assert [t.group for t in structure.terms] == ["g", "h", "k"]
    reorder = elimination_order(structure)
    assert reorder is not None and reorder.order == [1, 0, 2]
    theta = np.arange(1.0, structure.n_theta + 1)  # g: 1; h: 2..7; k: 8..10
    engine_theta = theta[reorder.perm]
    np.testing.assert_array_equal(engine_theta[:7], [2, 3, 4, 5, 6, 7, 1])
    for term, factor in zip(reorder.engine.terms, reorder.engine.factors(engine_theta)):
        original = next(t for t in structure.terms if t.group == term.group)
        np.testing.assert_array_equal(factor, original.factor(theta))
    per_term = [np.full((t.n_levels, t.q), k) for k, t in enumerate(reorder.engine.terms)]
    covs = [np.full((t.n_levels, t.q, t.q), k) for k, t in enumerate(reorder.engine.terms)]
    gradient = -engine_theta.copy()
    gradient_free = np.delete(gradient, 0)  # h's first SD (engine position 0) on its bound: not in the gradient
    at_bound = engine_theta.copy()
    at_bound[0] = 0.0
    fit = LmmFit(
        structure=reorder.engine,
        theta=at_bound,
        beta=np.zeros(2),
        vcov=np.eye(2),
        objective=1.0,
        ranef=tuple(per_term),
        ranef_cov=DeferredCovariances(lambda: tuple(covs), 3),
        optsummary=OptSummary("x", engine_theta, at_bound, 1.0, 1, "ok", True),
        convergence=ConvergenceReport(False, True, gradient_free),
        reml=True,
        residual_sd=1.0,
        pwrss=1.0,
        logdet_random=0.0,
        logdet_fixed=0.0,
    )
    back = reorder.fit_to_lme4(fit)
    assert back.structure is structure
    expected_theta = theta.copy()
    expected_theta[1] = 0.0
    np.testing.assert_array_equal(back.theta, expected_theta)
    np.testing.assert_array_equal(back.optsummary.initial, theta)
    assert [r[0, 0] for r in back.ranef] == [1, 0, 2]  # g was engine term 1, h engine term 0
    assert not back.ranef_cov.computed and [c[0, 0, 0] for c in back.ranef_cov] == [1, 0, 2]
    np.testing.assert_array_equal(back.convergence.gradient, np.delete(-theta, 1))  # h's first dropped, lme4's order
