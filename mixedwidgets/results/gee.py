"""GEE with an exchangeable working correlation (statsmodels, optional extra 'gee'): the other road to
population-averaged effects, shown next to the GLMM's conditional and marginal coefficients."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import MixedModelError
from ..names import find_group


def _statsmodels():
    try:
        import statsmodels.api as sm
    except ImportError:
        raise MixedModelError("the GEE comparison needs statsmodels: pip install 'mixedwidgets[gee]'") from None
    return sm


def _cluster_codes(model, groups: str | None) -> tuple[np.ndarray, str]:
    term = find_group(model.design.terms, groups or model.design.terms[0].group)
    return np.asarray(term.codes), term.group


def gee_table(model, groups: str | None = None) -> pd.DataFrame:
    sm = _statsmodels()
    codes, group = _cluster_codes(model, groups)
    design = model.design
    family = _gee_family(sm, model)
    offset = None if design.offset is None else np.asarray(design.offset)
    order = np.argsort(codes, kind="stable")  # GEE wants clusters contiguous
    kwargs = {"offset": None if offset is None else offset[order]}
    if design.weights is not None and model.family == "binomial":
        kwargs["weights"] = np.asarray(design.weights)[order]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sm.GEE(
            np.asarray(design.y)[order],
            np.asarray(design.X)[order],
            groups=codes[order],
            family=family,
            cov_struct=sm.cov_struct.Exchangeable(),
            **kwargs,
        ).fit()
    table = model.marginal_coefs()
    table["gee"] = np.asarray(result.params)
    table["gee_se"] = np.asarray(result.bse)
    table.attrs["gee_groups"] = group
    table.attrs["gee_working_correlation"] = float(result.cov_struct.dep_params)
    return table


def _gee_family(sm, model):
    """statsmodels' family for the GEE; the negative binomial's α = 1/θ is taken from the GLMM."""
    if model.family == "negative_binomial":
        return sm.families.NegativeBinomial(alpha=1.0 / model.dispersion)
    if model.family == "gamma":
        link = sm.families.links.Log() if model.link == "log" else sm.families.links.InversePower()
        return sm.families.Gamma(link=link)
    return {"binomial": sm.families.Binomial, "poisson": sm.families.Poisson}[model.family]()
