"""Linear mixed models against lme4 1.1-31 (public cases and cases made with the oracle)."""

import pytest
from golden import all_cases, compare_fixed, compare_ranef, compare_theta, compare_varcorr, fit_case

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
    compare_theta(model, case.answer)


def test_reml_sigma_uses_n_minus_p(fitted):
    """REML's σ² is pwrss/(n − p): pinned at 0.1%, so pwrss/n (off by √(n/(n − p))) fails wherever p/n ≥ 0.2%."""
    case, model = fitted
    assert model.sigma == pytest.approx(case.answer["sigma"], rel=1e-3)
