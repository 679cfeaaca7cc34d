"""The covariance of (θ, β) of a GLMM whose predictor is far from unit scale, against lme4's Hessian.

The engine divides X's columns by their root-mean-square and must take the covariance of (θ, β) back to
the caller's units on both sides (C[i, j] · f_i · f_j). The stored oracle cases have x ~ N(0, 1), whose
RMS is close to 1, so a one-sided unscaling goes unseen there. Here x is multiplied by 25: the model is
an exact reparametrization of the stored one (β_x' = β_x / 25), so lme4's covariance of (θ, β),
2·H⁻¹ with H = m@optinfo$derivs$Hessian (tools/r/results_oracles.R), maps to D·C·D with
D = diag(1, 1, 1/25). Our covariance and lme4's differ by up to 2% of the SDs' product in the unscaled
cases (the finite-difference Hessians differ); the tolerance is 3%, that of the delta-method SEs.
"""

import numpy as np
import pytest
from oracles import load, oracle, quiet_fit

FACTOR = 25.0
CASES = {"bernoulli": "binomial", "poisson": "poisson"}


@pytest.fixture(scope="module", params=list(CASES))
def rescaled(request):
    answer = oracle()[request.param]
    data = load(request.param)
    data["x"] = data["x"] * FACTOR
    model = quiet_fit(answer["formula"], data, family=CASES[request.param])
    lme4_cov = 2 * np.linalg.inv(np.array(answer["laplace"]["hessian"]))
    d = np.diag([1.0, 1.0, 1.0 / FACTOR])  # (θ, (Intercept), x)
    return model, d @ lme4_cov @ d


def test_parameter_covariance_in_the_callers_units_matches_lme4s(rescaled):
    model, expected = rescaled
    ours = model.engine_fit.parameter_cov
    assert ours.shape == (3, 3) and bool(np.all(model.engine_fit.free_parameters))
    np.testing.assert_allclose(ours, ours.T, rtol=1e-12, atol=0)
    sd = np.sqrt(np.diag(expected))
    np.testing.assert_allclose((ours - expected) / np.outer(sd, sd), 0.0, atol=0.03)


def test_marginal_standard_errors_scale_with_the_predictor(rescaled):
    """marginal_se of x·25 is marginal_se of x / 25 (the unscaled fit, same data), intercept unchanged."""
    model, _ = rescaled
    name = "bernoulli" if model.family == "binomial" else "poisson"
    plain = quiet_fit(oracle()[name]["formula"], load(name), family=model.family).marginal_coefs()
    table = model.marginal_coefs()
    assert table.loc["x", "marginal_se"] == pytest.approx(plain.loc["x", "marginal_se"] / FACTOR, rel=2e-3)
    assert table.loc["(Intercept)", "marginal_se"] == pytest.approx(plain.loc["(Intercept)", "marginal_se"], rel=2e-3)
