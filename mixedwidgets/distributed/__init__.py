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
    """`mw.fit` for a dask DataFrame (see mixedwidgets.fit): Gaussian, binomial and Poisson models."""
    from ..backend.family import get_family
    from ..errors import MixedModelError
    from ..fitting.guards import check_estimates, numerical_failures_reported, warn_unconverged
    from ..formula import parse_formula
    from ..results.fit_settings import FitSettings

    family_object = get_family(family, link)
    if family_object.name not in DASK_FAMILIES or weights is not None or nagq != 1:
        raise MixedModelError(
            "from a dask DataFrame this version fits Gaussian, binomial and Poisson models without prior "
            "weights, by the Laplace approximation (nagq=1); compute() the frame to fit other models in memory"
        )
    parsed = parse_formula(formula)
    settings = FitSettings(reml=bool(reml), family=family_object.name, nagq=nagq, weights=weights, link=link)
    if family_object.name == "gaussian":
        from .fit import fit_lmm_dask
        from .model import DaskLinearMixedModel

        fit, design, plan, n = fit_lmm_dask(parsed, ddf, bool(reml), progress)
        check_estimates(fit)
        warn_unconverged(fit, [])
        return DaskLinearMixedModel(
            plan=plan, n=n, formula=formula, design=design, fit=fit, data=ddf, settings=settings
        )
    from .glmm import fit_glmm_dask
    from .model import DaskGeneralizedLinearMixedModel

    with numerical_failures_reported("the generalized linear mixed model fit"):
        engine_fit, design, plan, n = fit_glmm_dask(parsed, ddf, family_object, progress)
    check_estimates(engine_fit)
    warn_unconverged(engine_fit, [])
    return DaskGeneralizedLinearMixedModel(
        plan=plan, n=n, formula=formula, design=design, fit=engine_fit, data=ddf, settings=settings
    )


#: families fitted from a dask frame (the others need per-row work the engine does in memory)
DASK_FAMILIES = ("gaussian", "binomial", "poisson")
