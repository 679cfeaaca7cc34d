"""Intraclass correlations: the share of variance that lies between groups.

ICC_g = τ²_g / (Σ_k τ²_k + σ²), with τ²_k the intercept variance of each grouping factor and σ² the
level-1 variance (π²/3 on the logit scale for binomial models, a lognormal approximation for Poisson).
With random slopes the variance between groups depends on the predictor's value, so the ICC does too:
icc() reports it where the slope variables are 0, and icc_at() evaluates it anywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import MixedModelError
from ..names import INTERCEPT


def _between_variance(cov: pd.DataFrame, values: dict[str, float]) -> float:
    z = np.array([1.0 if name == INTERCEPT else float(values.get(name, 0.0)) for name in cov.index])
    return float(z @ cov.to_numpy() @ z)


def icc_at(model, group: str, values: dict[str, float]) -> float:
    """ICC of `group` with the term predictors at `values` (others at 0); other factors at x = 0."""
    covs = {g: model.covariance(g) for g in model.ngroups}
    if group not in covs:
        raise MixedModelError(f"no grouping factor {group!r}; the model has {sorted(covs)}")
    unknown = set(values) - set(covs[group].index)
    if unknown:
        raise MixedModelError(
            f"{sorted(unknown)} are not predictors of the random term for {group!r}; it has {list(covs[group].index)}"
        )
    between = {g: _between_variance(c, values if g == group else {}) for g, c in covs.items()}
    residual, _ = model.residual_variance()
    return between[group] / (sum(between.values()) + residual)


def icc_frame(model) -> pd.DataFrame:
    """One row per grouping factor: the ICC at x = 0, its scale, and a note in plain words."""
    residual, scale = model.residual_variance()
    rows = []
    for group in model.ngroups:
        cov = model.covariance(group)
        slopes = [name for name in cov.index if name != INTERCEPT]
        notes = []
        if INTERCEPT not in cov.index:
            notes.append("no random intercept: the ICC is that of the slope term at the values given")
        if slopes:
            notes.append(
                f"depends on {', '.join(slopes)}: shown at {', '.join(s + ' = 0' for s in slopes)}; "
                "use icc_at() for other values"
            )
        if scale != "linear":
            notes.append(f"on the {scale} scale")
        rows.append((group, icc_at(model, group, {}), scale, "; ".join(notes)))
    return pd.DataFrame(rows, columns=["group", "icc", "scale", "note"])
