"""The polish's steps on closed-form objectives: the Newton step and its halving, the snap onto a bound, the
escape's threshold and which parameters it tries, and the evaluation count of a restart.

Each case is chosen so that the answer is known exactly: for f = x^p the Newton step from x is x/(p − 1)
(a third of the way to 0 for x⁴, a fifth for x⁶), so whether the bound is tried depends only on the rule
"a quarter of the way or more, or within SNAP_TO_BOUND"; for f = √(1 + x²) the full Newton step from 1
lands on −1 (the same value) and the first halving on the minimum 0.
"""

from __future__ import annotations

import numpy as np
import pytest

from mixedwidgets.backend.optimizer import OptSummary
from mixedwidgets.backend.polish import (
    SNAP_TO_BOUND,
    _newton_decrement,
    _newton_step,
    boundary_escape,
    polish_and_check,
)


class Counted:
    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x):
        self.calls += 1
        return self.f(np.asarray(x, dtype=float))


def step(f, x0, grad, hess, lower):
    x0 = np.asarray(x0, dtype=float)
    counted = Counted(f)
    moved = _newton_step(counted, x0, f(x0), np.ones(len(x0), bool), np.asarray(grad), np.asarray(hess), lower)
    return moved, counted.calls


def test_a_full_newton_step_lands_on_the_minimum_of_a_quadratic_in_one_evaluation():
    h = np.array([[2.0, 0.5], [0.5, 1.0]])
    c = np.array([0.3, -0.7])

    def f(x):
        return float(0.5 * (x - c) @ h @ (x - c))

    x0 = np.array([1.0, 1.0])
    (x, fx), calls = step(f, x0, h @ (x0 - c), h, np.full(2, -np.inf))
    np.testing.assert_allclose(x, c, atol=1e-12)
    assert fx == pytest.approx(0.0, abs=1e-20) and calls == 1


def test_the_step_is_halved_until_the_objective_falls():
    def f(x):
        return float(np.sqrt(1.0 + x[0] ** 2))

    # at x = 1: f' = 1/√2, f'' = 1/(2√2): the Newton step is −2 (to −1, the same value), half of it reaches 0
    (x, fx), calls = step(f, [1.0], [1 / np.sqrt(2)], [[1 / (2 * np.sqrt(2))]], np.array([-np.inf]))
    assert x[0] == pytest.approx(0.0, abs=1e-12) and fx == pytest.approx(1.0) and calls == 2


def test_no_step_when_none_lowers_the_objective():
    def f(x):
        return float(abs(x[0]))

    # a wrong derivative pointing away from the minimum: every halved step goes up; six tries, then None
    moved, calls = step(f, [1.0], [-1.0], [[1.0]], np.array([-np.inf]))
    assert moved is None and calls == 6


@pytest.mark.parametrize(
    ("power", "snapped"),
    [(4, True), (5, True), (6, False)],  # Newton goes 1/3, 1/4, 1/5 of the way to the bound
)
def test_the_bound_is_tried_when_the_step_goes_a_quarter_of_the_way_or_more(power, snapped):
    def f(x):
        return float(x[0] ** power)

    x0 = 0.5  # far from the bound: SNAP_TO_BOUND does not decide
    grad, hess = power * x0 ** (power - 1), power * (power - 1) * x0 ** (power - 2)
    (x, _), calls = step(f, [x0], [grad], [[hess]], np.array([0.0]))
    expected = 0.0 if snapped else x0 - x0 / (power - 1)
    assert x[0] == pytest.approx(expected, abs=1e-12)
    assert calls == (2 if snapped else 1)


def test_the_bound_is_tried_within_snap_to_bound_of_it():
    def f(x):
        return float(x[0] ** 6)

    x0 = 1.1 * SNAP_TO_BOUND  # a fifth of the way lands within SNAP_TO_BOUND of 0
    (x, _), calls = step(f, [x0], [6 * x0**5], [[30 * x0**4]], np.array([0.0]))
    assert x[0] == 0.0 and calls == 2


def test_a_parameter_moving_away_from_its_bound_is_not_snapped():
    def f(x):
        return float((x[0] - 1.0) ** 2)

    (x, _), calls = step(f, [0.01], [-1.98], [[2.0]], np.array([0.0]))
    assert x[0] == pytest.approx(1.0) and calls == 1


def test_the_escape_needs_a_relative_improvement_of_1e_10():
    # f on its bound at x = 0 with value fx; moving in lowers it by `drop`
    for fx, drop, escapes in [(100.0, 1e-9, False), (100.0, 1e-7, True), (0.5, 1.5e-10, True)]:

        def f(x, fx=fx, drop=drop):
            return fx - drop if x[0] > 0 else fx

        result = boundary_escape(f, np.array([0.0]), fx, np.array([0.0]), None, np.array([0]))
        assert (result is not None) == escapes, (fx, drop)


def test_the_escape_tries_only_parameters_on_their_bound():
    def f(x):
        return float(x[0])  # lower towards the bound, but x = 0.5 is not on it

    assert boundary_escape(f, np.array([0.5]), 0.5, np.array([0.0]), None, np.array([0])) is None


def test_the_escape_judges_the_bound_in_the_callers_units():
    # 2e-4 in the engine's units is 2e-5 in the caller's (factor 0.1): on the bound, as lme4 would say
    def f(x):
        return float((x[0] - 0.5) ** 2)

    x = np.array([2e-4])
    escape = boundary_escape(f, x, f(x), np.array([0.0]), np.array([0.1]), np.array([0]))
    assert escape is not None and escape[0] == pytest.approx(3e-2)
    assert boundary_escape(f, x, f(x), np.array([0.0]), None, np.array([0])) is None


