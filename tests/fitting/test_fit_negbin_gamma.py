"""Negative-binomial and Gamma models through mw.fit: results, predictions, simulation, checks, magic."""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets.errors import MixedModelError
from mixedwidgets.magic.args import parse_magic

FOLDER = Path(__file__).resolve().parents[1] / "reference" / "families"


def _data(name):
    return pd.read_csv(FOLDER / "data" / f"{name}.csv")


@pytest.fixture(scope="module")
def nb():
    return mw.fit("y ~ x + (1 | g)", _data("nb_intercept"), family="negative_binomial")


@pytest.fixture(scope="module")
def gamma_log():
    return mw.fit("y ~ x + (1 | g)", _data("gamma_log_intercept"), family="gamma")


def test_dispersion_is_reported_in_summary_and_html(nb, gamma_log):
    assert f"(theta): {nb.dispersion:.4g}" in nb.summary()
    assert f"(shape): {gamma_log.dispersion:.4g}" in gamma_log.summary()
    assert "Dispersion parameter (theta)" in nb._repr_html_()
    assert "[negative_binomial, log link]" in nb.summary()


def test_models_without_a_dispersion_parameter_report_none():
    cbpp = mw.datasets.load("cbpp")
    m = mw.fit("cbind(incidence, size - incidence) ~ period + (1 | herd)", cbpp, family="binomial")
    assert m.dispersion is None and m.dispersion_name is None and "Dispersion" not in m.summary()


@pytest.mark.parametrize("name", ["nb", "gamma_log"])
def test_predictions_conditional_typical_and_marginal(name, request):
    m = request.getfixturevalue(name)
    sd = m.varcorr.sdcor.iloc[0]
    eta_typical = m.linear_predictor(kind="typical")
    np.testing.assert_allclose(m.predict(kind="typical"), np.exp(eta_typical))
    np.testing.assert_allclose(m.predict(), np.exp(m.linear_predictor()))
    # log link, random intercept: E_b exp(η + b) = exp(η + σ²/2)
    np.testing.assert_allclose(m.predict(kind="marginal"), np.exp(eta_typical + sd**2 / 2), rtol=1e-6)
    new = pd.DataFrame({"x": [0.0, 1.0], "g": ["new", m.data.g.iloc[0]]})
    conditional = m.predict(new)
    assert conditional[0] == pytest.approx(np.exp(m.fixef["(Intercept)"]))
    assert conditional[1] != pytest.approx(np.exp(m.fixef["(Intercept)"] + m.fixef["x"]))


def test_marginal_coefficients_of_a_log_link_random_intercept(nb):
    table = nb.marginal_coefs()
    sd = nb.varcorr.sdcor.iloc[0]
    assert table.loc["x", "marginal"] == pytest.approx(nb.fixef["x"], abs=1e-6)
    assert table.loc["(Intercept)", "marginal"] == pytest.approx(nb.fixef["(Intercept)"] + sd**2 / 2, abs=1e-6)
    assert np.all(table["marginal_se"] > 0)


def test_gamma_inverse_link_fit_and_icc_refusal():
    m = mw.fit("y ~ x + (1 | g)", _data("gamma_inverse_intercept"), family="gamma", link="inverse")
    assert m.link == "inverse"
    np.testing.assert_allclose(m.predict(), 1.0 / m.linear_predictor())
    with pytest.raises(MixedModelError, match="log link"):
        m.icc()


def test_icc_on_the_latent_scale(nb, gamma_log):
    var_nb = nb.varcorr.vcov.iloc[0]
    lam = np.exp(nb.fixef["(Intercept)"] + var_nb / 2)
    assert nb.icc().icc.iloc[0] == pytest.approx(var_nb / (var_nb + np.log1p(1 / lam + 1 / nb.dispersion)))
    var_g = gamma_log.varcorr.vcov.iloc[0]
    assert gamma_log.icc().icc.iloc[0] == pytest.approx(var_g / (var_g + np.log1p(1 / gamma_log.dispersion)))


