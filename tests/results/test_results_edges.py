"""The results layer's remaining branches, each checked by its value or its message: argument errors,
the refit hook, the criterion's name, ratios only where the link has one, contextual_effect through the model."""

import numpy as np
import pandas as pd
import pytest
from oracles import load, oracle, quiet_fit

import mixedwidgets as mw
from mixedwidgets.results.model import LinearMixedModel


@pytest.fixture(scope="module")
def logistic():
    return quiet_fit(oracle()["bernoulli"]["formula"], load("bernoulli"), family="binomial")


def test_criterion_name_and_settings_follow_the_fit(sleep_fit, sleep):
    assert sleep_fit.criterion_name == "REML criterion"
    ml = sleep_fit.refit(reml=False)
    assert ml.criterion_name == "-2 log-likelihood" and not ml.reml
    assert sleep_fit.settings["reml"] is True and ml.settings["reml"] is False
    assert ml.objective == pytest.approx(json_objective("sleepstudy_ml"), abs=2e-3)


def json_objective(name):
    import json

    from golden import REFERENCE

    return json.loads((REFERENCE / f"{name}.json").read_text())["objective"]


def test_refit_without_a_refit_function_says_how(sleep_fit):
    bare = LinearMixedModel(
        formula=sleep_fit.formula,
        design=sleep_fit.design,
        fit=sleep_fit.engine_fit,
        data=sleep_fit.data,
        settings=sleep_fit.fit_settings,
    )
    with pytest.raises(mw.MixedModelError, match="refit function"):
        bare.refit(reml=False)
    assert bare.loglik == sleep_fit.loglik


def test_prediction_arguments_are_checked(sleep_fit, logistic):
    with pytest.raises(mw.MixedModelError, match="kind must be 'conditional' or 'typical'"):
        sleep_fit.linear_predictor(kind="marginal")
    with pytest.raises(mw.MixedModelError, match="scale must be"):
        sleep_fit.predict(scale="odds")
    with pytest.raises(mw.MixedModelError, match="kind must be one of"):
        sleep_fit.predict(kind="marginal")
    with pytest.raises(mw.MixedModelError, match="newdata must be a pandas DataFrame"):
        logistic.predict(newdata={"x": [0.0]}, kind="marginal")
    with pytest.raises(mw.MixedModelError, match="newdata must be a pandas DataFrame"):
        sleep_fit.linear_predictor(newdata=[1, 2])


def test_marginal_prediction_on_new_rows_is_the_marginal_mean(logistic):
    new = pd.DataFrame({"x": [-1.0, 0.0, 2.0], "g": ["g01", "g02", "g03"]})
    mean = logistic.predict(new, kind="marginal")
    link = logistic.predict(new, kind="marginal", scale="link")
    np.testing.assert_allclose(np.log(mean / (1 - mean)), link, rtol=1e-12)
    tau = logistic.theta[0]
    eta = logistic.fixef["(Intercept)"] + logistic.fixef["x"] * new["x"].to_numpy()
    grid = np.linspace(-9, 9, 4001)
    density = np.exp(-(grid**2) / 2) / np.sqrt(2 * np.pi)
    expected = np.trapezoid(1 / (1 + np.exp(-(eta[:, None] + tau * grid))) * density, grid, axis=1)
    np.testing.assert_allclose(mean, expected, rtol=1e-6)


def test_ratios_only_for_a_coefficient_of_the_variable(logistic):
    effect = logistic.average_effect("x")
    table = logistic.marginal_coefs()
    assert effect["conditional_odds_ratio"] == pytest.approx(np.exp(table.loc["x", "conditional"]))
    assert effect["marginal_odds_ratio"] == pytest.approx(np.exp(table.loc["x", "marginal"]))
    data = load("bernoulli").assign(x2=lambda d: d["x"] ** 2)
    squared = quiet_fit("y ~ x2 + (1 | g)", data, family="binomial")
    assert "conditional_odds_ratio" in squared.average_effect("x2")
    assert not any("ratio" in k for k in squared.average_effect("x").index)  # x is not a coefficient here


def test_average_effect_refuses_a_categorical_variable(logistic):
    data = load("bernoulli").assign(level=lambda d: np.where(d["x"] > 0, "high", "low"))
    model = quiet_fit("y ~ level + (1 | g)", data, family="binomial")
    with pytest.raises(mw.MixedModelError, match="numeric predictor"):
        model.average_effect("level")


def test_contextual_effect_through_the_model_is_the_function():
    from mixedwidgets.results.contextual import contextual_effect

    data = load("lmm")
    model = quiet_fit("y ~ within(x, g) + between(x, g) + (1 | g)", data)
    via_model, direct = model.contextual_effect("x"), contextual_effect(model, "x")
    assert via_model.estimate == direct.estimate and via_model.std_error == direct.std_error
    assert via_model.estimate == pytest.approx(via_model.between - via_model.within)


def test_compare_refuses_one_model_and_different_responses(sleep_fit, sleep):
    with pytest.raises(mw.MixedModelError, match="at least two"):
        mw.compare(sleep_fit)
    other = quiet_fit("Days ~ 1 + (1 | Subject)", sleep)
    with pytest.raises(mw.MixedModelError, match="different responses"):
        mw.compare(sleep_fit, other)


