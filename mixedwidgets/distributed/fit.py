"""A linear mixed model fitted from a dask DataFrame.

Passes over the (persisted) partitions: the levels of every grouping factor; then, per partition, the
blocked cross-products of [Z X y] (dense tail layout), summed by a tree reduction on the cluster; then
the per-level sums of the moment start (one pass per term and sweep, as backend/start.py does on
rows). Large tails are summed as `TailRowSums` and laid out sparse (nested) or dense (crossed) in
the client, as in memory. The optimizer runs in the client on the reduced blocks, exactly as for an in-memory fit: the
sums are the same numbers added in another order, so the answers agree to rounding.
"""

from __future__ import annotations

import dask
import numpy as np

from ..backend.crossprod import CrossProducts, cross_products_from_sums
from ..backend.crossprod_dense import dense_tail_fits
from ..backend.lmm import fit_cross_products
from ..backend.reterms import build_structure
from ..backend.start import covariance_ratio, shrunken_coefficients, start_beta, theta_entries
from ..backend.threads import single_blas_thread
from .partitions import add, column_squares, cross_product_sums, partition_rows, rms_scales, start_sums
from .plan import make_plan, summary_design


def tree_sum(parts: list):
    """Pairwise sums of delayed partial results, as a balanced tree (log₂ depth on the cluster)."""
    while len(parts) > 1:
        parts = [
            dask.delayed(add)(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
            for i in range(0, len(parts), 2)
        ]
    return parts[0].compute()


def over_partitions(parts: list, function, *args):
    """function(part, *args) on every (persisted) partition, the results summed on the cluster."""
    return tree_sum([dask.delayed(function)(part, *args) for part in parts])


def persisted_rows(ddf, plan) -> list:
    """Every partition's model matrices (PartitionRows with the global encodings), computed once and kept
    on the workers: the later passes (sums, start, PIRLS steps) start from them, not from the frame."""
    return list(dask.persist(*[dask.delayed(partition_rows)(part, plan) for part in ddf.to_delayed()]))


def dask_scales(parts: list, plan) -> tuple[np.ndarray, tuple[np.ndarray, ...], int, int]:
    """(X's column scales, the terms' column scales, rows used, rows dropped): the root-mean-squares
    backend/scaling.py takes over all rows in memory, from sums of squares summed on the cluster."""
    squares = over_partitions(parts, column_squares)
    column_scale, term_scales = rms_scales(squares, plan)
    return column_scale, term_scales, int(squares["n"]), int(squares["dropped"])


def dask_starting_theta(parts, plan, term_scales, structure, xtx, xty, sweeps: int = 2) -> np.ndarray:
    """backend/start.py's moment start, with every per-level sum computed over the partitions."""
    theta = structure.theta0.copy()
    beta = start_beta(xtx, xty)
    layouts = sorted(structure.terms, key=lambda t: t.n_levels)
    order = tuple(layout.design_position for layout in layouts)
    coefficients: dict[int, np.ndarray] = {}
    for _ in range(sweeps if len(layouts) > 1 else 1):
        for layout in layouts:
            k = layout.design_position
            coefficients.pop(k, None)
            sums = over_partitions(parts, start_sums, term_scales, beta, order, k, dict(coefficients))
            ratio = covariance_ratio(sums, plan.terms[k].blocks)
            if ratio is None:
                continue
            theta[layout.theta_slice] = theta_entries(layout, ratio)
            if len(layouts) > 1:
                coefficients[k] = shrunken_coefficients(sums, ratio)
    return theta


def fit_lmm_dask(parsed, ddf, reml: bool, progress=None):
    """(LmmFit, Design without rows, plan, rows used) for a Gaussian model of a dask DataFrame.

    The random-effect columns are scaled by their root-mean-square (computed on the cluster) exactly as
    the in-memory engine scales them (backend/scaling.py), so the optimizer walks the same path."""
    ddf = ddf.persist()
    plan = make_plan(parsed, ddf, "gaussian")
    parts = persisted_rows(ddf, plan)
    del ddf  # the rows on the workers are now the model matrices
    structure = build_structure(plan.terms)
    p = len(plan.sample.fixed_names)
    dense = len(structure.terms) == 1 or dense_tail_fits(structure, p)
    _, term_scales, n, dropped = dask_scales(parts, plan)
    sums = over_partitions(parts, cross_product_sums, structure, dense, term_scales)
    if dense:
        cp = CrossProducts(
            diag0=sums["diag0"],
            tail0=sums["tail0"],
            tailtail=sums["tailtail"],
            n_random_tail=sum(t.size for t in structure.terms[1:]),
            p=p,
            n=n,
        )
    else:  # nested designs get the sparse tail, crossed ones the dense, exactly as in memory
        cp = cross_products_from_sums(structure, sums["tail"], n)
    theta0 = dask_starting_theta(parts, plan, term_scales, structure, sums["xtx"], sums["xty"])
    with single_blas_thread():  # the same optimizer, polish and convergence judgement as in memory
        fit = fit_cross_products(cp, structure, theta0, reml, 0.0, term_scales, progress)
    return fit, summary_design(plan, n, dropped), plan, n