def test_simulate_from_a_fitted_model_uses_the_dispersion(nb):
    sims = mw.simulate(nb, nsim=400, seed=3)
    assert sims.shape == (nb.nobs, 400) and (sims.to_numpy() == np.round(sims.to_numpy())).all()
    # the variance of NB2 draws around the group means exceeds the Poisson's
    mu = nb.predict(kind="marginal")
    assert sims.to_numpy().mean() == pytest.approx(mu.mean(), rel=0.05)


@pytest.mark.parametrize("family,dispersion", [("negative_binomial", 2.0), ("gamma", 3.0)])
def test_simulate_data_draws_from_the_family(family, dispersion):
    frame = pd.DataFrame({"x": np.zeros(40000), "g": np.repeat(np.arange(200), 200)})
    out = mw.simulate(
        "y ~ 1 + (1 | g)",
        frame,
        fixed={"(Intercept)": 1.0},
        random={"g": {"(Intercept)": 1e-6}},
        family=family,
        dispersion=dispersion,
        seed=5,
    )
    mu = np.e
    variance = mu + mu**2 / dispersion if family == "negative_binomial" else mu**2 / dispersion
    assert out.y.mean() == pytest.approx(mu, rel=0.02)
    assert out.y.var() == pytest.approx(variance, rel=0.05)
    assert frame.columns.tolist() == ["x", "g"]


def test_simulate_data_needs_the_dispersion_and_refuses_it_elsewhere():
    frame = pd.DataFrame({"x": np.arange(10.0), "g": np.repeat([0, 1], 5)})
    args = dict(fixed={"(Intercept)": 0.0, "x": 0.1}, random={"g": {"(Intercept)": 0.5}})
    with pytest.raises(MixedModelError, match="theta"):
        mw.simulate("y ~ x + (1 | g)", frame, family="negative_binomial", **args)
    with pytest.raises(MixedModelError, match="dispersion applies"):
        mw.simulate("y ~ x + (1 | g)", frame, family="poisson", dispersion=2.0, **args)


def test_fit_recovers_simulated_values_roughly():
    frame = pd.DataFrame({"x": np.random.default_rng(1).normal(size=3000), "g": np.repeat(np.arange(100), 30)})
    data = mw.simulate(
        "y ~ x + (1 | g)",
        frame,
        fixed={"(Intercept)": 0.5, "x": 0.3},
        random={"g": {"(Intercept)": 0.5}},
        family="negative_binomial",
        dispersion=2.0,
        seed=9,
    )
    m = mw.fit("y ~ x + (1 | g)", data, family="negative_binomial")
    assert m.dispersion == pytest.approx(2.0, rel=0.15)
    assert m.fixef["x"] == pytest.approx(0.3, abs=4 * m.coef_table().loc["x", "std_error"])


@pytest.mark.parametrize(
    "family,values,match",
    [
        ("negative_binomial", [1, -1, 2, 3], "non-negative"),
        ("negative_binomial", [1, 0.5, 2, 3], "whole"),
        ("gamma", [1.0, 0.0, 2.0, 3.0], "positive"),
        ("negative_binomial", [0, 0, 0, 0], "0 in every row"),
        ("gamma", [2.0, 2.0, 2.0, 2.0], "same value"),
    ],
)
def test_responses_the_family_cannot_model_are_refused(family, values, match):
    frame = pd.DataFrame({"y": values, "g": [0, 0, 1, 1]})
    before = frame.copy()
    with pytest.raises(MixedModelError, match=match):
        mw.fit("y ~ 1 + (1 | g)", frame, family=family)
    pd.testing.assert_frame_equal(frame, before)


def test_a_gaussian_model_refuses_another_link():
    with pytest.raises(MixedModelError, match="identity link"):
        mw.fit("Reaction ~ Days + (1 | Subject)", mw.datasets.load("sleepstudy"), link="log")


