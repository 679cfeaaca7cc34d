"""Family pieces that the fits do not pin, against closed forms and scipy: the dispersion families' moment
starts (θ = mean²/(var − mean), shape = mean²/var, clipped to [0.1, 100]), their deviance residuals with prior
weights (twice the log-likelihood below the saturated model, divided by the shape for the Gamma, as R's
Gamma()$dev.resids), the Gamma's log density where μ ≤ 0, and the Gaussian family's identity link."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mixedwidgets.backend.family import get_family, make_family


def test_negative_binomial_start_is_the_moment_estimate_clipped():
    family = make_family("negative_binomial")
    assert family.start_dispersion(np.array([0.0, 2.0, 4.0, 10.0])) == pytest.approx(1.6, rel=1e-12)  # 16 / 10
    assert family.start_dispersion(np.array([3.0, 3.0, 3.0, 3.0])) == 100.0  # var < mean: 9 / 3e-3, clipped
    assert family.start_dispersion(np.array([0.0] * 99 + [100.0])) == 0.1  # 1 / 98, clipped
    # var − mean below the floor 1e-3·mean + 1e-8 (mean 0.25, var 0.1875): 0.0625 / (2.5e-4 + 1e-8) = 249.99
    assert family.start_dispersion(np.array([0.0, 0.0, 0.0, 1.0])) == 100.0
    # inside the clip with the floor active: mean 0.02, var 0.0196 < mean: 4e-4 / (2e-5 + 1e-8)
    y = np.array([0.0] * 49 + [1.0])
    assert family.start_dispersion(y) == pytest.approx(4e-4 / (2e-5 + 1e-8), rel=1e-12)


def test_gamma_start_is_the_moment_shape_clipped():
    family = make_family("gamma")
    assert family.start_dispersion(np.array([1.0, 2.0, 3.0, 6.0])) == pytest.approx(9.0 / 3.5, rel=1e-12)
    assert family.start_dispersion(np.array([2.0, 2.0, 2.0])) == 100.0  # var 0: 4 / 1e-12, clipped
    assert family.start_dispersion(np.array([0.001] * 19 + [20.0])) == 0.1  # ≈ 0.053, clipped
    assert family.start_dispersion(np.array([1.0, 3.0])) == pytest.approx(4.0, rel=1e-12)  # 4 / 1


def _deviance_from_densities(logpdf, y, mu, scale):
    return 2.0 * (logpdf(y, y) - logpdf(y, mu)) / scale


@pytest.mark.parametrize("name", ["negative_binomial", "gamma"])
def test_deviance_residuals_with_prior_weights(name):
    rng = np.random.default_rng(3)
    mu = rng.uniform(0.5, 8.0, 30)
    w = rng.uniform(0.2, 3.0, 30)
    if name == "negative_binomial":
        theta = 2.5
        y = rng.integers(0, 15, 30).astype(float)
        family = make_family(name, dispersion=theta)
        unit = _deviance_from_densities(lambda y, m: stats.nbinom.logpmf(y, theta, theta / (theta + m)), y, mu, 1.0)
    else:
        shape = 1.7
        y = rng.gamma(2.0, 2.0, 30)
        family = make_family(name, dispersion=shape)
        unit = _deviance_from_densities(lambda y, m: stats.gamma.logpdf(y, shape, scale=m / shape), y, mu, shape)
    np.testing.assert_allclose(family.deviance_residuals(y, mu, np.ones(30)), unit, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(family.deviance_residuals(y, mu, w), w * unit, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("link", ["log", "inverse"])
def test_the_gamma_density_is_minus_infinity_where_the_mean_is_not_positive(link):
    family = make_family("gamma", link, dispersion=2.0)
    y = np.array([1.0, 2.0, 3.0])
    mu = np.array([0.0, -1.0, 2.0])
    value = family.log_density(y, mu, np.ones(3))
    assert value[0] == -np.inf and value[1] == -np.inf
    assert value[2] == pytest.approx(stats.gamma.logpdf(3.0, 2.0, scale=1.0))


def test_the_gaussian_family_has_the_identity_link():
    family = get_family("gaussian")
    assert family.link.name == "identity"
    eta = np.array([-1.5, 0.0, 2.0])
    np.testing.assert_array_equal(family.link.inverse(eta), eta)
    np.testing.assert_array_equal(family.link.mu_eta(eta), np.ones(3))


def test_start_means_are_rs_initialize_expressions():
    # R: binomial()$initialize mustart = (weights * y + 0.5) / (weights + 1); poisson() and MASS's negative.binomial
    # mustart = y + 0.1; Gamma() mustart = y
    y, wt = np.array([0.0, 0.25, 1.0, 0.6]), np.array([1.0, 4.0, 2.0, 5.0])
    np.testing.assert_allclose(get_family("binomial").start_mu(y, wt), (wt * y + 0.5) / (wt + 1.0))
    counts = np.array([0.0, 3.0, 12.0])
    for name in ("poisson", "negative_binomial"):
        np.testing.assert_allclose(get_family(name).start_mu(counts, np.ones(3)), counts + 0.1)
    np.testing.assert_allclose(get_family("gamma").start_mu(counts + 1, np.ones(3)), counts + 1)


@pytest.mark.parametrize("link", ["logit", "probit", "cloglog"])
def test_binomial_links_take_scalars_and_keep_the_mean_inside_zero_one(link):
    inverse = get_family("binomial", link).link.inverse
    exact = {"logit": stats.logistic.cdf, "probit": stats.norm.cdf, "cloglog": lambda e: -np.expm1(-np.exp(e))}[link]
    for eta in (0.3, np.float64(-1.2), np.array(0.7)):
        assert float(inverse(eta)) == pytest.approx(exact(float(eta)), rel=1e-12)
    far = inverse(np.array([-800.0, -40.0, 0.0, 40.0, 800.0]))
    eps = np.finfo(float).eps
    assert far.min() == eps and far.max() == 1.0 - eps
