"""The LMM objective keeps the factor at its lowest value for large dense tails (lmm.ProfiledDeviance),
and the fit's answers are read off that factor instead of a last factorization of the optimum.

Forcing the rule on (KEEP_BEST_FROM = 0) and off (a huge threshold) on the same crossed data must give
the same fit, with one dense factorization fewer when it is on; the remembered factor must be the one
at the lowest value evaluated, and a θ it was not taken at must be factored afresh."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets.backend import crossprod, lmm
from mixedwidgets.backend import factor as factor_module
from mixedwidgets.backend.crossprod import build_cross_products
from mixedwidgets.backend.reterms import build_structure
from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula


def crossed_frame(seed: int = 4, n: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 60, n), rng.integers(0, 45, n)
    x = rng.normal(size=n)
    y = 1 + 0.4 * x + rng.normal(0, 0.8, 60)[a] + rng.normal(0, 0.6, 45)[b] + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x": x, "a": a.astype(str), "b": b.astype(str)})


FORMULA = "y ~ x + (1 | a) + (1 + x | b)"
#: a scalar tail is rescaled in place, so its factor lives in the objective's kept arrays
SCALAR_TAIL = "y ~ x + (1 | a) + (1 | b)"


@pytest.fixture(params=[FORMULA, SCALAR_TAIL], ids=["vector_tail", "scalar_tail"])
def formula(request):
    return request.param


@pytest.fixture(params=["dense_cross_products", "sparse_cross_products"])
def tail0_kind(request, monkeypatch):
    """The tail's cross-products with block 0 dense (small designs), or sparse with the downdate pattern."""
    if request.param == "sparse_cross_products":
        monkeypatch.setattr(crossprod, "FORCE_TAIL", "dense")
    return request.param


def counted_fit(monkeypatch, threshold: int, formula: str):
    monkeypatch.setattr(lmm, "KEEP_BEST_FROM", threshold)
    calls = {"n": 0}
    original = factor_module.factorize

    def counting(*args, **kwargs):
        calls["n"] += 1
        return original(*args, **kwargs)

    monkeypatch.setattr(lmm, "factorize", counting)
    fit = mw.fit(formula, crossed_frame())
    return fit, calls["n"]