def test_contextual_effect_se_is_that_of_the_difference():
    """Var(β_b − β_w) = e'Ve with e = (−1, 1) over (within, between): the covariance counts, with its sign.
    (In an LMM with random intercepts only the two are uncorrelated; in a GLMM the weights make them not.)"""
    from scipy import stats

    model = quiet_fit("y ~ within(x, g) + between(x, g) + (1 | g)", load("bernoulli"), family="binomial")
    effect = model.contextual_effect("x")
    names = [effect.within_name, effect.between_name]
    V = model.vcov.loc[names, names].to_numpy()
    assert abs(V[0, 1]) > 1e-3 * np.sqrt(V[0, 0] * V[1, 1])
    e = np.array([-1.0, 1.0])
    assert effect.std_error == pytest.approx(np.sqrt(e @ V @ e), rel=1e-12)
    assert effect.z == pytest.approx(effect.estimate / effect.std_error, rel=1e-12)
    assert effect.p_value == pytest.approx(2 * stats.norm.sf(abs(effect.z)), rel=1e-12)


@pytest.mark.parametrize("theta, zero", [([1.0, 0.0, 0.0], "Days"), ([0.0, 0.0, 1.0], "(Intercept)")])
def test_correlation_with_a_zero_sd_is_nan_as_in_lme4(sleep_fit, theta, zero):
    from mixedwidgets.results.varcorr import varcorr_frame

    frame = varcorr_frame(sleep_fit.engine_fit.structure, np.array(theta), 2.0, residual=True)
    sds = frame[frame.var2.isna() & (frame.group == "Subject")].set_index("var1").sdcor
    assert sds[zero] == 0.0 and sds.drop(zero).iloc[0] == pytest.approx(2.0)
    assert np.isnan(frame[frame.var2.notna()].sdcor.iloc[0])
    assert frame.iloc[-1].group == "Residual" and frame.iloc[-1].vcov == 4.0 and frame.iloc[-1].sdcor == 2.0


def test_poisson_icc_without_an_intercept_uses_the_mean_linear_predictor():
    case = oracle()["poisson"]
    model = quiet_fit("count ~ 0 + x + (1 | g)", load("poisson"), family="poisson")
    tau2 = model.covariance("g").iloc[0, 0]
    beta0 = float(np.mean(model.design.X @ model.fixef.to_numpy()))
    assert model.residual_variance()[0] == pytest.approx(np.log1p(np.exp(-(beta0 + tau2 / 2))), rel=1e-12)
    assert case["formula"] != model.formula


def test_probit_average_effect_has_no_ratio():
    model = quiet_fit("y ~ x + (1 | g)", load("bernoulli"), family="binomial", link="probit")
    effect = model.average_effect("x")
    assert not any("ratio" in k for k in effect.index)
    assert effect.name == "average_effect" and effect["variable"] == "x"
    assert model.residual_variance() == (1.0, "latent (probit)")


def test_glmm_keeps_formula_data_refit_and_progress(logistic):
    calls = []
    data = load("bernoulli")
    model = quiet_fit("y ~ x + (1 | g)", data, family="binomial", progress=lambda n, value: calls.append(value))
    assert calls and np.isfinite(calls[-1])
    assert model.formula == "y ~ x + (1 | g)" and model.data is data
    agq = model.refit(nagq=5)
    assert agq.nagq == 5 and agq.formula == model.formula
    assert agq.objective == pytest.approx(quiet_fit(model.formula, data, family="binomial", nagq=5).objective)


def test_lrt_of_a_useless_predictor_is_twice_the_loglik_gain():
    """χ² below 1 (a noise column): the statistic is 2·ΔlogL exactly, not clamped anywhere but at 0."""
    data = load("lmm").assign(noise=lambda d: np.sin(np.arange(len(d)) * 3.1))
    m0 = quiet_fit("y ~ x + f + (1 | g)", data, reml=False)
    m1 = quiet_fit("y ~ x + f + noise + (1 | g)", data, reml=False)
    table = mw.compare(m0, m1)
    chisq = 2 * (m1.loglik - m0.loglik)
    assert 0 < chisq < 1
    assert table["Chisq"].iloc[1] == pytest.approx(chisq, rel=1e-9)
    assert table.attrs["note"] == ""


def test_gee_clusters_by_the_group_asked_for():
    from golden import REFERENCE

    data = pd.read_csv(REFERENCE / "extra" / "data" / "glmm_poisson_offset3.csv").astype(
        {"a": "category", "b": "category"}
    )
    model = quiet_fit("count ~ x + offset(log(exposure)) + (1 | a) + (1 | b)", data, family="poisson")
    by_a, by_b = model.gee_comparison("a"), model.gee_comparison("b")
    assert by_a.attrs["gee_groups"] == "a" and by_b.attrs["gee_groups"] == "b"
    assert abs(by_a["gee_se"].iloc[1] - by_b["gee_se"].iloc[1]) > 1e-4
    assert model.gee_comparison().attrs["gee_groups"] == by_a.attrs["gee_groups"]  # the first term by default


def test_ranef_frame_has_a_fresh_index(sleep_fit):
    frame = sleep_fit.ranef()
    assert list(frame.index) == list(range(len(frame)))
