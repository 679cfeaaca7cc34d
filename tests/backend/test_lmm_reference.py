"""Linear mixed models against lme4 1.1-31 (public cases and cases made with the oracle)."""

import numpy as np
import pytest

from golden import all_cases, compare_fixed, compare_ranef, compare_varcorr, fit_case

LMM_CASES = [c for c in all_cases() if c.family == "gaussian"]


@pytest.fixture(scope="module", params=LMM_CASES, ids=lambda c: c.name)
def fitted(request):
    return request.param, fit_case(request.param)


def test_objective_matches_lme4(fitted):
    case, model = fitted
    assert abs(model.objective - case.answer["objective"]) < 2e-3
    assert model.nobs == case.answer["nobs"]
    assert model.loglik == pytest.approx(case.answer["logLik"], abs=1e-3)
    assert model.aic == pytest.approx(case.answer["AIC"], abs=2e-3)
    assert model.bic == pytest.approx(case.answer["BIC"], abs=2e-3)


def test_fixed_effects_match_lme4(fitted):
    case, model = fitted
    compare_fixed(model, case.answer)


def test_variance_components_match_lme4(fitted):
    case, model = fitted
    compare_varcorr(model, case.answer)
    assert model.sigma == pytest.approx(case.answer["sigma"], rel=0.01)


def test_conditional_modes_match_lme4(fitted):
    case, model = fitted
    compare_ranef(model, case.answer)


def test_singular_flag_matches_lme4(fitted):
    case, model = fitted
    assert model.singular == case.answer["singular"]
    if model.singular:
        assert any("Singular fit" in m for m in model.messages)
    else:
        assert model.converged, model.messages


def test_theta_in_lme4_order(fitted):
    case, model = fitted
    theirs = np.atleast_1d(case.answer["theta"])
    assert model.theta.shape == theirs.shape
    assert np.max(np.abs(model.theta - theirs)) < 0.02 * max(1.0, np.max(np.abs(theirs)))
