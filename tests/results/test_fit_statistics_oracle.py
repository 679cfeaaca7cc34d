"""logLik, AIC, BIC, the objective, Wald intervals, p-values and Pearson residuals against R (lme4 1.1-31)
on fresh simulated data (tests/reference/results, made by tools/r/results_oracles.R; rows shuffled).

GLMM Laplace log-likelihoods: lme4 evaluates its deviance with a relaxed PIRLS tolerance, so our optimum
lies up to 0.03 below its value (see tests/backend/test_glmm_reference.py); AIC and BIC are then pinned
exactly through their definitions with R's parameter count and number of observations.
"""

import numpy as np
import pytest
from oracles import load, oracle, quiet_fit
from scipy import stats

import mixedwidgets as mw

LME4_PIRLS_SLACK = 0.03
GLMM_CASES = {"bernoulli": "binomial", "cbind": "binomial", "poisson": "poisson"}


@pytest.fixture(scope="module")
def lmm_data():
    return load("lmm")


@pytest.fixture(scope="module", params=[True, False], ids=["REML", "ML"])
def lmm_pair(request, lmm_data):
    answer = oracle()["lmm"]["reml" if request.param else "ml"]
    return quiet_fit(oracle()["lmm"]["formula"], lmm_data, reml=request.param), answer


@pytest.fixture(scope="module", params=list(GLMM_CASES))
def glmm_pair(request):
    case = oracle()[request.param]
    return quiet_fit(case["formula"], load(request.param), family=GLMM_CASES[request.param]), case


def test_lmm_loglik_aic_bic_and_criterion_match_lme4(lmm_pair):
    model, answer = lmm_pair
    criterion = answer["REMLcrit"] if model.reml else answer["deviance"]
    assert model.objective == pytest.approx(criterion, abs=1e-5)
    assert model.loglik == pytest.approx(answer["logLik"], abs=1e-5)
    assert model.n_parameters == answer["npar"]
    assert model.aic == pytest.approx(answer["AIC"], abs=1e-5)
    assert model.bic == pytest.approx(answer["BIC"], abs=1e-5)
    assert model.sigma == pytest.approx(answer["sigma"], rel=1e-5)


def test_glmm_loglik_aic_bic_match_lme4(glmm_pair):
    model, case = glmm_pair
    answer = case["laplace"]
    assert model.nobs == answer["nobs"]
    assert model.n_parameters == answer["npar"]  # β and θ, no σ for binomial and Poisson
    assert -2 * answer["logLik"] - LME4_PIRLS_SLACK <= model.objective <= -2 * answer["logLik"] + 2e-3
    assert model.loglik == pytest.approx(-model.objective / 2, abs=1e-12)
    assert model.aic == pytest.approx(model.objective + 2 * answer["npar"], abs=1e-9)
    assert model.bic == pytest.approx(model.objective + np.log(answer["nobs"]) * answer["npar"], abs=1e-9)
    assert model.aic == pytest.approx(answer["AIC"], abs=LME4_PIRLS_SLACK)
    assert model.bic == pytest.approx(answer["BIC"], abs=LME4_PIRLS_SLACK)


def test_summary_statistics_are_those_of_the_model(glmm_pair, lmm_pair):
    from mixedwidgets.results.tables import fit_statistics

    for model in (glmm_pair[0], lmm_pair[0]):
        shown = fit_statistics(model)
        assert shown["AIC"] == model.aic and shown["BIC"] == model.bic and shown["logLik"] == model.loglik


