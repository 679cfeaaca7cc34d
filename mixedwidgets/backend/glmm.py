"""Generalized linear mixed models by maximum likelihood: Laplace approximation or adaptive quadrature.

Two stages, as lme4 does: first θ alone, with β moving inside PIRLS (fast, close); then θ and β
together, with PIRLS for the modes u only, on the Laplace (or quadrature) deviance. The covariance
of β comes from the finite-difference Hessian of that deviance (lme4's default), falling back to
R_X when the Hessian is unusable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import scipy.linalg as la

from ..errors import MixedModelError
from .agq import agq_deviance, require_single_scalar_term
from .convergence import ConvergenceReport, excluded_from_derivatives
from .crossprod_dense import CrossProductPlan, dense_tail_fits
from .family import Family
from .fit_record import GlmmFit
from .lmm import theta_names
from .optimizer import OptSummary, minimize_bounded
from .pirls import GlmmProblem, PirlsResult, laplace_deviance, pirls
from .polish import polish_and_check
from .reterms import build_structure, random_effect_count
from .scaling import column_rms, scaled_terms, theta_factors, unscale_ranef
from .solve import conditional_covariances, split_tail
from .threads import single_blas_thread


class ModesCache:
    """The last conditional modes (and β), so that each PIRLS run starts where the previous ended."""

    def __init__(self, u: np.ndarray, beta: np.ndarray):
        self.u, self.beta = u, beta

    def keep(self, result: PirlsResult) -> PirlsResult:
        if result.converged:
            self.u, self.beta = result.u, result.beta
        return result


def make_problem(design, family: Family, scale_columns: bool = False) -> GlmmProblem:
    """The engine's view of a GLMM; with scale_columns, X's columns are divided by their root-mean-square
    (column_rms) and the random-effect terms' columns by theirs (scaled_terms): θ is then the engine's θ_s."""
    n = len(design.y)
    offset = np.zeros(n) if design.offset is None else np.asarray(design.offset, dtype=float)
    weights = np.ones(n) if design.weights is None else np.asarray(design.weights, dtype=float)
    structure = build_structure(design.terms)
    X = np.asarray(design.X, dtype=float)
    scale = column_rms(X) if scale_columns else np.ones(X.shape[1])
    X = X / scale
    terms, term_scales = scaled_terms(design.terms) if scale_columns else (tuple(design.terms), None)
    dense = dense_tail_fits(structure, X.shape[1])
    plan = CrossProductPlan.build(structure, terms, X) if dense else None
    modes_plan = CrossProductPlan.build(structure, terms, X[:, :0]) if dense else None
    y = np.asarray(design.y, dtype=float)
    return GlmmProblem(
        y,
        X,
        offset,
        weights,
        terms,
        structure,
        family,
        plan,
        family.log_density_constant(y, weights),
        scale,
        term_scales,
        modes_plan=modes_plan,
        bernoulli=bool(np.all(weights == 1.0) and np.all((y == 0.0) | (y == 1.0))),
    )


def starting_beta(problem: GlmmProblem) -> np.ndarray:
    mu = problem.family.start_mu(problem.y, problem.prior_weights)
    eta = problem.family.link.link(mu) - problem.offset
    return np.linalg.lstsq(problem.X, eta, rcond=None)[0]


#: failures of the linear algebra at a trial point: the optimizer sees an unevaluable point and backs off
BREAKDOWNS = (np.linalg.LinAlgError, la.LinAlgError, FloatingPointError, OverflowError, ZeroDivisionError)


def _inf_on_breakdown(objective: Callable[[np.ndarray], float]) -> Callable[[np.ndarray], float]:
    """The objective, +inf where it breaks down numerically (a trial point far from the optimum);
    the fit itself still fails loudly if the estimates cannot be evaluated (see _finish)."""

    def guarded(x: np.ndarray) -> float:
        try:
            return objective(x)
        except BREAKDOWNS:
            return np.inf

    return guarded


def _stage_one(problem, cache, progress) -> OptSummary:
    @_inf_on_breakdown
    def objective(theta):
        return laplace_deviance(problem, cache.keep(pirls(problem, theta, cache.beta, cache.u, update_beta=True)))

    s = problem.structure
    return minimize_bounded(
        objective,
        s.theta0,
        s.lower,
        initial_step=0.5,
        ftol_abs=1e-4,
        ftol_rel=1e-8,
        xtol_abs=1e-5,
        max_evaluations=MAX_EVALUATIONS,
        progress=progress,
    )


def _deviance_of(problem, nagq, cache):
    k = problem.structure.n_theta

    @_inf_on_breakdown
    def objective(x):
        theta, beta = x[:k], x[k:]
        modes = cache.keep(pirls(problem, theta, beta, cache.u, modes_only=True))
        if nagq > 1:
            return agq_deviance(problem, theta, beta, modes, nagq)
        return laplace_deviance(problem, modes)

    return objective


def _rx_vcov(result: PirlsResult) -> np.ndarray:
    rx_inv = la.solve_triangular(result.factor.fixed_factor, np.eye(result.factor.p), lower=True, check_finite=False)
    return rx_inv.T @ rx_inv


def _parameter_cov(report: ConvergenceReport, free: np.ndarray, k: int, p: int) -> np.ndarray | None:
    """(H/2)⁻¹ over the free parameters, when the Hessian gives a proper covariance for β."""
    hess = report.hessian
    if hess is None or hess.shape[0] != free.sum() or not np.all(free[k:]) or not np.all(np.isfinite(hess)):
        return None
    try:
        inv = np.linalg.inv(hess / 2.0)
    except np.linalg.LinAlgError:
        return None
    return inv if np.all(np.diag(inv) > 0) else None


#: finite-difference step for the gradient and Hessian of the GLMM deviance: PIRLS stops within ~1e-9
#: of the modes, so a step of 1e-4 (as lme4) leaves noise of order 1e-9/1e-8 in the Hessian; 1e-3 does not,
#: and its truncation error is far below 0.1% (checked against steps from 1e-2 to 3e-4 on cbpp)
HESSIAN_STEP = 1e-3

#: a stage that needs more evaluations than this is chasing a degenerate optimum (e.g. separated data);
#: it stops and says so ("maximum number of evaluations reached") instead of running for minutes
MAX_EVALUATIONS = 2_000

#: stage two moves θ by 0.1 and β by half a standard error (in whitened coordinates) at first
WHITENED_STEP = (0.1, 0.5)


def _stage_two(objective, x0, whitening, lower, k, tracker, steps, evaluations: int = 0) -> OptSummary:
    """θ and β together, with β in coordinates whitened by the stage-one covariance of β: there the
    deviance is close to isotropic, which BOBYQA's spherical trust region needs to move fast."""
    centre = x0[k:]

    def to_original(z):
        return np.concatenate([z[:k], centre + whitening @ z[k:]])

    z0 = np.concatenate([x0[:k], np.zeros(len(centre))])
    step = np.concatenate([np.full(k, steps[0]), np.full(len(centre), steps[1])])
    shifted = None if tracker is None else (lambda n, v: tracker(evaluations + n, v))
    opt = minimize_bounded(
        lambda z: objective(to_original(z)),
        z0,
        lower,
        initial_step=step,
        ftol_abs=1e-8,
        xtol_abs=1e-7,
        max_evaluations=MAX_EVALUATIONS,
        progress=shifted,
    )
    return replace(opt, initial=x0.copy(), final=to_original(opt.final), evaluations=evaluations + opt.evaluations)


