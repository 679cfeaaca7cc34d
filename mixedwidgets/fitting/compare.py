"""Likelihood-ratio tests between nested fits (lme4's anova): REML fits are refitted by ML first."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import MixedModelError
from .fit_model import refit


def _ml_version(model):
    return refit(model, reml=False) if model.reml else model


def compare(*models) -> pd.DataFrame:
    """npar, AIC, BIC, logLik, deviance, Chisq, Df, Pr(>Chisq) for models ordered by size."""
    if len(models) < 2:
        raise MixedModelError("compare needs at least two fitted models")
    if len({m.nobs for m in models}) > 1:
        raise MixedModelError("the models were fitted to different numbers of observations "
                              f"({[m.nobs for m in models]}); a likelihood-ratio test needs the same rows")
    if len({m.design.response_name for m in models}) > 1:
        raise MixedModelError("the models have different responses; they cannot be compared")
    refitted = any(m.reml for m in models)
    fitted = sorted((_ml_version(m) for m in models), key=lambda m: m.n_parameters)
    rows = []
    for i, m in enumerate(fitted):
        row = {"model": m.formula, "npar": m.n_parameters, "AIC": m.aic, "BIC": m.bic,
               "logLik": m.loglik, "deviance": m.objective, "Chisq": np.nan, "Df": np.nan, "Pr(>Chisq)": np.nan}
        if i:
            prev = fitted[i - 1]
            df = m.n_parameters - prev.n_parameters
            chisq = max(prev.objective - m.objective, 0.0)
            row.update({"Chisq": chisq, "Df": df, "Pr(>Chisq)": stats.chi2.sf(chisq, df) if df > 0 else np.nan})
        rows.append(row)
    table = pd.DataFrame(rows).set_index("model")
    table.attrs["note"] = ("REML fits were refitted with ML for the comparison, as lme4's anova does."
                           if refitted else "")
    return table
