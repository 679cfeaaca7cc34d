"""The pieces a summary shows, as plain data: shared by the text and the HTML renderers."""

from __future__ import annotations

import numpy as np
import pandas as pd


def title(model, ddf: str | None = None) -> str:
    """The heading; for LMMs it names the df method of the t tests, as lmerTest's summary does."""
    if model.family == "gaussian":
        how = "REML" if model.reml else "maximum likelihood"
        return f"Linear mixed model fit by {how}. t-tests use {model.ddf_title(ddf)}"
    approx = "Laplace approximation" if model.nagq == 1 else f"adaptive Gauss-Hermite quadrature (nAGQ = {model.nagq})"
    return f"Generalized linear mixed model fit by maximum likelihood ({approx}) [{model.family}, {model.link} link]"


def fit_statistics(model) -> pd.Series:
    stats = {"AIC": model.aic, "BIC": model.bic, "logLik": model.loglik}
    if model.family == "gaussian" and model.reml:
        stats = {"REML criterion": model.objective, **stats}
    else:
        stats["-2 log L"] = model.objective
    return pd.Series(stats)


def scaled_residual_quantiles(model) -> pd.Series:
    residuals = model.scaled_residuals()
    q = np.quantile(residuals, [0, 0.25, 0.5, 0.75, 1.0])
    return pd.Series(q, index=["Min", "1Q", "Median", "3Q", "Max"])


def random_effects_table(model) -> pd.DataFrame:
    """Groups, Name, Variance, Std.Dev., and one correlation per earlier term of the group.

    A correlation the model does not have (terms in different blocks, as in ``(x || g)``) is
    None, and trailing ones are left out; one that is undefined (a standard deviation of 0) is NaN.
    """
    vc = model.varcorr
    rows = []
    for group, part in vc[vc.group != "Residual"].groupby("group", sort=False):
        variances = part[part.var2.isna()]
        names = list(variances.var1)
        for k, (_, row) in enumerate(variances.iterrows()):
            corr = []
            for j in range(k):
                hit = part[(part.var1 == names[j]) & (part.var2 == row.var1)]
                corr.append(float(hit.sdcor.iloc[0]) if len(hit) else None)  # None: not in the model
            while corr and corr[-1] is None:
                corr.pop()
            rows.append(
                {
                    "Groups": group if k == 0 else "",
                    "Name": row.var1,
                    "Variance": row.vcov,
                    "Std.Dev.": row.sdcor,
                    "Corr": corr,
                }
            )
    for _, row in vc[vc.group == "Residual"].iterrows():
        rows.append({"Groups": "Residual", "Name": "", "Variance": row.vcov, "Std.Dev.": row.sdcor, "Corr": []})
    return pd.DataFrame(rows)


def notes(model) -> list[str]:
    out = list(model.messages)
    if model.n_dropped:
        out.append(f"{model.n_dropped} row(s) with missing values were dropped before fitting.")
    return out
