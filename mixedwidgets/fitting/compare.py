"""Likelihood-ratio tests between nested fits (lme4's anova): REML fits are refitted by ML first.

When two neighbouring models differ only in their random effects, the boundary p-value (χ̄² mixture,
see inference/boundary_lrt.py) is given beside the naive χ² one; method="boot" adds pbkrtest's
parametric-bootstrap p-value (PBmodcomp).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import MixedModelError
from ..inference.boundary_lrt import bootstrap_lrt, boundary_mixture, differ_only_in_random_effects
from ..results.comparison_table import ComparisonTable
from .fit_model import refit

REFITTED = "ML (refitted from REML)"


def _ml_version(model):
    return refit(model, reml=False) if model.reml else model


def compare(
    *models, method: str = "chisq", nsim: int = 1000, seed: int | None = None, n_jobs: int = -1, progress=False
) -> pd.DataFrame:
    """npar, AIC, BIC, logLik, deviance, Chisq, Df, Pr(>Chisq) for models ordered by size, plus the
    boundary p-value where only random effects differ and, with method="boot", PBmodcomp's p-value."""
    if len(models) < 2:
        raise MixedModelError("compare needs at least two fitted models")
    if method not in ("chisq", "boot"):
        raise MixedModelError(f"method must be 'chisq' or 'boot', not {method!r}")
    if len({m.nobs for m in models}) > 1:
        raise MixedModelError(
            "the models were fitted to different numbers of observations "
            f"({[m.nobs for m in models]}); a likelihood-ratio test needs the same rows"
        )
    if len({m.design.response_name for m in models}) > 1:
        raise MixedModelError("the models have different responses; they cannot be compared")
    refitted = any(m.reml for m in models)
    pairs = sorted(((_ml_version(m), m.reml) for m in models), key=lambda x: x[0].n_parameters)
    fitted = [m for m, _ in pairs]
    notes: list[str]
    rows, notes = [], []
    for i, (m, was_reml) in enumerate(pairs):
        row = {
            "model": m.formula,
            "fit": REFITTED if was_reml else "ML",
            "npar": m.n_parameters,
            "AIC": m.aic,
            "BIC": m.bic,
            "logLik": m.loglik,
            "deviance": m.objective,
            "Chisq": np.nan,
            "Df": np.nan,
            "Pr(>Chisq)": np.nan,
            "Pr(>Chisq) boundary": np.nan,
        }
        if i:
            row.update(_test(fitted[i - 1], m, method, nsim, seed, n_jobs, progress, notes))
        rows.append(row)
    table = pd.DataFrame(rows).set_index("model")
    if method != "boot":
        table = table.drop(columns="Pr(boot)", errors="ignore")
    if refitted:
        notes.insert(0, "REML fits were refitted with ML for the comparison, as lme4's anova does (column 'fit').")
    out = ComparisonTable(table)
    out.notes = tuple(notes)
    out.attrs["note"] = " ".join(notes)
    return out


def _test(prev, m, method, nsim, seed, n_jobs, progress, notes) -> dict:
    df = m.n_parameters - prev.n_parameters
    chisq = max(prev.objective - m.objective, 0.0)
    out = {"Chisq": chisq, "Df": df, "Pr(>Chisq)": stats.chi2.sf(chisq, df) if df > 0 else np.nan}
    only_random = differ_only_in_random_effects(prev.design, m.design)
    mixture = boundary_mixture(prev.engine_fit.structure, m.engine_fit.structure) if only_random else None
    if mixture is not None:
        out["Pr(>Chisq) boundary"] = mixture.p_value(chisq)
        notes.append(
            f"{m.formula} vs {prev.formula}: the models differ only in random effects; the boundary "
            f"p-value uses the null distribution {mixture.label} (a variance cannot be negative)."
        )
    if method == "boot":
        out["Pr(boot)"], used = bootstrap_lrt(
            prev.design, prev.engine_fit, m.design, m.engine_fit, chisq, nsim, seed, n_jobs, progress
        )
        notes.append(
            f"Pr(boot): parametric bootstrap LRT (as pbkrtest's PBmodcomp) from {used} draws "
            "simulated from the smaller model."
        )
    return out
