"""GLMMs with a dispersion parameter (negative binomial θ, Gamma shape) by maximum likelihood.

The dispersion φ is estimated together with the other parameters, as glmmTMB does: the optimizer
sees log φ beside θ (and β). Stage one moves (θ, log φ) with β inside PIRLS; stage two moves
(θ, β, log φ) together on the Laplace (or quadrature) deviance, β whitened as in `glmm.py`. The
covariance of β is the β block of the inverse Hessian over all of them, so it accounts for φ too.
PIRLS uses the family's observed information, which makes log|L|² the exact Laplace determinant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import cast

import numpy as np
import scipy.linalg as la

from ..errors import MixedModelError
from .agq import agq_deviance, require_single_scalar_term
from .convergence import ConvergenceReport, check_convergence
from .family import DispersionFamily
from .fit_record import GlmmFit
from .glmm import HESSIAN_STEP, MAX_EVALUATIONS, WHITENED_STEP, ModesCache, answers_at, make_problem, starting_beta
from .lmm import theta_names
from .optimizer import OptSummary, minimize_bounded
from .pirls import GlmmProblem, laplace_deviance, pirls
from .scaling import theta_factors
from .threads import single_blas_thread

#: stage two's first step in log φ
LOG_DISPERSION_STEP = 0.2


@dataclass(frozen=True)
class DispersionProblem:
    """The GLMM problem at any value of φ (only the family changes with it)."""

    base: GlmmProblem

    def at(self, log_dispersion: float) -> GlmmProblem:
        if not np.isfinite(log_dispersion) or abs(log_dispersion) > 50:
            raise FloatingPointError("the dispersion parameter ran off to 0 or infinity")
        family = cast(DispersionFamily, self.base.family)
        return replace(self.base, family=family.with_dispersion(float(np.exp(log_dispersion))))


def fit_glmm_dispersion(
    design, family: DispersionFamily, nagq: int = 1, progress: Callable[[int, float], None] | None = None
) -> GlmmFit:
    """Fit a negative-binomial or Gamma GLMM; the returned fit's family holds the estimated φ."""
    if not isinstance(family, DispersionFamily):
        raise MixedModelError(f"the {family.name} family has no dispersion parameter to estimate")
    with single_blas_thread():
        return _fit(design, family, nagq, progress)


def _fit(design, family, nagq, progress) -> GlmmFit:
    problem = DispersionProblem(make_problem(design, family, scale_columns=True))
    base = problem.base
    if nagq > 1:
        require_single_scalar_term(base, nagq)
    s, k, p = base.structure, base.structure.n_theta, base.X.shape[1]
    cache = ModesCache(np.zeros(s.q_total), feasible_start(base, starting_beta(base)))
    log_phi0 = np.log(family.start_dispersion(base.y[base.prior_weights > 0]))
    first = _stage_one(problem, cache, log_phi0, progress)
    theta1, log_phi1 = first.final[:k], first.final[k]
    start_modes = cache.keep(pirls(problem.at(log_phi1), theta1, cache.beta, cache.u, update_beta=True))
    lower = np.concatenate([s.lower, np.full(p + 1, -np.inf)])
    objective = _deviance_of(problem, nagq, cache, k, p)
    tracker = None if progress is None else (lambda n, v: progress(first.evaluations + n, v))
    whitening = np.linalg.cholesky(_rx_vcov(start_modes) + 1e-12 * np.eye(p))
    x0 = np.concatenate([theta1, start_modes.beta, [log_phi1]])
    second = _stage_two(objective, x0, whitening, lower, k, tracker, 1.0)
    names = theta_names(s) + [f"beta[{i}]" for i in range(p)] + ["log(dispersion)"]

    def judge(opt: OptSummary) -> ConvergenceReport:
        return check_convergence(
            objective, opt.final, lower, opt.fmin, opt.ok, opt.return_code, names, keep_hessian=True, step=HESSIAN_STEP
        )

    report = judge(second)
    if not report.converged and second.ok:
        second = _stage_two(objective, second.final, whitening, lower, k, tracker, 0.1)
        report = judge(second)
    return _finish(problem, nagq, second, report, cache)


def feasible_start(problem: GlmmProblem, beta: np.ndarray) -> np.ndarray:
    """β itself when every row's log density is finite there; else the β of a constant linear predictor
    at the link of the mean response (the inverse link needs η > 0 in every row: a GLM start through
    1/y can cross zero where the data never do)."""
    mu = problem.family.link.inverse(problem.offset + problem.X @ beta)
    if np.all(np.isfinite(problem.family.log_density(problem.y, mu, problem.prior_weights))):
        return beta
    level = problem.family.link.link(np.average(problem.y, weights=problem.prior_weights))
    return np.linalg.lstsq(problem.X, np.full(problem.n, level) - problem.offset, rcond=None)[0]