def fit_glmm(design, family: Family, nagq: int = 1, progress: Callable[[int, float], None] | None = None) -> GlmmFit:
    """Fit a GLMM to a Design by maximum likelihood (Laplace for nagq = 1, adaptive quadrature above)."""
    with single_blas_thread(random_effect_count(design.terms)):
        return _fit_glmm(design, family, nagq, progress)


def _fit_glmm(design, family, nagq, progress) -> GlmmFit:
    problem = make_problem(design, family, scale_columns=True)
    if nagq > 1:
        require_single_scalar_term(problem, nagq)
    return fit_glmm_problem(problem, starting_beta(problem), nagq, progress)


def fit_glmm_problem(problem, beta0: np.ndarray, nagq: int = 1, progress=None) -> GlmmFit:
    """Both stages, the polish and the answers for a problem with scaled columns (a GlmmProblem, or
    any object with its structure, family, scales and PIRLS methods: rows_at, working_products,
    log_likelihood — the rows may be on a cluster); beta0 is the start of β in the engine's units."""
    s, k, p = problem.structure, problem.structure.n_theta, problem.p
    cache = ModesCache(np.zeros(s.q_total), beta0)
    first = _stage_one(problem, cache, progress)
    start_modes = pirls(problem, first.final, cache.beta, cache.u, update_beta=True)
    cache.keep(start_modes)
    lower = np.concatenate([s.lower, np.full(p, -np.inf)])
    objective = _deviance_of(problem, nagq, cache)
    tracker = None if progress is None else (lambda n, v: progress(first.evaluations + n, v))
    whitening = np.linalg.cholesky(_rx_vcov(start_modes) + 1e-12 * np.eye(p))
    x0 = np.concatenate([first.final, start_modes.beta])
    second = _stage_two(objective, x0, whitening, lower, k, tracker, WHITENED_STEP)
    names = theta_names(s) + [f"beta[{i}]" for i in range(p)]
    factors = _parameter_factors(problem)
    column_ids = np.concatenate([s.column_ids(), -1 - np.arange(p)])

    def restart(start, evaluations, steps=WHITENED_STEP):
        return _stage_two(objective, start, whitening, lower, k, tracker, steps, evaluations=evaluations)

    second, report = polish_and_check(
        objective,
        second,
        lower,
        names,
        keep_hessian=True,
        step=HESSIAN_STEP,
        factors=factors,
        progress=tracker,
        restart=restart,
        column_ids=column_ids,
    )
    if not report.converged and second.ok:
        # BOBYQA sometimes stops early on a flat stretch: restart once from where it stopped
        second = restart(second.final, second.evaluations, tuple(step / 10 for step in WHITENED_STEP))
        second, report = polish_and_check(
            objective, second, lower, names, keep_hessian=True, step=HESSIAN_STEP, factors=factors, progress=tracker
        )
    return _finish(problem, nagq, second, report, cache)


