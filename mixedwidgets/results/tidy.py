"""broom.mixed's tidy() and glance() tables: one layout for every model, so results stack with pd.concat.

tidy: one row per fixed effect (effect "fixed") and per variance parameter (effect "ran_pars"), with
broom.mixed's term names: ``sd__(Intercept)``, ``cor__(Intercept).Days`` (per group, the SDs and
correlations in the order of the covariance matrix's upper triangle, row by row), and
``sd__Observation`` in the group "Residual" for Gaussian models.
glance: one row of fit statistics.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

TIDY_COLUMNS = [
    "effect",
    "group",
    "term",
    "estimate",
    "std_error",
    "statistic",
    "df",
    "p_value",
    "conf_low",
    "conf_high",
]
GLANCE_COLUMNS = ["nobs", "sigma", "loglik", "aic", "bic", "deviance", "reml_criterion", "df_residual", "dispersion"]


def tidy_frame(model, conf_level: float = 0.95, ddf: str | None = None) -> pd.DataFrame:
    """Fixed effects (with Wald or the coefficient table's intervals) and variance parameters."""
    fixed = _fixed_rows(model, conf_level, ddf)
    ran_pars = _ran_pars_rows(model.varcorr)
    frame = pd.concat([fixed, ran_pars], ignore_index=True) if len(ran_pars) else fixed
    return frame[TIDY_COLUMNS].reset_index(drop=True)


def _coef_table(model, conf_level: float, ddf: str | None) -> pd.DataFrame:
    accepts = inspect.signature(model.coef_table).parameters
    if ddf is not None and "ddf" in accepts:
        return model.coef_table(level=conf_level, ddf=ddf)
    return model.coef_table(level=conf_level)


def _fixed_rows(model, conf_level: float, ddf: str | None) -> pd.DataFrame:
    table = _coef_table(model, conf_level, ddf)
    statistic = [c for c in table.columns if c in ("t_value", "z_value", "statistic")]
    nan = np.full(len(table), np.nan)
    return pd.DataFrame(
        {
            "effect": "fixed",
            "group": None,
            "term": list(table.index),
            "estimate": table["estimate"].to_numpy(dtype=float),
            "std_error": table["std_error"].to_numpy(dtype=float),
            "statistic": table[statistic[0]].to_numpy(dtype=float) if statistic else nan,
            "df": table["df"].to_numpy(dtype=float) if "df" in table else nan,
            "p_value": table["p_value"].to_numpy(dtype=float) if "p_value" in table else nan,
            "conf_low": table["conf_low"].to_numpy(dtype=float),
            "conf_high": table["conf_high"].to_numpy(dtype=float),
        }
    )


def _ran_pars_rows(varcorr: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for group, part in varcorr.groupby("group", sort=False):
        if group == "Residual":
            rows.append(("Residual", "sd__Observation", float(part.sdcor.iloc[0])))
            continue
        sds = part[part.var2.isna()]
        names = list(sds.var1)
        correlations = {(r.var1, r.var2): float(r.sdcor) for r in part[part.var2.notna()].itertuples()}
        for i, name in enumerate(names):
            rows.append((group, f"sd__{name}", float(sds.sdcor.iloc[i])))
            for other in names[i + 1 :]:
                if (name, other) in correlations:
                    rows.append((group, f"cor__{name}.{other}", correlations[(name, other)]))
    frame = pd.DataFrame(rows, columns=["group", "term", "estimate"])
    frame.insert(0, "effect", "ran_pars")
    for column in TIDY_COLUMNS[4:]:
        frame[column] = np.nan
    return frame


def glance_frame(model) -> pd.DataFrame:
    """nobs, sigma, loglik, aic, bic, deviance (ML) or reml_criterion (REML), df_residual, dispersion."""
    reml = bool(getattr(model, "reml", False))
    dispersion = getattr(model, "dispersion", None)
    row = {
        "nobs": model.nobs,
        "sigma": model.sigma,
        "loglik": model.loglik,
        "aic": model.aic,
        "bic": model.bic,
        "deviance": np.nan if reml else model.objective,
        "reml_criterion": model.objective if reml else np.nan,
        "df_residual": model.nobs - model.n_parameters,
        "dispersion": np.nan if dispersion is None else float(dispersion),
    }
    return pd.DataFrame([row], columns=GLANCE_COLUMNS)
