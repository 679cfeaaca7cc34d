"""minimize_bounded's record on a closed form: the minimum of a bounded quadratic, the evaluations it counts,
and the extra evaluation at the returned point that GLMM objectives need (their modes become the next start)."""

from __future__ import annotations

import numpy as np
import pytest

from mixedwidgets.backend.optimizer import _RESULTS, minimize_bounded


class Counted:
    def __init__(self):
        self.points = []

    def __call__(self, x):
        self.points.append(np.array(x))
        return float((x[0] - 0.3) ** 2 + 2 * (x[1] + 1.0) ** 2)  # minimum at (0.3, −1); the bound x0 ≥ 0.5 is active


@pytest.mark.parametrize("pure", [False, True])
def test_the_objective_is_evaluated_once_more_at_the_answer_unless_pure(pure):
    f = Counted()
    opt = minimize_bounded(f, np.array([1.0, 0.0]), np.array([0.5, -np.inf]), ftol_abs=1e-12, xtol_abs=1e-10, pure=pure)
    np.testing.assert_allclose(opt.final, [0.5, -1.0], atol=1e-5)
    assert opt.fmin == pytest.approx(0.04, abs=1e-9) and opt.ok
    extra = 0 if pure else 1
    assert len(f.points) == opt.evaluations + extra
    if not pure:
        np.testing.assert_array_equal(f.points[-1], opt.final)  # the last call is at the returned point


def test_the_default_is_not_pure():
    f = Counted()
    opt = minimize_bounded(f, np.array([1.0, 0.0]), np.array([0.5, -np.inf]), ftol_abs=1e-12, xtol_abs=1e-10)
    assert len(f.points) == opt.evaluations + 1


def test_an_error_in_the_objective_stops_the_optimizer_and_is_raised():
    calls = []

    def f(x):
        calls.append(1)
        if len(calls) == 3:
            raise ValueError("broken at the third evaluation")
        return float(x[0] ** 2)

    with pytest.raises(ValueError, match="third evaluation"):
        minimize_bounded(f, np.array([1.0]), np.array([-np.inf]))
    assert len(calls) == 3  # stopped at once


def test_points_where_the_objective_cannot_be_evaluated_are_avoided():
    def f(x):
        return float((x[0] - 0.5) ** 2) if x[0] > 0.3 else np.inf  # +inf (or NaN) left of 0.3

    opt = minimize_bounded(f, np.array([1.0]), np.array([-np.inf]), initial_step=0.9, ftol_abs=1e-12, xtol_abs=1e-10)
    assert opt.ok and opt.final[0] == pytest.approx(0.5, abs=1e-5) and opt.fmin < 1e-10


def test_the_record_holds_the_start_and_nlopts_reason():
    x0 = np.array([1.0, 0.0])
    opt = minimize_bounded(Counted(), x0, np.array([0.5, -np.inf]), ftol_abs=1e-12, xtol_abs=1e-10)
    np.testing.assert_array_equal(opt.initial, x0)
    assert opt.optimizer == "NLopt BOBYQA"
    assert opt.return_code in _RESULTS.values()  # NLopt's reason in words (here round-off or a tolerance)


def test_an_evaluation_limit_is_not_convergence():
    opt = minimize_bounded(Counted(), np.array([1.0, 0.0]), np.array([0.5, -np.inf]), max_evaluations=6)
    assert opt.evaluations == 6 and not opt.ok
    assert opt.return_code == "maximum number of evaluations reached"


def test_an_objective_that_is_never_finite_is_not_an_optimum():
    opt = minimize_bounded(lambda x: np.inf, np.array([1.0]), np.array([-np.inf]), max_evaluations=50)
    assert not opt.ok and opt.fmin >= 1e100