def _finish(problem, nagq, opt, report, cache) -> GlmmFit:
    s, k = problem.structure, problem.structure.n_theta
    theta, beta = opt.final[:k], opt.final[k:]
    modes = pirls(problem, theta, beta, cache.u)
    if not modes.converged:
        report = ConvergenceReport(
            report.singular,
            False,
            report.gradient,
            report.messages + ("PIRLS did not converge at the optimum.",),
            report.hessian,
        )
    lower = np.concatenate([s.lower, np.full(len(beta), -np.inf)])
    free = ~excluded_from_derivatives(opt.final, lower, _parameter_factors(problem))
    parameter_cov = _parameter_cov(report, free, k, len(beta))
    if parameter_cov is None:
        vcov, source = _rx_vcov(modes), "RX"
    else:
        first = parameter_cov.shape[0] - len(beta)  # not [-len(beta):], which is everything when p = 0
        vcov, source = parameter_cov[first:, first:], "hessian"
    ranef, ranef_cov, laplace, objective = answers_at(problem, theta, beta, modes, nagq)
    # back from scaled columns (X / scale, Z / term scales) to the caller's units
    factors = _parameter_factors(problem)
    if parameter_cov is not None:
        parameter_cov = parameter_cov * np.outer(factors[free], factors[free])
    opt = replace(opt, initial=opt.initial * factors, final=opt.final * factors)
    return GlmmFit(
        structure=s,
        theta=opt.final[:k].copy(),
        beta=opt.final[k:].copy(),
        vcov=vcov / np.outer(problem.column_scale, problem.column_scale),
        objective=objective,
        ranef=ranef,
        ranef_cov=ranef_cov,
        optsummary=opt,
        convergence=report,
        family=problem.family,
        nagq=nagq,
        laplace_objective=laplace,
        vcov_source=source,
        eta=modes.eta,
        mu=modes.mu,
        parameter_cov=parameter_cov,
        free_parameters=free,
    )


def answers_at(problem: GlmmProblem, theta: np.ndarray, beta: np.ndarray, modes: PirlsResult, nagq: int):
    """(ranef, ranef_cov in the caller's units, Laplace deviance, objective) at the optimum's modes; a
    MixedModelError when the likelihood cannot be evaluated there."""
    s = problem.structure
    u_terms = [modes.u[: s.terms[0].size].reshape(s.terms[0].n_levels, s.terms[0].q)]
    u_terms += split_tail(modes.u[s.terms[0].size :], s)
    ranef = tuple(u @ t.T for u, t in zip(u_terms, s.factors(theta)))
    ranef_cov = tuple(conditional_covariances(modes.factor, s, 1.0))
    if problem.term_scales is not None:
        ranef, ranef_cov = unscale_ranef(s, problem.term_scales, ranef, ranef_cov)
    laplace = laplace_deviance(problem, modes)
    objective = agq_deviance(problem, theta, beta, modes, nagq) if nagq > 1 else laplace
    if not np.isfinite(objective):
        hint = "; the inverse link needs a positive linear predictor in every row: try link='log'"
        inverse = problem.family.link.name == "inverse"
        raise MixedModelError("the likelihood could not be evaluated at the estimates" + (hint if inverse else ""))
    return ranef, ranef_cov, laplace, objective


def _parameter_factors(problem: GlmmProblem) -> np.ndarray:
    """Per entry of (θ, β) in the engine's units, the factor to the caller's units."""
    s = problem.structure
    assert problem.column_scale is not None
    theta_part = np.ones(s.n_theta) if problem.term_scales is None else theta_factors(s, problem.term_scales)
    return np.concatenate([theta_part, 1.0 / problem.column_scale])