def test_the_poisson_overdispersion_warning_names_the_negative_binomial():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = pd.DataFrame({"x": np.linspace(-1, 1, 600), "g": np.repeat(np.arange(30), 20)})
        data = mw.simulate(
            "y ~ x + (1 | g)",
            frame,
            fixed={"(Intercept)": 1.5, "x": 0.3},
            random={"g": {"(Intercept)": 0.3}},
            family="negative_binomial",
            dispersion=1.0,
            seed=4,
        )
        m = mw.fit("y ~ x + (1 | g)", data, family="poisson")
    note = [n for n in m.messages if "overdispersion" in n]
    assert note and 'family="negative_binomial"' in note[0]


def test_the_magic_takes_the_new_families_and_a_link():
    request = parse_magic("--data d --family gamma --link inverse", "y ~ x + (1 | g)")
    assert (request.family, request.link) == ("gamma", "inverse")
    assert parse_magic("--data d --family negative_binomial", "y ~ x + (1 | g)").family == "negative_binomial"


def test_tidy_and_glance_of_a_negative_binomial_model(nb):
    glance = nb.glance().iloc[0]
    assert glance["dispersion"] == nb.dispersion and glance["df_residual"] == nb.nobs - 4
    tidy = nb.tidy()
    assert tidy.term.tolist() == ["(Intercept)", "x", "sd__(Intercept)"]


def test_stored_answers_are_json():
    for path in FOLDER.glob("*.json"):
        assert "glmmTMB" in json.loads(path.read_text())


@pytest.mark.parametrize(
    "name,family,link",
    [
        ("nb_intercept", "negative_binomial", "log"),
        ("gamma_log_intercept", "gamma", "log"),
        ("gamma_inverse_intercept", "gamma", "inverse"),
    ],
)
def test_gee_comparison_for_the_new_families(name, family, link):
    pytest.importorskip("statsmodels")
    m = mw.fit("y ~ x + (1 | g)", _data(name), family=family, link=link)
    table = m.gee_comparison()
    assert abs(table.loc["x", "gee"] - table.loc["x", "marginal"]) < 3 * table.loc["x", "gee_se"]


def test_a_negative_binomial_without_overdispersion_says_so():
    rng = np.random.default_rng(6)
    data = pd.DataFrame(
        {"y": rng.binomial(6, 0.4, size=300), "x": rng.normal(size=300), "g": np.repeat(np.arange(30), 10)}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = mw.fit("y ~ x + (1 | g)", data, family="negative_binomial")
        poisson = mw.fit("y ~ x + (1 | g)", data, family="poisson")
    assert m.dispersion > 1e4 and any("θ is very large" in note for note in m.messages)
    assert m.objective == pytest.approx(poisson.objective, abs=1e-3)  # the Poisson limit θ → ∞


def test_an_inverse_link_fit_keeps_every_mean_positive():
    """Data made with a log link: the inverse-link fit (which glmmTMB fails on) must stay where μ = 1/η is a
    valid mean in every row, and fit worse than the log link that made the data."""
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(30), 12)
    x = rng.normal(size=len(g))
    mu = np.exp(0.5 + 0.4 * x + rng.normal(0, 0.6, 30)[g])
    data = pd.DataFrame({"y": rng.gamma(3.0, mu / 3.0), "x": x, "g": g})
    inverse = mw.fit("y ~ x + (1 | g)", data, family="gamma", link="inverse")
    log = mw.fit("y ~ x + (1 | g)", data, family="gamma")
    assert inverse.converged and log.converged
    assert (inverse.predict(scale="link") > 0).all() and np.isfinite(inverse.objective)
    assert inverse.objective > log.objective + 10


def test_average_effect_ratios_are_named_for_the_family(nb, gamma_log):
    nb_effect, gamma_effect = nb.average_effect("x"), gamma_log.average_effect("x")
    assert nb_effect["conditional_rate_ratio"] == pytest.approx(np.exp(nb.fixef["x"]))
    assert gamma_effect["conditional_mean_ratio"] == pytest.approx(np.exp(gamma_log.fixef["x"]))
    assert "conditional_rate_ratio" not in gamma_effect