def test_a_restart_that_is_not_better_still_counts_its_evaluations():
    def f(x):
        return float((x[0] + 1) ** 2 + (x[1] - 2) ** 2)  # minimum on the bound x0 = 0 (a true boundary optimum)

    counted = Counted(f)
    restarts = []

    def restart(start, evaluations):
        restarts.append(evaluations)
        counted(start)  # an optimizer run of 3 evaluations that finds nothing better
        counted(start)
        counted(start)
        return OptSummary("test", start, np.array([0.0, 2.0]), f(np.array([0.0, 2.0])), evaluations + 3, "", True)

    def odd(x):  # lowers f just inside the bound, so that the escape restarts
        return counted(x) - (0.01 if 0 < x[0] < 0.01 else 0.0)

    at = np.array([0.0, 2.0])
    calls = []
    opt = OptSummary("test", at, at, f(at), 7, "", True)
    polished, _ = polish_and_check(
        odd,
        opt,
        np.array([0.0, -np.inf]),
        restart=restart,
        column_ids=np.array([0, 1]),
        progress=lambda n, v: calls.append(n),
    )
    assert len(restarts) == 1
    assert polished.evaluations == 7 + counted.calls  # every call counted, the restart's included
    assert restarts[0] > 7
    assert calls[-1] == polished.evaluations  # the restart's polish reports its evaluations too


def summary(x, f, evaluations=0):
    x = np.asarray(x, dtype=float)
    return OptSummary("test", x.copy(), x.copy(), f(x), evaluations, "", True)


def test_every_parameter_on_its_bound_needs_no_derivatives():
    def f(x):
        return float((x[0] + 1) ** 2 + (x[1] + 2) ** 2)

    counted = Counted(f)
    opt, report = polish_and_check(counted, summary([0.0, 0.0], f), np.zeros(2), keep_hessian=True)
    assert report.converged and report.singular
    assert report.gradient.size == 0 and report.hessian is None
    assert counted.calls == 0 and opt.evaluations == 0 and np.array_equal(opt.final, [0.0, 0.0])


def test_a_point_at_the_minimum_costs_only_the_derivatives():
    c = np.array([0.5, -1.0, 2.0])

    def f(x):
        return float(np.sum((x - c) ** 2 * np.array([1.0, 2.0, 3.0])))

    counted = Counted(f)
    opt, report = polish_and_check(counted, summary(c, f), np.full(3, -np.inf))
    k = 3
    assert counted.calls == opt.evaluations == k * (k + 1)  # 2k for the gradient, k(k − 1) for the cross terms
    assert report.converged and np.array_equal(opt.final, c)


def test_twenty_free_parameters_still_get_a_hessian_and_a_newton_step():
    k = 20  # MAX_PARAMETERS_FOR_HESSIAN
    rng = np.random.default_rng(0)
    a = rng.normal(size=(k, k))
    h = a @ a.T + k * np.eye(k)
    c = rng.normal(size=k)

    def f(x):
        return float(0.5 * (x - c) @ h @ (x - c))

    opt, report = polish_and_check(f, summary(c + 0.01, f), np.full(k, -np.inf), keep_hessian=True)
    np.testing.assert_allclose(opt.final, c, atol=1e-6)
    assert report.converged and report.hessian is not None and report.hessian.shape == (k, k)
    np.testing.assert_allclose(report.hessian, h, rtol=1e-5, atol=1e-4)


def test_derivatives_leave_out_a_parameter_on_its_bound_in_the_callers_units():
    # x0 = 2e-4 is 2e-5 in the caller's units (factor 0.1): on its bound for the check, so only x1 is differentiated
    def f(x):
        return float((x[0] + 1) ** 2 + (x[1] - 2) ** 2)

    at = np.array([2e-4, 2.0])
    opt, report = polish_and_check(f, summary(at, f), np.array([0.0, -np.inf]), factors=np.array([0.1, 1.0]))
    assert report.gradient.size == 1 and report.singular and report.converged
    assert opt.evaluations == 2 and np.array_equal(opt.final, at)  # x1's two differences; x0 is not moved


def test_the_newton_decrement_is_the_largest_entry_of_l_inverse_g():
    # H = diag(1, 4): L = diag(1, 2), L⁻¹g = (3, 2) for g = (3, 4)
    assert _newton_decrement(np.array([3.0, 4.0]), np.diag([1.0, 4.0])) == pytest.approx(3.0)
    assert _newton_decrement(np.array([-0.5]), np.array([[0.25]])) == pytest.approx(1.0)
    assert _newton_decrement(np.array([1.0, 1.0]), np.diag([1.0, -1.0])) is None  # not positive definite
    assert _newton_decrement(np.array([np.nan, 1.0]), np.eye(2)) == 0.0  # nothing to judge: no Newton step
    assert _newton_decrement(np.array([1.0, 1.0]), np.array([[1.0, np.inf], [np.inf, 1.0]])) == 0.0
    assert _newton_decrement(np.zeros(0), None) == 0.0


def test_an_escape_that_finds_nothing_still_counts_its_trials():
    def f(x):
        return float((x[0] + 1) ** 2 + (x[1] - 2) ** 2)  # a true boundary optimum at x0 = 0

    counted = Counted(f)
    at = np.array([0.0, 2.0])
    opt, _ = polish_and_check(
        counted,
        summary(at, f, evaluations=5),
        np.array([0.0, -np.inf]),
        restart=lambda s, e: None,
        column_ids=np.array([0, 1]),
    )
    assert counted.calls > 2  # the derivatives and the escape's trials (θ0 = 1e-3, 3e-2)
    assert opt.evaluations == 5 + counted.calls
