"""GLMMs against lme4 1.1-31: Laplace and adaptive quadrature, binomial and Poisson.

Two things differ from the LMM checks, both measured, not assumed:
- lme4 evaluates its Laplace deviance with a relaxed PIRLS tolerance, so its reported objective sits
  slightly above the exact Laplace deviance at its own estimates (by up to 0.02 here); we require our
  optimum to be no worse than lme4's, and our deviance at lme4's estimates to reproduce lme4's value
  to within that slack.
- lme4's standard errors come from a finite-difference Hessian of that deviance; ours from the
  Hessian of the exact one (stable for steps from 1e-2 to 1e-4). With quadrature, where the deviance
  does not depend on the modes to first order, the two agree to 1e-4; with Laplace to about 1.5%.
- For nAGQ > 1 lme4's objective is −2 log L + 2·log L(saturated) (see tests/reference/README.md); ours
  is −2 log L, so we add the saturated term (computed with scipy.stats) and compare to 1e-3.
"""

import numpy as np
import pytest
from golden import all_cases, compare_ranef, compare_theta, compare_varcorr, fit_case, load_data
from scipy import stats

from mixedwidgets.backend import glmm
from mixedwidgets.backend.family import make_family
from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula

GLMM_CASES = [c for c in all_cases() if c.family != "gaussian"]
LME4_PIRLS_SLACK = 0.03


@pytest.fixture(scope="module", params=GLMM_CASES, ids=lambda c: c.name)
def fitted(request):
    return request.param, fit_case(request.param)


def _saturated_loglik(model) -> float:
    y = np.asarray(model.design.y, dtype=float)
    if model.family == "poisson":
        return float(stats.poisson.logpmf(y, y).sum())
    trials = np.ones_like(y) if model.design.weights is None else np.asarray(model.design.weights, dtype=float)
    return float(stats.binom.logpmf(np.round(y * trials), trials, y).sum())


def _deviance_at(case, theta, beta):
    design = build_design(parse_formula(case.formula), load_data(case), family=case.family)
    problem = glmm.make_problem(design, make_family(case.family))
    objective = glmm._deviance_of(problem, case.nagq, glmm.ModesCache(np.zeros(problem.structure.q_total), beta))
    return objective(np.concatenate([np.atleast_1d(theta), beta]))


def test_objective_no_worse_than_lme4(fitted):
    case, model = fitted
    if case.nagq > 1:
        # lme4's nAGQ > 1 objective is −2 log L + 2·log L(saturated); the saturated term by scipy here
        assert model.objective == pytest.approx(case.answer["objective"] - 2 * _saturated_loglik(model), abs=1e-3)
        return
    assert model.objective <= case.answer["objective"] + 2e-3
    assert model.objective >= case.answer["objective"] - LME4_PIRLS_SLACK


def test_our_deviance_reproduces_lme4_at_its_estimates(fitted):
    case, model = fitted
    if case.nagq > 1:
        pytest.skip("lme4's quadrature objective is on another scale")
    at_lme4 = _deviance_at(case, case.answer["theta"], np.array(list(case.answer["fixef"].values())))
    assert case.answer["objective"] - LME4_PIRLS_SLACK <= at_lme4 <= case.answer["objective"] + 2e-3
    assert model.objective <= at_lme4 + 2e-3


def test_fixed_effects_match_lme4(fitted):
    case, model = fitted
    ref_b = np.array(list(case.answer["fixef"].values()))
    ref_se = np.array(list(case.answer["se"].values()))
    assert list(model.fixef.index) == list(case.answer["fixef"])
    gap = case.answer["objective"] - model.objective if case.nagq == 1 else 0.0
    tol = 0.01 if gap < 2e-3 else 0.05  # lme4 stopped short of the optimum: allow its distance
    np.testing.assert_array_less(np.abs(model.fixef.to_numpy() - ref_b), tol * ref_se)
    se = np.sqrt(np.diag(model.vcov.to_numpy()))
    np.testing.assert_allclose(se, ref_se, rtol=0.0001 if case.nagq > 1 else 0.02)


def test_variance_components_match_lme4(fitted):
    case, model = fitted
    compare_varcorr(model, case.answer)
    compare_theta(model, case.answer)


def test_conditional_modes_match_lme4(fitted):
    case, model = fitted
    gap = case.answer["objective"] - model.objective if case.nagq == 1 else 0.0
    if gap > 2e-3:
        pytest.skip(f"lme4 stopped {gap:.3f} above the optimum; its modes belong to other estimates")
    compare_ranef(model, case.answer)


def test_converged_and_flags(fitted):
    case, model = fitted
    assert model.converged, model.messages
    assert model.singular == case.answer["singular"]
    assert model.family == case.family
