"""A generalized linear mixed model fitted from a dask DataFrame: PIRLS passes over persisted partitions.

The engine's GLMM (backend/glmm.py: stage one θ with β inside PIRLS, stage two (θ, β) jointly, the
polish and the answers) runs unchanged in the client; it reaches the rows only through PIRLS's three
questions (backend/pirls.py): the penalized deviance at (θ, u, β), the working system's blocked
cross-products there, and Σ log p(y|μ). `DaskGlmmProblem` answers them with one pass over the
partitions per PIRLS step: every worker holds its partition as a GlmmProblem (the model matrices with
the fit's global encodings and the engine's column scales, decoded once and persisted) and returns its
kernel sum and its cross-products at the working weights, summed by a tree on the cluster. The
cross-products are computed with the deviance, so an accepted step (almost every one) needs no
second pass. Prior weights and quadrature (nagq > 1) stay in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import dask
import numpy as np

from ..backend.crossprod import CrossProducts, cross_products_from_sums
from ..backend.crossprod_dense import CrossProductPlan, dense_tail_fits
from ..backend.family import Family
from ..backend.glmm import fit_glmm_problem
from ..backend.pirls import GlmmProblem, PirlsResult, RowState, log_density_kernel
from ..backend.reterms import RandomEffectsStructure, build_structure
from ..backend.row_sums import tail_row_sums
from ..backend.threads import single_blas_thread
from .fit import dask_scales, over_partitions, persisted_rows
from .partitions import PartitionRows, scaled_rows
from .plan import make_plan, summary_design


def partition_problem(
    rows: PartitionRows, structure, family: Family, column_scale, term_scales, dense: bool
) -> GlmmProblem:
    """One partition as the in-memory engine's GlmmProblem (make_problem with the fit's global scales)."""
    rows = scaled_rows(rows, term_scales, column_scale)
    n = len(rows.y)
    weights = np.ones(n) if rows.weights is None else rows.weights
    offset = np.zeros(n) if rows.offset is None else rows.offset
    plan = CrossProductPlan.build(structure, rows.terms, rows.X) if dense else None
    constants = family.log_density_constant(rows.y, weights)
    return GlmmProblem(
        rows.y, rows.X, offset, weights, rows.terms, structure, family, plan, constants, column_scale, term_scales
    )


def start_moments(problem: GlmmProblem) -> dict:
    """X'X and X'η₀ for starting_beta's least squares, and Σ of the log-density constants."""
    mu = problem.family.start_mu(problem.y, problem.prior_weights)
    eta = problem.family.link.link(mu) - problem.offset
    constants = problem.log_density_constants
    return {
        "xtx": problem.X.T @ problem.X,
        "xteta": problem.X.T @ eta,
        "constants": np.array(0.0 if constants is None else float(constants.sum())),
    }


def partition_pass(problem: GlmmProblem, theta, u, beta, update_beta: bool) -> dict:
    """At (θ, u, β): Σ log-density kernel, count of non-finite η, and the working system's cross-products."""
    eta = problem.linear_predictor(theta, u, beta)
    with np.errstate(all="ignore"):  # a rejected trial may overflow; the client sees the sums
        mu = problem.family.link.inverse(eta)
        kernel = float(log_density_kernel(problem, mu).sum())
        working, weights = problem.working_system(eta, mu, beta, update_beta)
        if problem.plan is not None:
            diag0, tail0, tailtail, _ = problem.plan.evaluate(working, weights)
            blocks: dict = {"diag0": diag0, "tail0": tail0, "tailtail": tailtail}
        else:
            blocks = {"tail": tail_row_sums(problem.structure, problem.terms, problem.X, working, np.sqrt(weights))}
    return {**blocks, "kernel": np.array(kernel), "nonfinite": np.array(float(np.sum(~np.isfinite(eta))))}


@dataclass(frozen=True)
class DaskGlmmProblem:
    """PIRLS's view of rows that stay on the cluster (see backend/pirls.py's RowState)."""

    parts: list  # persisted GlmmProblems, one per partition
    structure: RandomEffectsStructure
    family: Family
    column_scale: np.ndarray
    term_scales: tuple[np.ndarray, ...]
    n: int
    p: int
    dense: bool
    log_constants: float  # Σ of the per-row log-density constants

    def rows_at(self, theta: np.ndarray, u: np.ndarray, beta: np.ndarray, update_beta: bool) -> RowState:
        sums = over_partitions(self.parts, partition_pass, theta, u, beta, update_beta)
        kernel = float(sums["kernel"])
        pdev = float(-2.0 * kernel + u @ u)
        products = self._products(sums) if np.isfinite(pdev) else None
        return RowState(
            pdev, products=products, log_likelihood=kernel + self.log_constants, finite=float(sums["nonfinite"]) == 0
        )

    def _products(self, sums: dict) -> CrossProducts:
        if self.dense:
            mr = sum(t.size for t in self.structure.terms[1:])
            return CrossProducts(sums["diag0"], sums["tail0"], sums["tailtail"], mr, self.p, self.n)
        return cross_products_from_sums(self.structure, sums["tail"], self.n, with_pattern=False)

    def working_products(
        self, state: RowState, beta: np.ndarray, update_beta: bool, modes_only: bool = False
    ) -> CrossProducts:
        """The products the last pass brought back with the state (X included: a pass sums them anyway)."""
        if state.products is None:
            raise FloatingPointError("the working system is not finite at this point")
        return state.products

    def log_likelihood(self, result: PirlsResult) -> float:
        assert result.state is not None and result.state.log_likelihood is not None
        return result.state.log_likelihood


def fit_glmm_dask(parsed, ddf, family: Family, progress=None):
    """(GlmmFit, Design without rows, plan, rows used) for a binomial or Poisson model of a dask DataFrame."""
    ddf = ddf.persist()
    plan = make_plan(parsed, ddf, family.name)
    rows = persisted_rows(ddf, plan)
    del ddf
    structure = build_structure(plan.terms)
    p = len(plan.sample.fixed_names)
    column_scale, term_scales, n, dropped = dask_scales(rows, plan)
    dense = len(structure.terms) == 1 or dense_tail_fits(structure, p)
    build = dask.delayed(partition_problem)
    parts = list(dask.persist(*[build(r, structure, family, column_scale, term_scales, dense) for r in rows]))
    del rows  # the workers now hold the GlmmProblems
    moments = over_partitions(parts, start_moments)
    beta0 = np.linalg.lstsq(moments["xtx"], moments["xteta"], rcond=None)[0]
    problem = DaskGlmmProblem(
        parts, structure, family, column_scale, term_scales, n, p, dense, float(moments["constants"])
    )
    with single_blas_thread():
        fit = fit_glmm_problem(problem, beta0, 1, progress)
    return fit, summary_design(plan, n, dropped), plan, n
