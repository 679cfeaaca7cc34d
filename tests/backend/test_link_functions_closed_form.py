"""Every link's g, g⁻¹ and dμ/dη against their closed forms (R's make.link), and g(g⁻¹(η)) = η.

g itself is used where the engine goes from means back to the linear predictor: GLMM starting values
and the population-averaged (marginal) coefficients, which regress g(marginal mean) on X; a wrong g
there (e.g. log(−log μ) for the cloglog) changes marginal_coefs() without touching the fit.
"""

import numpy as np
import pytest
from scipy import stats

from mixedwidgets.backend.family import LINKS

ETA = np.linspace(-3.0, 2.0, 11)
MU_PROBABILITY = np.array([0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99])
MU_POSITIVE = np.array([0.05, 0.5, 1.0, 3.0, 40.0])

#: R's make.link(name): linkfun, linkinv, mu.eta, written out
CLOSED_FORMS = {
    "logit": (
        lambda m: np.log(m / (1 - m)),
        lambda e: 1 / (1 + np.exp(-e)),
        lambda e: np.exp(-e) / (1 + np.exp(-e)) ** 2,
    ),
    "probit": (stats.norm.ppf, stats.norm.cdf, stats.norm.pdf),
    "cloglog": (lambda m: np.log(-np.log(1 - m)), lambda e: 1 - np.exp(-np.exp(e)), lambda e: np.exp(e - np.exp(e))),
    "log": (np.log, np.exp, np.exp),
    "identity": (lambda m: m, lambda e: e, np.ones_like),
    "inverse": (lambda m: 1 / m, lambda e: 1 / e, lambda e: -1 / e**2),
}


@pytest.mark.parametrize("name", sorted(CLOSED_FORMS))
def test_link_inverse_and_derivative_are_the_closed_forms(name):
    link = LINKS[name]
    g, g_inv, mu_eta = CLOSED_FORMS[name]
    mu = MU_PROBABILITY if name in ("logit", "probit", "cloglog") else MU_POSITIVE
    eta = ETA + 3.5 if name == "inverse" else ETA  # the inverse link needs η > 0
    np.testing.assert_allclose(link.link(mu.copy()), g(mu), rtol=1e-12)
    np.testing.assert_allclose(link.inverse(eta.copy()), g_inv(eta), rtol=1e-12)
    np.testing.assert_allclose(link.mu_eta(eta.copy()), mu_eta(eta), rtol=1e-10)
    np.testing.assert_allclose(link.derivative(eta.copy(), link.inverse(eta.copy())), mu_eta(eta), rtol=1e-10)
    np.testing.assert_allclose(link.link(link.inverse(eta.copy())), eta, rtol=1e-10, atol=1e-12)