@pytest.mark.parametrize("name", ["bernoulli", "cbind", "poisson", "cbpp_agq25"])
def test_agq_objective_is_lme4s_plus_twice_the_saturated_loglik(name):
    """lme4's nAGQ > 1 objective is −2 log L + 2·log L(saturated), the saturated log-likelihood computed
    in R from dbinom/dpois; ours is −2 log L. So ours = lme4's − 2·log L(saturated), to 1e-3."""
    case = oracle()[name]
    if name == "cbpp_agq25":
        data, formula, family = (
            mw.datasets.load("cbpp"),
            "cbind(incidence, size - incidence) ~ period + (1 | herd)",
            "binomial",
        )
    else:
        data, formula, family = load(name), case["formula"], GLMM_CASES[name]
    agq = case if name == "cbpp_agq25" else case["agq"]
    model = quiet_fit(formula, data, family=family, nagq=agq["nagq"])
    assert model.nagq == agq["nagq"]
    assert model.objective == pytest.approx(agq["lme4_objective"] - 2 * agq["saturated_loglik"], abs=1e-3)
    np.testing.assert_allclose(model.theta, agq["theta"], rtol=1e-4)
    np.testing.assert_allclose(model.fixef.to_numpy(), list(agq["fixef"].values()), rtol=1e-4, atol=1e-5)
    # and it is not the Laplace value (the two differ by more than the tolerance above in each case)
    assert abs(model.objective - model.engine_fit.laplace_objective) > 0.01


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_wald_interval_has_its_stated_level(glmm_pair, lmm_pair, level):
    for model, options in ((glmm_pair[0], {}), (lmm_pair[0], {"ddf": "asymptotic"})):
        table = model.coef_table(level=level, **options)
        half = stats.norm.ppf(1 - (1 - level) / 2) * np.sqrt(np.diag(model.vcov.to_numpy()))
        np.testing.assert_allclose(table.conf_low, model.fixef - half, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(table.conf_high, model.fixef + half, rtol=1e-12, atol=1e-12)


def test_lmm_wald_interval_at_90_percent_matches_lme4(lmm_data):
    model = quiet_fit(oracle()["lmm"]["formula"], lmm_data)
    answer = oracle()["lmm"]["wald90"]
    table = model.coef_table(level=0.9, ddf="asymptotic")  # lme4's confint(method="Wald"): normal quantiles
    np.testing.assert_allclose(table.conf_low, answer["conf_low"], atol=1e-5)
    np.testing.assert_allclose(table.conf_high, answer["conf_high"], atol=1e-5)
    np.testing.assert_allclose(table.t_value, answer["statistic"], rtol=1e-5)


@pytest.mark.parametrize("name", ["bernoulli", "poisson"])
def test_glmm_wald_interval_and_two_sided_p_match_lme4(name):
    """lme4's SEs come from a finite-difference Hessian of its Laplace deviance and differ from ours by up
    to 2% (tests/backend/test_glmm_reference.py), so the bounds agree to 5% of an SE; a 95% interval
    labelled 90% is 0.3 SE off, a one-sided p-value half the two-sided one."""
    case = oracle()[name]
    model = quiet_fit(case["formula"], load(name), family=GLMM_CASES[name])
    answer = case["wald90"]
    table = model.coef_table(level=0.9)
    se = np.array(list(case["laplace"]["se"].values()))
    np.testing.assert_array_less(np.abs(table.conf_low - answer["conf_low"]), 0.05 * se)
    np.testing.assert_array_less(np.abs(table.conf_high - answer["conf_high"]), 0.05 * se)
    np.testing.assert_allclose(table.z_value, answer["statistic"], rtol=0.02)
    np.testing.assert_allclose(table.p_value, 2 * stats.norm.sf(np.abs(table.z_value)), rtol=1e-12)


def test_glmm_p_value_matches_lme4_where_it_is_not_far_in_the_tail():
    """Bernoulli intercept: p ≈ 0.006 (far in the tail a 2% change in z moves p by more than a factor 2)."""
    case = oracle()["bernoulli"]
    model = quiet_fit(case["formula"], load("bernoulli"), family="binomial")
    theirs = case["wald95"]["p_value"][0]
    assert 1e-3 < theirs < 0.05
    assert model.coef_table().p_value.iloc[0] == pytest.approx(theirs, rel=0.05)


@pytest.mark.parametrize("level", [0.9, 0.95])
def test_lmm_t_tests_are_two_sided_with_their_df(lmm_pair, level):
    """LMMs get lmerTest's t tests (Satterthwaite's df by default; values pinned in tests/inference/): the
    p-value is two-sided at the stated df and the interval uses the same t quantile."""
    table = lmm_pair[0].coef_table(level=level)
    t, df = table.t_value.to_numpy(), table.df.to_numpy()
    np.testing.assert_allclose(table.p_value, 2 * stats.t.sf(np.abs(t), df), rtol=1e-12)
    half = stats.t.ppf(1 - (1 - level) / 2, df) * table.std_error.to_numpy()
    np.testing.assert_allclose(table.conf_low, table.estimate - half, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(table.conf_high, table.estimate + half, rtol=1e-12, atol=1e-12)


def test_lmm_scaled_residuals_match_lme4(lmm_data):
    model = quiet_fit(oracle()["lmm"]["formula"], lmm_data)
    np.testing.assert_allclose(model.scaled_residuals(), oracle()["lmm"]["pearson"], atol=1e-4)


@pytest.mark.parametrize("name", ["cbind", "poisson"])
def test_glmm_pearson_residuals_with_prior_weights_match_lme4(name):
    """cbind: y is a proportion with the number of trials as prior weight; lme4's Pearson residuals are
    (y − μ)·√w / √(μ(1 − μ)). Differences come only from the optimum (lme4's relaxed PIRLS)."""
    case = oracle()[name]
    model = quiet_fit(case["formula"], load(name), family=GLMM_CASES[name])
    theirs = np.array(case["pearson"])
    np.testing.assert_allclose(model.scaled_residuals(), theirs, atol=2e-3 * np.max(np.abs(theirs)))
    if name == "cbind":
        np.testing.assert_allclose(model.residuals(), case["response"], atol=1e-3)