def test_the_fit_read_off_the_kept_factor_equals_the_refactored_one(monkeypatch, tail0_kind, formula):
    kept, kept_calls = counted_fit(monkeypatch, 0, formula)
    fresh, fresh_calls = counted_fit(monkeypatch, 10**9, formula)
    assert kept_calls == fresh_calls - 1  # the optimum is not factored again
    # the same algebra; with the pattern, the tail is summed onto the cross-products in a kept array
    # (a different rounding of the last bits), so the optimizer may take a slightly different path
    assert kept.objective == pytest.approx(fresh.objective, rel=1e-12)
    np.testing.assert_allclose(kept.theta, fresh.theta, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(kept.fixef, fresh.fixef, rtol=1e-8)
    for column in ("condval", "condsd"):  # modes and conditional SDs, every level of both terms
        np.testing.assert_allclose(kept.ranef()[column], fresh.ranef()[column], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(kept.vcov, fresh.vcov, rtol=1e-6)


def test_the_kept_factor_is_the_one_at_the_lowest_value(monkeypatch, tail0_kind, formula):
    monkeypatch.setattr(lmm, "KEEP_BEST_FROM", 0)
    design = build_design(parse_formula(formula), crossed_frame())
    structure = build_structure(design.terms)
    cp = build_cross_products(structure, design.terms, design.X, design.y)
    assert isinstance(cp.tail0, np.ndarray) == (tail0_kind == "dense_cross_products")
    objective = lmm.make_objective(cp, structure, True, 0.0)
    assert objective.keep_best
    thetas = [np.array([0.9, 0.5, 0.1, 0.4]), np.array([0.7, 0.6, 0.0, 0.3]), np.array([2.5, 0.1, 0.3, 0.01])]
    thetas = [t[: structure.n_theta] for t in thetas]
    values = [objective(t) for t in thetas]
    best = int(np.argmin(values))
    for t in thetas:  # more evaluations after the best one: its factor must survive them
        objective(t)
    assert objective.best is not None and objective.best[0] == values[best]
    np.testing.assert_array_equal(objective.best[1], thetas[best])
    at_best = objective.factor_at(thetas[best])
    assert at_best.tail0 is not None and at_best.tail is objective.best[2].tail  # no new factorization
    reference = factor_module.factorize(cp, structure, thetas[best], with_tail0=True)
    np.testing.assert_allclose(at_best.tail, reference.tail, rtol=1e-12, atol=1e-14)  # not overwritten since
    dense = (lambda m: m) if tail0_kind == "dense_cross_products" else (lambda m: m.toarray())
    np.testing.assert_allclose(dense(at_best.tail0), dense(reference.tail0), rtol=1e-13, atol=1e-15)
    other = objective.factor_at(thetas[(best + 1) % 3])  # not where it was taken: factored afresh
    assert other.tail is not objective.best[2].tail
    assert lmm.profiled_deviance(other, cp.n, True) == pytest.approx(values[(best + 1) % 3], rel=1e-14)


@pytest.mark.parametrize("pattern_size", ["smaller", "larger"])
def test_large_dense_tails_defer_the_conditional_covariances(monkeypatch, tail0_kind, formula, pattern_size):
    """Computed on first use (the fit does not wait for the tail's inversion), the same numbers as the
    eager ones, kept once computed; a pickled record carries them computed. Not deferred when the
    downdate pattern they need is larger than the factor (the fit would hold it)."""
    import pickle

    from mixedwidgets.backend.downdate import DowndatePattern
    from mixedwidgets.backend.fit_record import DeferredCovariances

    size = 0 if pattern_size == "smaller" else 10**15
    monkeypatch.setattr(DowndatePattern, "nbytes", property(lambda self: size))
    monkeypatch.setattr(lmm, "KEEP_BEST_FROM", 0)
    deferred = mw.fit(formula, crossed_frame())
    monkeypatch.setattr(lmm, "KEEP_BEST_FROM", 10**9)
    eager = mw.fit(formula, crossed_frame())
    record = deferred.engine_fit
    if tail0_kind == "sparse_cross_products" and pattern_size == "larger":  # the pattern's path, eagerly
        assert isinstance(record.ranef_cov, tuple)
        for got, want in zip(record.ranef_cov, eager.engine_fit.ranef_cov):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12)
        return
    assert isinstance(record.ranef_cov, DeferredCovariances) and not record.ranef_cov.computed
    assert isinstance(eager.engine_fit.ranef_cov, tuple)
    assert len(record.ranef_cov) == 2 and not record.ranef_cov.computed
    restored = pickle.loads(pickle.dumps(record.ranef_cov))  # pickling computes them
    assert record.ranef_cov.computed and isinstance(restored, tuple)
    first = record.ranef_cov[0]
    assert record.ranef_cov[0] is first  # kept, not recomputed
    for got, want, back in zip(record.ranef_cov, eager.engine_fit.ranef_cov, restored):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12)
        np.testing.assert_array_equal(back, got)


@pytest.mark.parametrize("tail", [None, "dense"])
def test_conditional_sds_of_a_large_crossed_tail_match_lme4(monkeypatch, tail):
    """1,300 × 1,050 crossed levels, 9,000 rows (tests/reference/sparse/crossed_large_tail): a dense tail
    of 1,053 (deferred covariances, the kept factor; with the tail built from row sums, the pattern's
    S_rr⁻¹ path) against lme4's ranef(condVar = TRUE), level by level."""
    import json
    from pathlib import Path

    monkeypatch.setattr(crossprod, "FORCE_TAIL", tail)
    folder = Path(__file__).resolve().parents[1] / "reference" / "sparse"
    answer = json.loads((folder / "crossed_large_tail.json").read_text())
    data = pd.read_csv(folder / "data" / "crossed_large_tail.csv", dtype={"a": str, "b": str})
    fit = mw.fit("y ~ x + (1 | a) + (1 | b)", data)
    assert not fit.engine_fit.ranef_cov.computed  # deferred: m ≥ KEEP_BEST_FROM
    assert fit.objective == pytest.approx(answer["objective"], rel=1e-10)
    ours = {(g, lv): sd for g, lv, sd in fit.ranef()[["group", "level", "condsd"]].itertuples(index=False)}
    reference = pd.DataFrame(answer["ranef"])
    assert len(ours) == len(reference) == 2349  # 1,299 levels of a occur, 1,050 of b
    got = np.array([ours[(g, str(lv))] for g, lv in reference[["grpvar", "grp"]].itertuples(index=False)])
    np.testing.assert_allclose(got, reference.condsd, rtol=2e-5)  # measured 4.9e-6 (θ agrees to ~5e-6)
