"""The GLMM fits' own wiring, checked by value: the progress callback and the R_X covariance.

The progress callback must see every evaluation of both stages (and of the polish) once, numbered 1, 2, …,
with the objective's value (its smallest value is the fit's −2 log L); the last number is stage one's
evaluations plus the fit's count. `_rx_vcov` (the whitening of stage two and the fallback covariance of β)
must be (R_X R_X')⁻¹ of the factor at the modes, computed here with a dense inverse.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_glmm_edges import _frame

from mixedwidgets.backend import dispersion, glmm
from mixedwidgets.backend.family import get_family
from mixedwidgets.backend.pirls import pirls
from mixedwidgets.design import build_design
from mixedwidgets.errors import MixedModelError
from mixedwidgets.formula import parse_formula

CASES = [
    ("cbind(s, f) ~ x + (1 | g)", "binomial", glmm.fit_glmm),
    ("c ~ x + (1 + x | h) + (1 | g)", "poisson", glmm.fit_glmm),
    ("c ~ x + (1 | g)", "negative_binomial", dispersion.fit_glmm_dispersion),
]


@pytest.mark.parametrize(("formula", "family", "fit"), CASES)
def test_progress_sees_every_evaluation_once_in_order(formula, family, fit):
    design = build_design(parse_formula(formula), _frame(), family=family)
    calls: list[tuple[int, float]] = []
    result = fit(design, get_family(family), progress=lambda n, value: calls.append((n, value)))
    assert [n for n, _ in calls] == list(range(1, len(calls) + 1))
    assert min(v for _, v in calls) == pytest.approx(result.objective, abs=1e-6)
    assert all(np.isfinite(v) for _, v in calls[:5])
    quiet = fit(design, get_family(family))
    assert quiet.objective == result.objective
    np.testing.assert_array_equal(quiet.beta, result.beta)
    if fit is glmm.fit_glmm:  # the fit's count is stage two and the polish; stage one's come first
        assert len(calls) > result.optsummary.evaluations > 0


@pytest.mark.parametrize("module", [glmm, dispersion])
def test_rx_covariance_is_the_inverse_of_rx_rx_transposed(module):
    design = build_design(parse_formula("cbind(s, f) ~ x + (1 | g) + (1 + x | h)"), _frame(), family="binomial")
    problem = glmm.make_problem(design, get_family("binomial"), scale_columns=True)
    s = problem.structure
    theta = np.array([0.7, 0.4, -0.2, 0.3])[: s.n_theta]
    modes = pirls(problem, theta, glmm.starting_beta(problem), np.zeros(s.q_total), update_beta=True)
    rx = modes.factor.fixed_factor
    assert rx.shape == (2, 2) and abs(rx[0, 1]) == 0.0 and abs(rx[1, 0]) > 1e-3  # lower, with a coupling
    np.testing.assert_allclose(module._rx_vcov(modes), np.linalg.inv(rx @ rx.T), rtol=1e-12)


def test_quadrature_with_two_nodes_needs_a_single_scalar_term():
    design = build_design(parse_formula("cbind(s, f) ~ x + (1 | g) + (1 | h)"), _frame(), family="binomial")
    with pytest.raises(MixedModelError, match="single scalar random-effect term"):
        glmm.fit_glmm(design, get_family("binomial"), nagq=2)


def test_a_singular_glmm_names_the_parameter_on_its_bound():
    frame = _frame()
    frame["k"] = np.random.default_rng(1).integers(0, 6, len(frame)).astype(str)  # no effect of k
    design = build_design(parse_formula("cbind(s, f) ~ x + (1 | g) + (1 | k)"), frame, family="binomial")
    fit = glmm.fit_glmm(design, get_family("binomial"))
    assert fit.theta[1] == 0.0 and fit.theta[0] > 0.5
    assert fit.convergence.singular and fit.convergence.converged
    assert "(k:(Intercept))" in fit.convergence.messages[0]