def _stage_one(problem: DispersionProblem, cache: ModesCache, log_phi0: float, progress) -> OptSummary:
    """(θ, log φ) with β moving inside PIRLS."""
    s = problem.base.structure
    k = s.n_theta

    def objective(x):
        at_phi = problem.at(x[k])
        return laplace_deviance(at_phi, cache.keep(pirls(at_phi, x[:k], cache.beta, cache.u, update_beta=True)))

    x0 = np.concatenate([s.theta0, [log_phi0]])
    lower = np.concatenate([s.lower, [-np.inf]])
    step = np.concatenate([np.full(k, 0.5), [0.5]])
    return minimize_bounded(
        objective,
        x0,
        lower,
        initial_step=step,
        ftol_abs=1e-4,
        ftol_rel=1e-8,
        xtol_abs=1e-5,
        max_evaluations=MAX_EVALUATIONS,
        progress=progress,
    )


def _deviance_of(problem: DispersionProblem, nagq: int, cache: ModesCache, k: int, p: int):
    def objective(x):
        theta, beta, at_phi = x[:k], x[k : k + p], problem.at(x[k + p])
        modes = cache.keep(pirls(at_phi, theta, beta, cache.u, modes_only=True))
        if nagq > 1:
            return agq_deviance(at_phi, theta, beta, modes, nagq)
        return laplace_deviance(at_phi, modes)

    return objective


def _rx_vcov(result) -> np.ndarray:
    rx_inv = la.solve_triangular(result.factor.fixed_factor, np.eye(result.factor.p), lower=True, check_finite=False)
    return rx_inv.T @ rx_inv


def _stage_two(objective, x0, whitening, lower, k, tracker, shrink: float) -> OptSummary:
    """(θ, β, log φ) together, β in coordinates whitened by the stage-one covariance of β."""
    p = whitening.shape[0]
    centre = x0[k : k + p]

    def to_original(z):
        return np.concatenate([z[:k], centre + whitening @ z[k : k + p], z[k + p :]])

    z0 = np.concatenate([x0[:k], np.zeros(p), x0[k + p :]])
    step = shrink * np.concatenate([np.full(k, WHITENED_STEP[0]), np.full(p, WHITENED_STEP[1]), [LOG_DISPERSION_STEP]])
    opt = minimize_bounded(
        lambda z: objective(to_original(z)),
        z0,
        lower,
        initial_step=step,
        ftol_abs=1e-8,
        xtol_abs=1e-7,
        max_evaluations=MAX_EVALUATIONS,
        progress=tracker,
    )
    return replace(opt, initial=x0.copy(), final=to_original(opt.final))


def _parameter_cov(report: ConvergenceReport, free: np.ndarray) -> np.ndarray | None:
    """(H/2)⁻¹ over the free parameters (θ off its bounds, β, log φ), when it is a proper covariance."""
    hess = report.hessian
    if hess is None or hess.shape[0] != free.sum() or not np.all(np.isfinite(hess)):
        return None
    try:
        inv = np.linalg.inv(hess / 2.0)
    except np.linalg.LinAlgError:
        return None
    return inv if np.all(np.diag(inv) > 0) else None


def _finish(problem: DispersionProblem, nagq, opt, report, cache) -> GlmmFit:
    s, k = problem.base.structure, problem.base.structure.n_theta
    p = problem.base.X.shape[1]
    theta, beta, log_phi = opt.final[:k], opt.final[k : k + p], float(opt.final[k + p])
    at_phi = problem.at(log_phi)
    modes = pirls(at_phi, theta, beta, cache.u)
    if not modes.converged:
        note = ("PIRLS did not converge at the optimum.",)
        report = replace(report, converged=False, messages=report.messages + note)
    free_all = np.concatenate([~((theta - s.lower) < 1e-4), np.ones(p + 1, bool)])
    full_cov = _parameter_cov(report, free_all)
    n_free_theta = int(free_all[:k].sum())
    scale, term_scales = problem.base.column_scale, problem.base.term_scales
    assert scale is not None
    theta_factor = np.ones(k) if term_scales is None else theta_factors(s, term_scales)
    if full_cov is None:
        vcov, source, parameter_cov = _rx_vcov(modes), "RX", None
    else:
        keep = slice(0, n_free_theta + p)  # (θ, β) without log φ, as GlmmFit.parameter_cov holds
        unscale = np.concatenate([theta_factor[free_all[:k]], 1.0 / scale])
        parameter_cov = full_cov[keep, keep] * np.outer(unscale, unscale)
        vcov, source = full_cov[n_free_theta : n_free_theta + p, n_free_theta : n_free_theta + p], "hessian"
    ranef, ranef_cov, laplace, objective = answers_at(at_phi, theta, beta, modes, nagq)
    scaled = np.concatenate([1.0 / theta_factor, scale, [1.0]])
    opt = replace(opt, initial=opt.initial / scaled, final=opt.final / scaled)
    return GlmmFit(
        structure=s,
        theta=theta * theta_factor,
        beta=beta / scale,
        vcov=vcov / np.outer(scale, scale),
        objective=objective,
        ranef=ranef,
        ranef_cov=ranef_cov,
        optsummary=opt,
        convergence=report,
        family=at_phi.family,
        nagq=nagq,
        laplace_objective=laplace,
        vcov_source=source,
        eta=modes.eta,
        mu=modes.mu,
        parameter_cov=parameter_cov,
        free_parameters=free_all[: k + p],
    )
