"""Response families and link functions for GLMMs: binomial (logit, probit, cloglog) and Poisson (log).

Each family gives the variance function, the deviance residuals and the full log density (constants
included, as lme4's Laplace objective uses them). For the binomial, y is the proportion of successes
and the prior weight is the number of trials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import special, stats

from ..errors import MixedModelError

_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class Link:
    name: str
    inverse: Callable[[np.ndarray], np.ndarray]      # μ = g⁻¹(η)
    mu_eta: Callable[[np.ndarray], np.ndarray]       # dμ/dη
    link: Callable[[np.ndarray], np.ndarray]         # η = g(μ)


def _clip_probability(mu: np.ndarray) -> np.ndarray:
    return np.clip(mu, _EPS, 1.0 - _EPS)


def _logistic_density(eta: np.ndarray) -> np.ndarray:
    p = special.expit(eta)
    return p * (1.0 - p)


LINKS = {
    "logit": Link("logit", lambda eta: _clip_probability(special.expit(eta)),
                  lambda eta: np.maximum(_logistic_density(eta), _EPS), special.logit),
    "probit": Link("probit", lambda eta: _clip_probability(special.ndtr(eta)),
                   lambda eta: np.maximum(stats.norm.pdf(eta), _EPS), special.ndtri),
    "cloglog": Link("cloglog", lambda eta: _clip_probability(-np.expm1(-np.exp(np.minimum(eta, 700)))),
                    lambda eta: np.maximum(np.exp(np.minimum(eta, 700) - np.exp(np.minimum(eta, 700))), _EPS),
                    lambda mu: np.log(-np.log1p(-mu))),
    "log": Link("log", lambda eta: np.exp(np.minimum(eta, 700)),
                lambda eta: np.maximum(np.exp(np.minimum(eta, 700)), _EPS), np.log),
}


@dataclass(frozen=True)
class Family:
    name: str
    link: Link
    variance: Callable[[np.ndarray], np.ndarray]
    deviance_residuals: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    log_density_kernel: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]  # the part with μ
    log_density_constant: Callable[[np.ndarray, np.ndarray], np.ndarray]         # the rest
    start_mu: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def log_density(self, y: np.ndarray, mu: np.ndarray, wt: np.ndarray) -> np.ndarray:
        """log p(y | μ) per observation, constants included."""
        return self.log_density_kernel(y, mu, wt) + self.log_density_constant(y, wt)


def _binomial_deviance(y, mu, wt):
    return 2.0 * wt * (special.xlogy(y, y / mu) + special.xlogy(1.0 - y, (1.0 - y) / (1.0 - mu)))


def _binomial_kernel(y, mu, wt):
    successes = np.round(wt * y)
    return successes * np.log(mu) + (np.round(wt) - successes) * np.log1p(-mu)   # μ is kept inside (0, 1)


def _binomial_constant(y, wt):
    trials, successes = np.round(wt), np.round(wt * y)
    return special.gammaln(trials + 1) - special.gammaln(successes + 1) - special.gammaln(trials - successes + 1)


def _poisson_deviance(y, mu, wt):
    return 2.0 * wt * (special.xlogy(y, y / mu) - (y - mu))


def _poisson_kernel(y, mu, wt):
    return wt * (special.xlogy(y, mu) - mu)


def _poisson_constant(y, wt):
    return -wt * special.gammaln(y + 1)


_DEFAULT_LINK = {"binomial": "logit", "poisson": "log"}
_ALLOWED_LINKS = {"binomial": ("logit", "probit", "cloglog"), "poisson": ("log",)}


def make_family(name: str, link: str | None = None) -> Family:
    """The family object for 'binomial' or 'poisson' with its default (or a chosen) link."""
    if name not in _DEFAULT_LINK:
        raise MixedModelError(f"unknown GLMM family {name!r}; choose binomial or poisson")
    link = link or _DEFAULT_LINK[name]
    if link not in _ALLOWED_LINKS[name]:
        raise MixedModelError(f"the {name} family takes the link {' or '.join(_ALLOWED_LINKS[name])}, not {link!r}")
    if name == "binomial":
        return Family(name, LINKS[link], lambda mu: mu * (1.0 - mu), _binomial_deviance, _binomial_kernel, _binomial_constant,
                      lambda y, wt: (wt * y + 0.5) / (wt + 1.0))
    return Family(name, LINKS[link], lambda mu: mu, _poisson_deviance, _poisson_kernel, _poisson_constant,
                  lambda y, wt: y + 0.1)
