"""The family registry: response families and their links. Gaussian (identity; the LMM engine profiles σ),
binomial (logit, probit, cloglog), Poisson (log), negative binomial (NB2, log) and Gamma (log, inverse).
`get_family` turns a name or a family object into the object once, at the boundary (mw.fit, simulate,
the magic); everything after it holds the object.

Each family gives the variance function, the deviance residuals and the full log density (constants
included, as lme4's Laplace objective uses them). For the binomial, y is the proportion of successes
and the prior weight is the number of trials. The negative binomial and the Gamma carry a dispersion
parameter (θ, the shape) estimated with the other parameters: see DispersionFamily.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy import special, stats

from ..errors import MixedModelError

_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class Link:
    name: str
    inverse: Callable[[np.ndarray], np.ndarray]  # μ = g⁻¹(η)
    mu_eta: Callable[[np.ndarray], np.ndarray]  # dμ/dη
    link: Callable[[np.ndarray], np.ndarray]  # η = g(μ)
    #: dμ/dη from μ = inverse(η) where that is cheaper than from η (it saves one exp per PIRLS step)
    mu_eta_of_mu: Callable[[np.ndarray], np.ndarray] | None = None

    def derivative(self, eta: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """dμ/dη at η, given μ = inverse(η)."""
        return self.mu_eta(eta) if self.mu_eta_of_mu is None else self.mu_eta_of_mu(mu)


def _clip_probability(mu: np.ndarray) -> np.ndarray:
    # mu is a fresh array from the inverse link (or a scalar): clipped in place, no second array
    return np.clip(mu, _EPS, 1.0 - _EPS, out=mu if isinstance(mu, np.ndarray) and mu.ndim else None)


def _expit(eta):
    """1 / (1 + exp(−η)), as three in-place passes: 4× faster than scipy.special.expit on arrays here, and
    within 1 ulp of it (exp(−η) overflows to inf for η < −709, giving 0, as expit does)."""
    if not isinstance(eta, np.ndarray) or eta.ndim == 0:
        return special.expit(eta)
    p = np.negative(eta, dtype=float)
    with np.errstate(over="ignore"):
        np.exp(p, out=p)
    p += 1.0
    return np.divide(1.0, p, out=p)


def _logistic_density(eta: np.ndarray) -> np.ndarray:
    p = _expit(eta)
    return p * (1.0 - p)


LINKS = {
    "logit": Link(
        "logit",
        lambda eta: _clip_probability(_expit(eta)),
        lambda eta: np.maximum(_logistic_density(eta), _EPS),
        special.logit,
        # μ is clipped to [ε, 1 − ε]: μ(1 − μ) then differs from the unclipped p(1 − p) by less than ε²
        lambda mu: np.maximum(mu * (1.0 - mu), _EPS),
    ),
    "probit": Link(
        "probit",
        lambda eta: _clip_probability(special.ndtr(eta)),
        lambda eta: np.maximum(stats.norm.pdf(eta), _EPS),
        special.ndtri,
    ),
    "cloglog": Link(
        "cloglog",
        lambda eta: _clip_probability(-np.expm1(-np.exp(np.minimum(eta, 700)))),
        lambda eta: np.maximum(np.exp(np.minimum(eta, 700) - np.exp(np.minimum(eta, 700))), _EPS),
        lambda mu: np.log(-np.log1p(-mu)),
    ),
    "identity": Link(
        "identity",
        lambda eta: np.asarray(eta, dtype=float),
        lambda eta: np.ones_like(eta, dtype=float),
        lambda mu: np.asarray(mu, dtype=float),
    ),
    "log": Link(
        "log",
        lambda eta: np.exp(np.minimum(eta, 700)),
        lambda eta: np.maximum(np.exp(np.minimum(eta, 700)), _EPS),
        np.log,
        lambda mu: np.maximum(mu, _EPS),  # μ = exp(min(η, 700)): the same numbers
    ),
    # μ = 1/η: only η > 0 gives a valid mean; the log density is −∞ elsewhere, so PIRLS step-halves away
    "inverse": Link("inverse", lambda eta: 1.0 / eta, lambda eta: -1.0 / eta**2, lambda mu: 1.0 / mu),
}


@dataclass(frozen=True)
class Family:
    name: str
    link: Link
    variance: Callable[[np.ndarray], np.ndarray]
    deviance_residuals: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    log_density_kernel: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]  # the part with μ
    log_density_constant: Callable[[np.ndarray, np.ndarray], np.ndarray]  # the rest
    start_mu: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def log_density(self, y: np.ndarray, mu: np.ndarray, wt: np.ndarray) -> np.ndarray:
        """log p(y | μ) per observation, constants included."""
        return self.log_density_kernel(y, mu, wt) + self.log_density_constant(y, wt)


def _binomial_deviance(y, mu, wt):
    return 2.0 * wt * (special.xlogy(y, y / mu) + special.xlogy(1.0 - y, (1.0 - y) / (1.0 - mu)))


def _binomial_kernel(y, mu, wt):
    successes = np.round(wt * y)
    return successes * np.log(mu) + (np.round(wt) - successes) * np.log1p(-mu)  # μ is kept inside (0, 1)


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
    return Family(
        "gaussian",
        link,
        lambda mu: np.ones_like(mu),
        _gaussian_deviance,
        _gaussian_kernel,
        _gaussian_constant,
        lambda y, wt: np.asarray(y, dtype=float),
    )


def _binomial(link: Link) -> Family:
    return Family(
        "binomial",
        link,
        lambda mu: mu * (1.0 - mu),
        _binomial_deviance,
        _binomial_kernel,
        _binomial_constant,
        lambda y, wt: (wt * y + 0.5) / (wt + 1.0),
    )


def _poisson(link: Link) -> Family:
    return Family(
        "poisson", link, lambda mu: mu, _poisson_deviance, _poisson_kernel, _poisson_constant, lambda y, wt: y + 0.1
    )


@dataclass(frozen=True)
class DispersionFamily(Family):
    """A family with one dispersion parameter φ (NB2's θ, the Gamma's shape), held at `dispersion`.

    The log density includes every term that depends on φ (the constant part is free of φ), so that
    the Laplace objective can be compared across φ. `observed_weights(y, μ, w)` is −∂² log p/∂η²:
    with a non-canonical link the Laplace approximation (as glmmTMB computes it) needs this observed
    information, not the expected one PIRLS uses for binomial and Poisson models.
    """

    dispersion: float = 1.0
    dispersion_name: str = "theta"
    observed_weights: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None = None

    def with_dispersion(self, value: float) -> DispersionFamily:
        return cast(DispersionFamily, make_family(self.name, self.link.name, dispersion=value))

    def start_dispersion(self, y: np.ndarray) -> float:
        """A rough moment value of φ from the response alone (a start for the optimizer)."""
        mean, var = float(np.mean(y)), float(np.var(y))
        if self.name == "negative_binomial":
            return float(np.clip(mean**2 / max(var - mean, 1e-3 * mean + 1e-8), 0.1, 100.0))
        return float(np.clip(mean**2 / max(var, 1e-12), 0.1, 100.0))


def _negative_binomial(theta: float) -> DispersionFamily:
    def variance(mu):
        return mu + mu**2 / theta

    def deviance(y, mu, wt):
        return 2.0 * wt * (special.xlogy(y, y / mu) - (y + theta) * np.log((y + theta) / (mu + theta)))

    def kernel(y, mu, wt):
        # log Γ(y + θ) − log Γ(θ) and θ log(θ/(μ + θ)) in forms that keep their precision when θ is large
        # (the naive differences lose ~1e-5 per row at θ ~ 1e9, enough to move −2 log L by 1e-2)
        return wt * (
            _log_rising_factorial(theta, y)
            - theta * np.log1p(mu / theta)
            + special.xlogy(y, mu)
            - y * np.log(mu + theta)
        )

    def constant(y, wt):
        return -wt * special.gammaln(y + 1)

    def observed(y, mu, wt):  # log link: −∂²/∂η² of y log μ − (y + θ) log(μ + θ)
        return wt * theta * mu * (y + theta) / (mu + theta) ** 2

    return DispersionFamily(
        "negative_binomial",
        LINKS["log"],
        variance,
        deviance,
        kernel,
        constant,
        lambda y, wt: y + 0.1,
        theta,
        "theta",
        observed,
    )


def _log_rising_factorial(theta: float, y: np.ndarray) -> np.ndarray:
    """log Γ(y + θ) − log Γ(θ), as log Γ(y) − log B(θ, y) for y > 0 (accurate for large θ), 0 for y = 0."""
    positive = y > 0
    safe = np.where(positive, y, 1.0)
    return np.where(positive, special.gammaln(safe) - special.betaln(theta, safe), 0.0)


def _gamma(link: Link, shape: float) -> DispersionFamily:
    def variance(mu):  # the variance itself (μ²/shape), so PIRLS weighs the log density right
        return mu**2 / shape

    def deviance(y, mu, wt):  # unscaled, as R's Gamma()$dev.resids
        return -2.0 * wt * (np.log(y / mu) - (y - mu) / mu)

    def kernel(y, mu, wt):
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = shape * y / mu
            value = wt * (shape * np.log(ratio) - ratio - np.log(y) - special.gammaln(shape))
        return np.where(mu > 0, value, -np.inf)

    def constant(y, wt):
        return np.zeros_like(y, dtype=float)

    def observed(y, mu, wt):
        if link.name == "log":  # −∂²/∂η² of −shape (y/μ + log μ) with η = log μ
            return wt * shape * y / mu
        return wt * shape * mu**2  # inverse link is canonical: observed = expected information

    return DispersionFamily(
        "gamma", link, variance, deviance, kernel, constant, lambda y, wt: y, shape, "shape", observed
    )


def _dispersion_value(name: str, dispersion: float | None) -> float:
    value = 1.0 if dispersion is None else float(dispersion)
    if not np.isfinite(value) or value <= 0:
        raise MixedModelError(f"the {name} dispersion parameter must be a positive number, not {dispersion!r}")
    return value


#: name -> (constructor from a link and a dispersion value, default link, allowed links), in the order offered
FAMILIES: dict[str, tuple[Callable[[Link, float | None], Family], str, tuple[str, ...]]] = {
    "gaussian": (lambda link, d: _gaussian(link), "identity", ("identity",)),
    "binomial": (lambda link, d: _binomial(link), "logit", ("logit", "probit", "cloglog")),
    "poisson": (lambda link, d: _poisson(link), "log", ("log",)),
    "negative_binomial": (
        lambda link, d: _negative_binomial(_dispersion_value("negative_binomial", d)),
        "log",
        ("log",),
    ),
    "gamma": (lambda link, d: _gamma(link, _dispersion_value("gamma", d)), "log", ("log", "inverse")),
}
FAMILY_NAMES: tuple[str, ...] = tuple(FAMILIES)
#: the GLMM families (every family but the Gaussian), in the order they are offered
GLMM_FAMILIES: tuple[str, ...] = tuple(name for name in FAMILIES if name != "gaussian")


def get_family(family: str | Family, link: str | None = None, dispersion: float | None = None) -> Family:
    """The family object for a name (any case) or a family object, with its default or a chosen link;
    for the negative binomial and the Gamma, `dispersion` is θ or the shape (1 when not given)."""
    if isinstance(family, Family):
        if (link is not None and link != family.link.name) or dispersion is not None:
            return get_family(family.name, link or family.link.name, dispersion)
        return family
    name = str(family).strip().lower()
    if name not in FAMILIES:
        raise MixedModelError(f"unknown family {family!r}; choose one of {', '.join(FAMILY_NAMES)}")
    build, default, allowed = FAMILIES[name]
    link = default if link is None else str(link).strip().lower()
    if link not in allowed:
        raise MixedModelError(f"the {name} family takes the {' or '.join(allowed)} link, not {link!r}")
    return build(LINKS[link], dispersion)


def make_family(name: str, link: str | None = None, dispersion: float | None = None) -> Family:
    """The family object of a GLMM (Gaussian models go to the LMM engine)."""
    family = get_family(name, link, dispersion)
    if family.name == "gaussian":
        raise MixedModelError(f"the GLMM engine takes {', '.join(GLMM_FAMILIES)}; Gaussian models are fitted as LMMs")
    return family
