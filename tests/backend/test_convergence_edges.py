"""The convergence checks, the polish and the starting values on the paths real fits rarely take,
each checked by value: a fit with every parameter on its bound, an optimizer that did not converge,
derivatives that are not finite, a Newton step that lands on the bound, residuals that are exactly zero,
and the GLMM fits' restart and their "PIRLS did not converge" note.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets.backend import crossprod, dispersion, glmm
from mixedwidgets.backend.convergence import check_convergence, judge
from mixedwidgets.backend.optimizer import OptSummary
from mixedwidgets.backend.polish import polish_and_check
from mixedwidgets.backend.start import covariance_ratio, level_sums

FAMILIES = Path(__file__).resolve().parents[1] / "reference" / "families"


def test_every_parameter_on_its_bound_is_singular_and_judged_by_the_optimizer_alone():
    calls = []
    f = lambda x: calls.append(x) or float(np.sum(x**2))  # noqa: E731
    lower, theta = np.array([0.0, 0.0]), np.array([0.0, 5e-5])  # both within 1e-4 of their bound
    report = check_convergence(f, theta, lower, 0.0, True, "ok", ["g:(Intercept)", "h:(Intercept)"])
    assert calls == [] and report.singular and report.converged  # no derivatives when nothing is free
    assert report.gradient.size == 0 and report.hessian is None
    assert "(g:(Intercept), h:(Intercept))" in report.messages[0]
    stopped = check_convergence(f, theta, lower, 0.0, False, "maximum number of evaluations reached")
    assert not stopped.converged
    assert stopped.messages[-1] == "The optimizer did not report convergence (maximum number of evaluations reached)."


def test_an_optimizer_that_did_not_converge_is_not_converged_whatever_the_derivatives():
    ok = judge(np.array([1.0]), np.array([0.0]), np.array([0.0]), np.array([[2.0]]), True, "success")
    assert ok.converged and ok.messages == () and not ok.singular
    bad = judge(np.array([1.0]), np.array([0.0]), np.array([0.0]), np.array([[2.0]]), False, "time limit reached")
    assert not bad.converged and bad.messages == ("The optimizer did not report convergence (time limit reached).",)


@pytest.mark.parametrize(("grad", "hess"), [([0.0], [[np.nan]]), ([np.inf], [[2.0]]), ([0.0], [[np.inf]])])
def test_derivatives_that_are_not_finite_are_not_a_converged_optimum(grad, hess):
    report = judge(np.array([1.0]), np.array([0.0]), np.array(grad), np.array(hess), True, "success", keep_hessian=True)
    assert not report.converged
    assert report.messages == ("The objective could not be differentiated numerically at the optimum.",)
    np.testing.assert_array_equal(report.hessian, hess)


def test_a_newton_step_onto_the_bound_ends_the_polish_there():
    """f = (x + 1)² on x ≥ 0 from x = 0.5: the Newton step goes to −1, projected onto the bound 0."""
    f = lambda x: float((x[0] + 1.0) ** 2)  # noqa: E731
    start = OptSummary("test", np.array([0.5]), np.array([0.5]), f(np.array([0.5])), 7, "stopped early", True)
    opt, report = polish_and_check(f, start, np.array([0.0]), ["x"])
    assert opt.final[0] == 0.0 and opt.fmin == 1.0
    assert opt.evaluations == 7 + 2 + 2  # the gradient and curvature (2), the step and the snapped step (2)
    assert report.singular and report.converged and report.hessian is None and report.gradient.size == 0


def _level_sums(residuals, seed=0):
    rng = np.random.default_rng(seed)
    codes = np.repeat(np.arange(6), 5)
    values = np.column_stack([np.ones(30), rng.normal(size=30)])
    return level_sums(codes, values, residuals, 6), codes, values


def test_level_sums_add_across_chunks_of_rows():
    r = np.random.default_rng(2).normal(size=30)
    whole, codes, values = _level_sums(r)
    first, second = level_sums(codes[:13], values[:13], r[:13], 6), level_sums(codes[13:], values[13:], r[13:], 6)
    total = first + second
    for name in ("gram", "rhs", "counts", "ss"):
        np.testing.assert_allclose(getattr(total, name), getattr(whole, name), rtol=1e-13, err_msg=name)
    np.testing.assert_allclose(whole.counts, np.full(6, 5.0))
    np.testing.assert_allclose(whole.ss, np.bincount(codes, r * r))


def test_no_moment_start_from_residuals_that_are_exactly_zero():
    sums, *_ = _level_sums(np.zeros(30))
    assert covariance_ratio(sums, [[0, 1]]) is None
    usable, *_ = _level_sums(np.random.default_rng(3).normal(size=30))
    ratio = covariance_ratio(usable, [[0, 1]])
    assert ratio is not None and np.all(np.linalg.eigvalsh(ratio) > 0)


def test_physical_memory_unknown_allows_any_dense_tail(monkeypatch):
    def refuse(name):
        raise ValueError(name)

    monkeypatch.setattr(crossprod.os, "sysconf", refuse)
    assert crossprod.physical_memory() is None
    crossprod.check_dense_tail_memory(10**7, 10**7)  # would need 2.4 PB: not refused when memory is unknown


# --- GLMM fits: the restart and the note when PIRLS does not converge at the optimum ---------------


def _nb_case():
    answer = json.loads((FAMILIES / "nb_intercept.json").read_text())
    return answer, pd.read_csv(FAMILIES / answer["data"])


def test_dispersion_fit_restarts_once_after_an_unconverged_check_and_still_reaches_glmmtmb(monkeypatch):
    answer, data = _nb_case()
    runs, checks = [], []
    real_stage, real_check = dispersion._stage_two, dispersion.check_convergence
    monkeypatch.setattr(dispersion, "_stage_two", lambda *a, **k: runs.append(a[-1]) or real_stage(*a, **k))

    def first_check_fails(*args, **kwargs):
        report = real_check(*args, **kwargs)
        checks.append(1)
        return dataclasses.replace(report, converged=False) if len(checks) == 1 else report

    monkeypatch.setattr(dispersion, "check_convergence", first_check_fails)
    model = mw.fit(answer["formula"], data, family="negative_binomial")
    assert runs == [1.0, 0.1]  # the second run with a tenth of the first steps
    assert model.converged
    assert model.objective == pytest.approx(answer["glmmTMB"]["objective"], abs=1e-3)


@pytest.mark.parametrize("family", ["binomial", "negative_binomial"])
def test_pirls_not_converging_at_the_optimum_is_reported(family, monkeypatch):
    """The last PIRLS run (at the reported optimum) says it did not converge: the fit must say so too."""
    if family == "binomial":
        rng = np.random.default_rng(8)
        g = rng.integers(0, 10, 120)
        p = 1 / (1 + np.exp(-(rng.normal(size=10)[g] - 0.3)))
        data = pd.DataFrame({"y": rng.binomial(1, p), "g": g.astype(str)})
        formula = "y ~ 1 + (1 | g)"
    else:
        answer, data = _nb_case()
        formula = answer["formula"]
    reference = mw.fit(formula, data, family=family)
    module = glmm if family == "binomial" else dispersion
    real_pirls, real_finish = module.pirls, module._finish
    finishing = []

    def pirls(*args, **kwargs):
        result = real_pirls(*args, **kwargs)
        return dataclasses.replace(result, converged=False) if finishing else result

    def finish(*args, **kwargs):
        finishing.append(1)
        return real_finish(*args, **kwargs)

    monkeypatch.setattr(module, "pirls", pirls)
    monkeypatch.setattr(module, "_finish", finish)
    model = mw.fit(formula, data, family=family)
    assert finishing == [1] and reference.converged and not model.converged
    assert "PIRLS did not converge at the optimum." in model.messages
    assert model.objective == reference.objective  # the same optimum, only judged differently
    np.testing.assert_array_equal(model.fixef, reference.fixef)
    # the rest of the report is kept: singular, the gradient, the Hessian (hence the same covariance)
    report, before = model.engine_fit.convergence, reference.engine_fit.convergence
    assert report.converged is False and report.singular is before.singular
    np.testing.assert_array_equal(report.gradient, before.gradient)
    np.testing.assert_array_equal(report.hessian, before.hessian)
    np.testing.assert_array_equal(model.vcov, reference.vcov)
