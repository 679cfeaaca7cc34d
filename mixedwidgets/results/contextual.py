"""The contextual effect of a hybrid (within-between) model: β_between − β_within.

In ``y ~ within(A, g) + between(A, g) + (1 | g)`` the within effect says how y changes with A
inside a group, the between effect how group means of y change with group means of A. Their
difference, the contextual effect, is how much more (or less) the group's mean A matters than
the row's own A. In Mundlak's form ``y ~ A + between(A, g) + (1 | g)`` it is the coefficient
of the group mean itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .hybrid_terms import HybridTerms, find_hybrid_terms


@dataclass(frozen=True)
class ContextualEffect:
    """β_between − β_within with its Wald standard error, z statistic and two-sided p-value."""

    variable: str
    estimate: float
    std_error: float
    z: float
    p_value: float
    within: float  # effect of the variable inside groups
    between: float  # effect of the group mean across groups (within + contextual)
    within_name: str  # the fixed-effect columns used
    between_name: str
    reading: str  # the result in plain words

    def __str__(self) -> str:
        return self.reading


def contextual_effect(model, variable: str, group: str | None = None) -> ContextualEffect:
    """The contextual effect of ``variable`` in a fitted hybrid or Mundlak model.

    ``group`` chooses the grouping factor when the variable is split by several.
    The standard error comes from the fixed-effect covariance: var_b + var_w − 2 cov_bw.
    """
    terms = find_hybrid_terms(model.design, variable, group)
    beta, vcov = model.fixef, model.vcov
    w, b = terms.within_name, terms.between_name
    if terms.mundlak:
        estimate, variance = float(beta[b]), float(vcov.loc[b, b])
        within, between = float(beta[w]), float(beta[w] + beta[b])
    else:
        within, between = float(beta[w]), float(beta[b])
        estimate = between - within
        variance = float(vcov.loc[b, b] + vcov.loc[w, w] - 2.0 * vcov.loc[w, b])
    se = float(np.sqrt(max(variance, 0.0)))
    z = estimate / se if se > 0 else float("nan")
    p = float(2.0 * stats.norm.sf(abs(z))) if se > 0 else float("nan")
    text = _reading(model, terms, within, between, estimate, se, p)
    return ContextualEffect(variable, estimate, se, z, p, within, between, w, b, text)


def _scale_words(model) -> str:
    family = str(getattr(getattr(model, "family", "gaussian"), "name", getattr(model, "family", "gaussian")))
    return {"binomial": " (log-odds)", "poisson": " (log count)", "negative_binomial": " (log count)"}.get(family, "")


def _p_text(p: float) -> str:
    if not np.isfinite(p):
        return "p not available"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _reading(model, terms: HybridTerms, within, between, estimate, se, p) -> str:
    y, x = model.design.response_name, terms.variable
    scale = _scale_words(model)
    text = (
        f"Within a group, one unit more {x} goes with {within:+.3g} in {y}{scale}; across groups, "
        f"a group mean of {x} one unit higher goes with {between:+.3g}. The contextual effect is "
        f"the difference, {estimate:+.3g} (SE {se:.3g}, {_p_text(p)}): two observations with the "
        f"same {x}, in groups whose mean {x} differs by one unit, differ by {estimate:+.3g} on average."
    )
    if np.isfinite(p) and p < 0.05:
        return text + (
            f" The within and between effects clearly differ, so a model with {x} alone "
            "(one slope for both) would blend two different effects."
        )
    return text + " The data do not show a clear difference between the within and between effects."
