"""A Poisson GLMM with a correlated random slope, count ~ x + (1 + x | g): ICC and marginal answers against
closed forms with lme4's estimates (tests/reference/results/poisson_slope.json, tools/r/results_oracles_slopes.R).

- ICC at x = 0 (Nakagawa et al. 2017, lognormal approximation, as docs say): τ²₀ / (τ²₀ + log(1 + 1/λ)),
  λ = exp(β₀ + τ²₀/2), τ²₀ the *intercept* variance only (the slope's variance belongs to x ≠ 0).
- Marginal means with the log link are a closed form: z'b ~ N(0, z'Σz), so E[exp(η + z'b)] = exp(η + z'Σz/2)
  with z = (1, x); the marginal coefficients regress log of those on X (here exactly, since z'Σz is
  quadratic in x, by least squares). Σ here is not symmetric in its factor: T'T ≠ TT'.
Our estimates and lme4's agree to ~1e-4 relative; the tolerances are 2e-3 (the README's for SDs).
"""

import json

import numpy as np
import pandas as pd
import pytest
from oracles import FOLDER, quiet_fit


@pytest.fixture(scope="module")
def answer():
    return json.loads((FOLDER / "poisson_slope.json").read_text())


@pytest.fixture(scope="module")
def data():
    frame = pd.read_csv(FOLDER / "data" / "poisson_slope.csv")
    frame["g"] = frame["g"].astype("category")
    return frame


@pytest.fixture(scope="module")
def model(answer, data):
    return quiet_fit(answer["formula"], data, family="poisson")


def _lme4(answer):
    beta = np.array([answer["fixef"]["(Intercept)"], answer["fixef"]["x"]])
    return beta, np.array(answer["covariance"])


def test_the_fit_is_lme4s(model, answer):
    beta, sigma = _lme4(answer)
    assert model.objective == pytest.approx(answer["deviance"], abs=2e-3)
    np.testing.assert_allclose(model.fixef.to_numpy(), beta, rtol=2e-3)
    np.testing.assert_allclose(model.covariance("g").to_numpy(), sigma, rtol=2e-3)
    np.testing.assert_allclose(model.predict(), answer["conditional_response"], rtol=2e-3)
    np.testing.assert_allclose(model.predict(kind="typical"), answer["typical_response"], rtol=2e-3)


def test_icc_uses_the_intercept_variance_for_lambda_and_the_between_variance(model, answer):
    beta, sigma = _lme4(answer)
    tau2 = sigma[0, 0]
    residual = np.log1p(1.0 / np.exp(beta[0] + tau2 / 2))
    assert model.residual_variance()[0] == pytest.approx(residual, rel=2e-3)
    assert model.icc().icc.iloc[0] == pytest.approx(tau2 / (tau2 + residual), rel=2e-3)
    z = np.array([1.0, 1.5])
    between = z @ sigma @ z
    assert model.icc_at("g", x=1.5) == pytest.approx(between / (between + residual), rel=2e-3)


def test_marginal_means_and_coefficients_are_the_lognormal_closed_form(model, answer, data):
    beta, sigma = _lme4(answer)
    z = np.column_stack([np.ones(len(data)), data["x"].to_numpy()])
    log_mean = z @ beta + 0.5 * np.einsum("ia,ab,ib->i", z, sigma, z)
    np.testing.assert_allclose(model.predict(kind="marginal"), np.exp(log_mean), rtol=2e-3)
    np.testing.assert_allclose(model.predict(kind="marginal", scale="link"), log_mean, rtol=2e-3, atol=2e-3)
    new = pd.DataFrame({"x": [-1.0, 0.0, 2.5]})
    zn = np.column_stack([np.ones(3), new["x"].to_numpy()])
    expected = np.exp(zn @ beta + 0.5 * np.einsum("ia,ab,ib->i", zn, sigma, zn))
    np.testing.assert_allclose(model.predict(new, kind="marginal"), expected, rtol=2e-3)
    coefs = np.linalg.lstsq(z, log_mean, rcond=None)[0]
    np.testing.assert_allclose(model.marginal_coefs()["marginal"].to_numpy(), coefs, rtol=2e-3)
