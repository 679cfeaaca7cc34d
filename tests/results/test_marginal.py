"""Population-averaged quantities of GLMMs: checked against independent integrals and against theory."""

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

import mixedwidgets as mw


@pytest.fixture(scope="module")
def logistic_fit():
    rng = np.random.default_rng(11)
    groups, per = 120, 15
    g = np.repeat(np.arange(groups), per)
    x = rng.normal(size=groups * per)
    u = rng.normal(0, 1.5, groups)[g]
    y = rng.random(groups * per) < special.expit(-0.5 + 1.0 * x + u)
    data = pd.DataFrame({"y": y.astype(int), "x": x, "g": g})
    return mw.fit("y ~ x + (1 | g)", data, family="binomial")


def test_marginal_prediction_matches_an_independent_integral(logistic_fit):
    m = logistic_fit
    tau = np.sqrt(m.covariance("g").iloc[0, 0])
    new = pd.DataFrame({"x": [-2.0, 0.0, 1.5], "g": [0, 0, 0]})
    eta = m.predict(new, kind="typical", scale="link")
    expected = [
        integrate.quad(lambda b, e=e: special.expit(e + b) * stats.norm.pdf(b, scale=tau), -np.inf, np.inf)[0]
        for e in eta
    ]
    np.testing.assert_allclose(m.predict(new, kind="marginal"), expected, rtol=1e-7)


def test_marginal_mean_lies_between_typical_and_one_half(logistic_fit):
    typical = logistic_fit.predict(kind="typical")
    marginal = logistic_fit.predict(kind="marginal")
    assert np.all(np.abs(marginal - 0.5) <= np.abs(typical - 0.5) + 1e-12)


def test_marginal_slope_is_attenuated_towards_zero(logistic_fit):
    table = logistic_fit.marginal_coefs()
    conditional, marginal = table.loc["x", "conditional"], table.loc["x", "marginal"]
    assert 0 < marginal < conditional
    # the classical approximation: β_M ≈ β_C / sqrt(1 + c² τ²), c = 16√3 / (15π)
    tau2 = logistic_fit.covariance("g").iloc[0, 0]
    approx = conditional / np.sqrt(1 + (16 * np.sqrt(3) / (15 * np.pi)) ** 2 * tau2)
    assert marginal == pytest.approx(approx, rel=0.05)
    assert 0 < table.loc["x", "marginal_se"] < table.loc["x", "conditional_se"] * 1.5


def test_average_effect_is_the_mean_difference_of_marginal_predictions(logistic_fit):
    m = logistic_fit
    effect = m.average_effect("x", delta=0.5)
    data = m.data
    shifted = data.assign(x=data.x + 0.5)
    direct = m.predict(shifted, kind="marginal").mean() - m.predict(data, kind="marginal").mean()
    assert effect["average_difference"] == pytest.approx(direct, rel=1e-10)
    assert effect["average_difference_se"] > 0
    assert effect["conditional_odds_ratio"] == pytest.approx(np.exp(0.5 * m.fixef["x"]))
    assert 1 < effect["marginal_odds_ratio"] < effect["conditional_odds_ratio"]


def test_average_effect_rejects_non_numeric_and_leaves_data_alone(logistic_fit):
    before = logistic_fit.data.copy()
    with pytest.raises(mw.MixedModelError, match="not a column"):
        logistic_fit.average_effect("nope")
    logistic_fit.average_effect("x")
    pd.testing.assert_frame_equal(before, logistic_fit.data)


def test_gee_sits_near_the_marginal_coefficients(logistic_fit):
    table = logistic_fit.gee_comparison()
    assert abs(table.loc["x", "gee"] - table.loc["x", "marginal"]) < 2 * table.loc["x", "gee_se"]
    assert table.loc["x", "gee"] < table.loc["x", "conditional"]


def test_poisson_marginal_mean_has_the_lognormal_closed_form():
    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(80), 10)
    x = rng.normal(size=800)
    y = rng.poisson(np.exp(0.3 + 0.4 * x + rng.normal(0, 0.6, 80)[g]))
    m = mw.fit("y ~ x + (1 | g)", pd.DataFrame({"y": y, "x": x, "g": g}), family="poisson")
    tau2 = m.covariance("g").iloc[0, 0]
    np.testing.assert_allclose(
        m.predict(kind="marginal"), np.exp(m.predict(kind="typical", scale="link") + tau2 / 2), rtol=1e-9
    )
    # on the log link the marginal slope equals the conditional one
    table = m.marginal_coefs()
    assert table.loc["x", "marginal"] == pytest.approx(table.loc["x", "conditional"], rel=1e-6)
