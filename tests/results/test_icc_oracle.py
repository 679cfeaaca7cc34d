"""m.icc() and m.icc_at() against R's performance::icc (0.10.2, insight 0.19) and hand formulas with lme4's
variance components.

Definitions (performance's "adjusted" ICC, by_group for crossed factors): τ²_g / (Σ_k τ²_k + σ²_d), with
σ²_d the residual variance for LMMs, π²/3 for the logit link, and for Poisson (log link) the lognormal
approximation log(1 + 1/λ). The two packages differ in λ, and only there:
- performance: λ = exp(β₀) with β₀ the intercept of a *refitted null model* (y ~ 1 + same random terms),
  no variance term (insight 0.19's .variance_distributional);
- mixedwidgets: λ = exp(β₀ + τ²/2) with β₀ the fitted model's own intercept (Nakagawa, Johnson &
  Schielzeth 2017, eq. for the lognormal approximation; no refit inside icc()).
On the Poisson case here that is 0.4399 (ours) against 0.4362 (performance); the test below checks that
the difference is exactly that of λ.
"""

import json

import numpy as np
import pandas as pd
import pytest
from golden import REFERENCE
from oracles import load, oracle, quiet_fit

import mixedwidgets as mw


@pytest.fixture(scope="module")
def lmm_data():
    return load("lmm")


def test_lmm_icc_matches_performance(lmm_data):
    case = oracle()["lmm"]
    model = quiet_fit(case["intercept_formula"], lmm_data)
    assert model.icc().icc.iloc[0] == pytest.approx(case["intercept_icc"]["icc_adjusted"], abs=1e-6)
    assert model.icc().scale.iloc[0] == "linear"


def test_crossed_lmm_icc_by_group_matches_performance(lmm_data):
    case = oracle()["lmm"]
    model = quiet_fit(case["crossed_formula"], lmm_data)
    theirs = dict(zip(case["crossed_icc"]["by_group"]["group"], case["crossed_icc"]["by_group"]["icc"]))
    ours = dict(zip(model.icc().group, model.icc().icc))
    assert set(ours) == set(theirs)
    for group, value in theirs.items():
        assert ours[group] == pytest.approx(value, abs=1e-6), group


@pytest.mark.parametrize("name", ["bernoulli", "cbind"])
def test_logistic_icc_matches_performance(name):
    """σ²_d = π²/3 (performance's var.distribution, stored); ours and lme4's τ² differ by < 0.2%."""
    case = oracle()[name]
    model = quiet_fit(case["formula"], load(name), family="binomial")
    assert case["icc"]["var_distribution"] == pytest.approx(np.pi**2 / 3, rel=1e-12)
    assert model.residual_variance()[0] == pytest.approx(case["icc"]["var_distribution"], rel=1e-12)
    assert model.icc().icc.iloc[0] == pytest.approx(case["icc"]["icc_adjusted"], abs=1e-3)
    assert "latent (logit)" in model.icc().scale.iloc[0]


def test_poisson_icc_differs_from_performance_only_in_lambda():
    case = oracle()["poisson"]
    model = quiet_fit(case["formula"], load("poisson"), family="poisson")
    tau2_lme4 = float(np.atleast_1d(case["laplace"]["theta"])[0]) ** 2
    beta0_lme4 = case["laplace"]["fixef"]["(Intercept)"]
    # ours: the lognormal approximation with λ = exp(β₀ + τ²/2), from lme4's estimates
    residual, scale = model.residual_variance()
    assert residual == pytest.approx(np.log1p(np.exp(-(beta0_lme4 + tau2_lme4 / 2))), rel=1e-3)
    assert "lognormal" in scale
    ours = model.icc().icc.iloc[0]
    assert ours == pytest.approx(tau2_lme4 / (tau2_lme4 + residual), abs=1e-4)
    # performance: λ = exp(β₀ of the null model), no τ²/2: its stored components say so ...
    performance_residual = np.log1p(np.exp(-case["null_intercept"]))
    assert case["icc"]["var_distribution"] == pytest.approx(performance_residual, rel=1e-9)
    assert case["icc"]["var_random"] == pytest.approx(tau2_lme4, rel=1e-9)
    # ... and our τ² with performance's σ²_d gives performance's ICC
    tau2 = model.covariance("g").iloc[0, 0]
    assert tau2 / (tau2 + performance_residual) == pytest.approx(case["icc"]["icc_adjusted"], abs=1e-4)
    assert abs(ours - case["icc"]["icc_adjusted"]) > 1e-3  # the documented difference is real


def _lme4_covariance(answer: dict, group: str) -> pd.DataFrame:
    rows = [r for r in answer["varcorr"] if r["grp"] == group]
    names = [r["var1"] for r in rows if r["var2"] is None]
    cov = pd.DataFrame(0.0, index=names, columns=names)
    for r in rows:
        if r["var2"] is None:
            cov.loc[r["var1"], r["var1"]] = r["vcov"]
        else:
            cov.loc[r["var1"], r["var2"]] = cov.loc[r["var2"], r["var1"]] = r["vcov"]
    return cov


@pytest.mark.parametrize("days", [0.0, 2.5, 9.0])
def test_random_slope_icc_at_x_is_the_hand_formula_with_lme4s_components(sleep_fit, days):
    """ICC(x) = z'Σz / (z'Σz + σ²), z = (1, x), with lme4's VarCorr for sleepstudy."""
    answer = json.loads((REFERENCE / "sleepstudy_reml.json").read_text())
    cov = _lme4_covariance(answer, "Subject").to_numpy()
    z = np.array([1.0, days])
    between = z @ cov @ z
    expected = between / (between + answer["sigma"] ** 2)
    assert sleep_fit.icc_at("Subject", Days=days) == pytest.approx(expected, rel=2e-3)
    if days == 0.0:
        assert sleep_fit.icc().icc.iloc[0] == pytest.approx(expected, rel=2e-3)


def test_crossed_random_slope_icc_at_x_counts_the_other_factor_at_its_intercept():
    """crossed_slope: (1 + x | subj) + (1 | item); ICC_subj(x) = z'Σ_subj z / (z'Σ_subj z + τ²_item + σ²)."""
    answer = json.loads((REFERENCE / "extra" / "crossed_slope.json").read_text())
    data = pd.read_csv(REFERENCE / "extra" / "data" / "crossed_slope.csv")
    data[["subj", "item"]] = data[["subj", "item"]].astype(str)
    model = quiet_fit("y ~ x + (1 + x | subj) + (1 | item)", data)
    subj, item = _lme4_covariance(answer, "subj").to_numpy(), _lme4_covariance(answer, "item").to_numpy()
    for x in (-1.0, 0.7):
        z = np.array([1.0, x])
        between = z @ subj @ z
        expected_subj = between / (between + item[0, 0] + answer["sigma"] ** 2)
        assert model.icc_at("subj", x=x) == pytest.approx(expected_subj, rel=3e-3)
    expected_item = item[0, 0] / (subj[0, 0] + item[0, 0] + answer["sigma"] ** 2)
    assert model.icc_at("item") == pytest.approx(expected_item, rel=3e-3)


def test_icc_at_refuses_unknown_group_and_predictor(sleep_fit):
    with pytest.raises(mw.MixedModelError, match="grouping factor"):
        sleep_fit.icc_at("nope", Days=1)
    with pytest.raises(mw.MixedModelError, match="not predictors"):
        sleep_fit.icc_at("Subject", Hours=1)
