"""The family registry: response families and their links. Gaussian (identity; the LMM engine profiles σ),
binomial (logit, probit, cloglog) and Poisson (log). `get_family` turns a name or a family object into
the object once, at the boundary (mw.fit, simulate, the magic); everything after it holds the object.

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
    "identity": Link("identity", lambda eta: np.asarray(eta, dtype=float), lambda eta: np.ones_like(eta, dtype=float),
                     lambda mu: np.asarray(mu, dtype=float)),
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


def _gaussian_deviance(y, mu, wt):
    return wt * (y - mu) ** 2


def _gaussian_kernel(y, mu, wt):
    """Unit-scale normal log density (the LMM engine profiles σ out and does not use it)."""
    return -0.5 * wt * (y - mu) ** 2


def _gaussian_constant(y, wt):
    return 0.5 * (np.log(wt) - np.log(2.0 * np.pi))


def _gaussian(link: Link) -> Family:
    return Family("gaussian", link, lambda mu: np.ones_like(mu), _gaussian_deviance, _gaussian_kernel,
                  _gaussian_constant, lambda y, wt: np.asarray(y, dtype=float))


def _binomial(link: Link) -> Family:
    return Family("binomial", link, lambda mu: mu * (1.0 - mu), _binomial_deviance, _binomial_kernel,
                  _binomial_constant, lambda y, wt: (wt * y + 0.5) / (wt + 1.0))


def _poisson(link: Link) -> Family:
    return Family("poisson", link, lambda mu: mu, _poisson_deviance, _poisson_kernel, _poisson_constant,
                  lambda y, wt: y + 0.1)


#: name -> (constructor from a link, default link, allowed links)
FAMILIES: dict[str, tuple[Callable[[Link], Family], str, tuple[str, ...]]] = {
    "gaussian": (_gaussian, "identity", ("identity",)),
    "binomial": (_binomial, "logit", ("logit", "probit", "cloglog")),
    "poisson": (_poisson, "log", ("log",)),
}
FAMILY_NAMES: tuple[str, ...] = tuple(FAMILIES)


def get_family(family: str | Family, link: str | None = None) -> Family:
    """The family object for a name (any case) or a family object, with its default or a chosen link."""
    if isinstance(family, Family):
        if link is not None and link != family.link.name:
            return get_family(family.name, link)
        return family
    name = str(family).strip().lower()
    if name not in FAMILIES:
        raise MixedModelError(f"unknown family {family!r}; choose one of {', '.join(FAMILY_NAMES)}")
    build, default, allowed = FAMILIES[name]
    link = default if link is None else str(link).strip().lower()
    if link not in allowed:
        raise MixedModelError(f"the {name} family takes the link {' or '.join(allowed)}, not {link!r}")
    return build(LINKS[link])


def make_family(name: str, link: str | None = None) -> Family:
    """The family object of a GLMM: binomial or Poisson (Gaussian models go to the LMM engine)."""
    family = get_family(name, link)
    if family.name == "gaussian":
        raise MixedModelError("the GLMM engine takes binomial or poisson; Gaussian models are fitted as LMMs")
    return family
