"""Offsets and several random terms through the results layer: the three-factor Poisson case with an exposure
offset (tests/reference/extra/glmm_poisson_offset3, lme4 1.1-31), GEE against geepack with the offset.

With a log link the marginal mean has a closed form, E[exp(η + b)] = exp(η + v/2) with v = Σ_k τ²_k, so the
marginal coefficients are β with v/2 added to the intercept: an exact oracle for the offset and for v.
"""

import json

import numpy as np
import pandas as pd
import pytest
from golden import REFERENCE
from oracles import oracle, quiet_fit

FORMULA = "count ~ x + offset(log(exposure)) + (1 | a) + (1 | b) + (1 | c)"


@pytest.fixture(scope="module")
def data():
    frame = pd.read_csv(REFERENCE / "extra" / "data" / "glmm_poisson_offset3.csv")
    return frame.astype({"a": "category", "b": "category", "c": "category"})


@pytest.fixture(scope="module")
def model(data):
    return quiet_fit(FORMULA, data, family="poisson")


def _modes(ranef: pd.DataFrame, group: str, levels: pd.Series) -> np.ndarray:
    part = ranef[ranef.group == group].set_index("level")["condval"]
    return part.reindex(levels.astype(str)).to_numpy()


def test_conditional_linear_predictor_is_fixed_plus_offset_plus_modes(model, data):
    ranef = model.ranef()
    eta = (model.fixef["(Intercept)"] + model.fixef["x"] * data["x"] + np.log(data["exposure"])).to_numpy()
    eta = eta + sum(_modes(ranef, g, data[g]) for g in ("a", "b", "c"))
    np.testing.assert_allclose(model.linear_predictor(), eta, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.predict(scale="link"), eta, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.fitted(), np.exp(eta), rtol=1e-12)
    typical = model.predict(kind="typical", scale="link")
    np.testing.assert_allclose(typical, eta - sum(_modes(ranef, g, data[g]) for g in ("a", "b", "c")), rtol=1e-12)


def test_conditional_linear_predictor_matches_lme4s_estimates(model, data):
    answer = json.loads((REFERENCE / "extra" / "glmm_poisson_offset3.json").read_text())
    ref = pd.DataFrame(answer["ranef"]).rename(columns={"grpvar": "group", "grp": "level"})
    eta = (answer["fixef"]["(Intercept)"] + answer["fixef"]["x"] * data["x"] + np.log(data["exposure"])).to_numpy()
    eta = eta + sum(_modes(ref, g, data[g]) for g in ("a", "b", "c"))
    np.testing.assert_allclose(model.linear_predictor(), eta, atol=2e-3)


def test_marginal_coefficients_and_means_have_the_closed_form(model, data):
    v = sum(model.covariance(g).iloc[0, 0] for g in ("a", "b", "c"))
    table = model.marginal_coefs()
    assert table.loc["(Intercept)", "marginal"] == pytest.approx(model.fixef["(Intercept)"] + v / 2, rel=1e-9)
    assert table.loc["x", "marginal"] == pytest.approx(model.fixef["x"], rel=1e-9)
    expected = np.exp(model.predict(kind="typical", scale="link") + v / 2)
    np.testing.assert_allclose(model.predict(kind="marginal"), expected, rtol=1e-9)
    new = data.head(4).assign(exposure=[1.0, 2.0, 3.0, 4.0])
    eta_new = model.fixef["(Intercept)"] + model.fixef["x"] * new["x"].to_numpy() + np.log(new["exposure"].to_numpy())
    np.testing.assert_allclose(model.predict(new, kind="marginal"), np.exp(eta_new + v / 2), rtol=1e-9)


def test_gee_with_an_offset_matches_geepack(model, data):
    pytest.importorskip("statsmodels")
    assert not data["a"].astype(str).is_monotonic_increasing
    theirs = oracle()["poisson_offset"]["gee"]
    table = model.gee_comparison("a")
    np.testing.assert_allclose(table["gee"], list(theirs["coef"].values()), atol=2e-4)
    np.testing.assert_allclose(table["gee_se"], list(theirs["robust_se"].values()), rtol=2e-3)
    assert table.attrs["gee_groups"] == "a"
