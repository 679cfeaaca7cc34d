"""Fitting from a dask DataFrame: the rows stay on the cluster, only per-level sums reach the client.

`mw.fit(formula, ddf)` dispatches here when `ddf` is a dask DataFrame (the `[dask]` extra). Nothing in
this package is imported unless such a frame is passed.
"""

from __future__ import annotations


def is_dask_frame(data) -> bool:
    """True for a dask DataFrame, without importing dask."""
    return type(data).__module__.split(".")[0] == "dask" and hasattr(data, "map_partitions")


def fit_dask(
    formula: str,
    ddf,
    *,
    reml: bool = True,
    family: str = "gaussian",
    nagq: int = 1,
    weights=None,
    link=None,
    progress=None,
):
    """`mw.fit` for a dask DataFrame (see mixedwidgets.fit); Gaussian models."""
    from ..errors import MixedModelError
    from ..fitting.guards import check_estimates, warn_unconverged
    from ..formula import parse_formula
    from ..results.fit_settings import FitSettings
    from .fit import fit_lmm_dask
    from .model import DaskLinearMixedModel

    if family != "gaussian" or weights is not None or link is not None or nagq != 1:
        raise MixedModelError(
            "from a dask DataFrame this version fits Gaussian models without prior weights; "
            "compute() the frame to fit other families in memory"
        )
    parsed = parse_formula(formula)
    fit, design, plan, n = fit_lmm_dask(parsed, ddf, bool(reml), progress)
    check_estimates(fit)
    warn_unconverged(fit, [])
    settings = FitSettings(reml=bool(reml), family=family, nagq=nagq, weights=weights, link=link)
    return DaskLinearMixedModel(plan=plan, n=n, formula=formula, design=design, fit=fit, data=ddf, settings=settings)
