"""Plain-words warnings for what goes wrong with GLMMs: separation, overdispersion, unconverged PIRLS."""

from __future__ import annotations

import numpy as np

SEPARATION_COEF = 10.0  # |β|·sd(x) on the link scale beyond which a binary model is suspicious
SEPARATION_SE = 50.0  # SE(β)·sd(x) likewise
OVERDISPERSION_RATIO = 1.5


def separation_warning(design, fit) -> str | None:
    if fit.family.name != "binomial":
        return None
    se = np.sqrt(np.maximum(np.diag(fit.vcov), 0.0)) * _predictor_spread(design.X)
    effect = np.abs(fit.beta) * _predictor_spread(design.X)
    suspicious = [
        name
        for name, b, s in zip(design.fixed_names, effect, se)
        if b > SEPARATION_COEF or s > SEPARATION_SE or not np.isfinite(s)
    ]
    extreme = np.mean((fit.mu < 1e-8) | (fit.mu > 1 - 1e-8))
    if not suspicious and extreme < 0.05:
        return None
    what = f" (coefficients {', '.join(suspicious)})" if suspicious else ""
    return (
        "Complete or quasi-complete separation is likely" + what + ": some outcomes are predicted "
        "perfectly, so those estimates and their standard errors are not trustworthy. Consider "
        "fewer predictors, merging sparse categories, or a penalized (Firth-type) or Bayesian model."
    )


def _predictor_spread(X) -> np.ndarray:
    """Per column: its SD (1 for constant columns such as the intercept), so that a coefficient
    times it is a change on the link scale whatever the predictor's units."""
    X = np.asarray(X, dtype=float)
    if X.shape[0] == 0:
        return np.ones(X.shape[1])
    spread = X.std(axis=0)
    return np.where(spread > 0, spread, 1.0)


def overdispersion_ratio(design, fit) -> float:
    """Pearson χ² / residual df, the df counting β and θ (performance::check_overdispersion's ratio)."""
    w = np.ones_like(fit.mu) if design.weights is None else design.weights
    pearson = ((design.y - fit.mu) ** 2 / (fit.mu / w)).sum()
    dof = len(design.y) - len(fit.beta) - len(fit.theta)
    return float(pearson / max(dof, 1))


def overdispersion_warning(design, fit) -> str | None:
    if fit.family.name != "poisson":
        return None
    ratio = overdispersion_ratio(design, fit)
    if ratio <= OVERDISPERSION_RATIO:
        return None
    return (
        f"Possible overdispersion: the Pearson chi-square / residual df is {ratio:.2f} (1 is expected for a "
        "Poisson model). Standard errors may be too small. Fit a negative binomial model instead "
        '(family="negative_binomial", which estimates the extra variance μ²/θ), or add an '
        "observation-level random effect (a column of row numbers and the term (1 | obs))."
    )


#: a negative-binomial θ above this means no overdispersion left (variance μ + μ²/θ ≈ μ for any usual μ)
POISSON_LIKE_THETA = 1e4


def poisson_like_warning(design, fit) -> str | None:
    theta = getattr(fit.family, "dispersion", None)
    if fit.family.name != "negative_binomial" or theta is None or theta < POISSON_LIKE_THETA:
        return None
    return (
        f"The negative binomial θ is very large ({theta:.3g}): the counts show no overdispersion beyond "
        "what the random effects explain, so θ is poorly determined (its likelihood is flat). The Poisson "
        'model (family="poisson") is simpler and fits as well.'
    )


def glmm_warnings(design, fit) -> list[str]:
    found = (separation_warning(design, fit), overdispersion_warning(design, fit), poisson_like_warning(design, fit))
    return [w for w in found if w]
