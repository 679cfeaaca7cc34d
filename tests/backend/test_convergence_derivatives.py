"""lme4's convergence check on closed forms: the finite differences (their step: the central second difference
of x⁴ at 1 is 12 + 2h², its truncation error), which parameters are differentiated, the Hessian kept only
when asked for, and the limit of MAX_PARAMETERS_FOR_HESSIAN free parameters."""

from __future__ import annotations

import numpy as np
import pytest

from mixedwidgets.backend.convergence import MAX_PARAMETERS_FOR_HESSIAN, check_convergence, finite_differences, judge


def quartic(x):
    return float(np.sum(x**4))


@pytest.mark.parametrize("h", [1e-3, 1e-2])
def test_finite_differences_use_the_step_they_are_given(h):
    x = np.array([1.0, 0.5])
    grad, hess = finite_differences(quartic, x, np.ones(2, bool), quartic(x), h)
    # central differences of x⁴: f' + h² f'''/6 = 4x³ + 4h²x, f'' + h² f''''/12 = 12x² + 2h²
    np.testing.assert_allclose(grad, 4 * x**3 + 4 * h**2 * x, rtol=1e-9)
    np.testing.assert_allclose(np.diag(hess), 12 * x**2 + 2 * h**2, rtol=1e-8)
    assert hess[0, 1] == pytest.approx(0.0, abs=1e-6)


def test_the_default_steps_are_1e_4():
    x = np.array([1.0])
    _, hess = finite_differences(quartic, x, np.ones(1, bool), 1.0)
    assert hess[0, 0] == pytest.approx(12 + 2e-8, abs=1e-6)
    report = check_convergence(quartic, x, np.array([-np.inf]), 1.0, True, "", keep_hessian=True)
    assert report.hessian[0, 0] == pytest.approx(12 + 2e-8, abs=1e-6)
    report = check_convergence(quartic, x, np.array([-np.inf]), 1.0, True, "", keep_hessian=True, step=1e-2)
    assert report.hessian[0, 0] == pytest.approx(12 + 2e-4, rel=1e-9)


def test_one_free_parameter_is_judged_by_its_gradient():
    def f(x):
        return float((x[0] - 1.0) ** 2)

    report = check_convergence(f, np.array([0.5]), np.array([-np.inf]), f(np.array([0.5])), True, "")
    np.testing.assert_allclose(report.gradient, [-1.0], rtol=1e-8)
    assert not report.converged and report.hessian is None  # the Hessian is kept only on request


def test_the_check_leaves_out_a_bound_parameter_in_the_callers_units():
    def f(x):
        return float((x[0] + 1) ** 2 + (x[1] - 2) ** 2)

    x = np.array([2e-4, 2.0])  # 2e-5 in the caller's units
    lower = np.array([0.0, -np.inf])
    report = check_convergence(f, x, lower, f(x), True, "", ["a", "b"], factors=np.array([0.1, 1.0]))
    assert report.singular and report.converged and report.gradient.size == 1
    assert "(a)" in report.messages[0]
    unscaled = check_convergence(f, x, lower, f(x), True, "", ["a", "b"])
    assert not unscaled.singular and unscaled.gradient.size == 2


def test_twenty_free_parameters_are_differentiated():
    k = MAX_PARAMETERS_FOR_HESSIAN
    x = np.linspace(0.5, 1.5, k)
    report = check_convergence(quartic, x, np.full(k, -np.inf), quartic(x), True, "", keep_hessian=True)
    assert report.hessian is not None and report.hessian.shape == (k, k)
    np.testing.assert_allclose(report.gradient, 4 * x**3, rtol=1e-6)
    over = np.linspace(0.5, 1.5, k + 1)
    assert check_convergence(quartic, over, np.full(k + 1, -np.inf), quartic(over), True, "").gradient.size == 0


def test_a_hessian_with_a_zero_eigenvalue_is_not_positive_definite():
    lower = np.full(2, -np.inf)
    report = judge(np.zeros(2), lower, np.zeros(2), np.diag([1.0, 0.0]), True, "")
    assert not report.converged
    assert report.messages[0].startswith("The Hessian of the objective is not positive definite")
    assert "smallest eigenvalue 0)" in report.messages[0]
    indefinite = judge(np.zeros(2), lower, np.zeros(2), np.diag([1.0, -2.0]), True, "")
    assert not indefinite.converged and "smallest eigenvalue -2)" in indefinite.messages[0]
