"""Delta-method SEs of marginal_coefs() and average_effect() against an independent computation.

The oracle here shares no code with mixedwidgets/results/marginal.py: the marginal mean of each row,
E_b[g⁻¹(Xβ + b)], b ~ N(0, θ²), is integrated on a fine trapezoid grid (not Gauss–Hermite), the Jacobian
over (θ, β) is taken by central differences with another step, and the covariance of (θ, β) is lme4's:
2·H⁻¹ with H lme4's finite-difference Hessian of the deviance (m@optinfo$derivs$Hessian, the source of
lme4's vcov). With our own covariance of (θ, β) the SEs agree to 1e-3; with lme4's to 3% (lme4's and
our SEs of β differ by up to 2%, see tests/backend/test_glmm_reference.py).
"""

import numpy as np
import pytest
from oracles import load, oracle, quiet_fit
from scipy.special import expit

GRID = np.linspace(-9.0, 9.0, 4001)  # standard normal quantiles, trapezoid rule
DENSITY = np.exp(-(GRID**2) / 2) / np.sqrt(2 * np.pi)
CASES = {"bernoulli": ("binomial", expit, lambda m: np.log(m / (1 - m))), "poisson": ("poisson", np.exp, np.log)}


def _marginal_means(X, theta, beta, inverse_link):
    eta = X @ beta
    values = inverse_link(eta[:, None] + abs(theta) * GRID[None, :]) * DENSITY[None, :]
    return np.trapezoid(values, GRID, axis=1)


def _jacobian(function, params, step=1e-4):
    centre = function(params)
    jac = np.empty((centre.size, params.size))
    for i in range(params.size):
        up, down = params.copy(), params.copy()
        h = step * max(1.0, abs(params[i]))
        up[i] += h
        down[i] -= h
        jac[:, i] = (function(up) - function(down)) / (2 * h)
    return jac


def _delta_se(function, params, cov):
    jac = _jacobian(function, params)
    return np.sqrt(np.einsum("ij,jk,ik->i", jac, cov, jac))


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    family, inverse_link, link = CASES[request.param]
    answer = oracle()[request.param]
    data = load(request.param)
    model = quiet_fit(answer["formula"], data, family=family)
    X = model.design.X
    hessian = np.array(answer["laplace"]["hessian"])
    return model, X, inverse_link, link, 2 * np.linalg.inv(hessian)


def _coefficients(X, inverse_link, link):
    def coefs(params):
        mean = _marginal_means(X, params[0], params[1:], inverse_link)
        return np.linalg.lstsq(X, link(mean), rcond=None)[0]

    return coefs


def test_marginal_coefficients_and_their_se_against_an_independent_delta_method(case):
    model, X, inverse_link, link, lme4_cov = case
    params = np.concatenate([model.theta, model.fixef.to_numpy()])
    coefs = _coefficients(X, inverse_link, link)
    table = model.marginal_coefs()
    np.testing.assert_allclose(table["marginal"], coefs(params), rtol=1e-6, atol=1e-8)
    ours_cov = model.engine_fit.parameter_cov
    np.testing.assert_allclose(table["marginal_se"], _delta_se(coefs, params, ours_cov), rtol=1e-3)
    np.testing.assert_allclose(table["marginal_se"], _delta_se(coefs, params, lme4_cov), rtol=0.03)
    # the covariances matter here: without them the SEs are off by more than the tolerance above
    no_cov = _delta_se(coefs, params, np.diag(np.diag(ours_cov)))
    assert np.max(np.abs(no_cov / table["marginal_se"].to_numpy() - 1)) > 0.05


def test_average_effect_and_its_se_against_an_independent_delta_method(case):
    model, X, inverse_link, _, lme4_cov = case
    column = list(model.design.fixed_names).index("x")
    shifted = X.copy()
    shifted[:, column] += 0.5
    params = np.concatenate([model.theta, model.fixef.to_numpy()])

    def effect(p):
        m0 = _marginal_means(X, p[0], p[1:], inverse_link).mean()
        m1 = _marginal_means(shifted, p[0], p[1:], inverse_link).mean()
        return np.array([m0, m1, m1 - m0])

    expected = effect(params)
    result = model.average_effect("x", delta=0.5)
    assert result["mean_before"] == pytest.approx(expected[0], rel=1e-6)
    assert result["mean_after"] == pytest.approx(expected[1], rel=1e-6)
    assert result["average_difference"] == pytest.approx(expected[2], rel=1e-6)
    se = _delta_se(effect, params, model.engine_fit.parameter_cov)
    assert result["average_difference_se"] == pytest.approx(se[2], rel=1e-3)
    assert result["average_difference_se"] == pytest.approx(_delta_se(effect, params, lme4_cov)[2], rel=0.03)
    assert abs(se[2] - se[0]) > 0.05 * se[2] and abs(se[2] - se[1]) > 0.05 * se[2]  # rows tell apart
