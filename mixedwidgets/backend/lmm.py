"""The linear mixed model: profiled (RE)ML deviance of θ, its optimization, and the fit record.

objective(θ) = deviance(factorize(cross_products, θ)): β and σ are profiled out, so the optimizer
sees θ only. ML: log|L|² + n(1 + log(2π r²/n)); REML adds log|R_X|² and uses n − p.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import scipy.linalg as la

from .convergence import ConvergenceReport
from .crossprod import CrossProducts, build_cross_products
from .elimination import elimination_order
from .factor import BlockedFactor, factorize, with_coupling
from .fit_record import DeferredCovariances, LmmFit
from .optimizer import OptSummary, minimize_bounded
from .polish import POLISH_BELOW, polish_and_check
from .reterms import RandomEffectsStructure, build_structure, random_effect_count
from .scaling import scaled_terms, theta_factors, unscale_covariances, unscale_modes
from .single_term import SchurFactor, SingleTermSystem, applies
from .solve import conditional_covariances, conditional_modes, fixed_effects, spherical_modes
from .start import starting_theta
from .threads import single_blas_thread

#: BOBYQA settings: the moment start (start.py) is usually close, so a small first trust region;
#: tolerances far below what any reported number needs (objective to 1e-5, SDs to 0.1%)
INITIAL_STEP = 0.1
#: the moment start's error shrinks like 1/√levels (a standard error of θ): a scalar term with more
#: levels than this starts with a trust region INITIAL_STEP·√(STEP_LEVELS/levels), never below
#: MIN_INITIAL_STEP (crossed factors with thousands of levels: up to a quarter fewer evaluations, the
#: same optimum). Vector terms keep INITIAL_STEP: the moment start of a correlation is rougher, and on
#: a flat correlation the smaller step left fits of the same data 1.5e-5 apart (test_dask_fit).
STEP_LEVELS = 100
MIN_INITIAL_STEP = 0.01
FTOL_ABS = 1e-6
XTOL_ABS = 1e-6
#: for a restart where the polish leaves a doubtful gradient: a small trust region, tight tolerances
FINE_SETTINGS: dict[str, Any] = dict(initial_step=0.01, ftol_abs=1e-10, ftol_rel=1e-15, xtol_abs=1e-9)
#: Newton-polish while ‖L⁻¹g‖ exceeds this (polish.POLISH_BELOW is 1e-3): an evaluation costs no row
#: pass, and BOBYQA's stopping point is otherwise only fixed to ~1e-3 standard errors, so two fits
#: of the same data summed in another order (dask, chunked row passes) could stop 1e-5 apart in an SD
LMM_POLISH_BELOW = 1e-5
#: ... unless the terms after the first hold at least this many random effects and their tail is dense:
#: every evaluation then factors a dense tail of that order (m³/3 flops: ≥ 1 ms from here, seconds for
#: crossed designs with thousands of levels), and the 10–20 evaluations that take ‖L⁻¹g‖ from 1e-3 to
#: 1e-5 (the objective from within ~5e-7 of its minimum to within ~5e-11) were a third of an
#: InstEval-shaped fit. Such fits polish to POLISH_BELOW, the LMM's criterion before LMM_POLISH_BELOW and
#: the GLMM's. A sparse tail (nested factors: no fill) stays cheap and keeps 1e-5 (school/class 5,000 × 10
#: at 1e-3 stopped 5.9e-7 above lme4's criterion, at 1e-5 below it).
EXPENSIVE_TAIL = 500


def profiled_deviance(f: BlockedFactor | SchurFactor, n: int, reml: bool, log_weights: float = 0.0) -> float:
    """−2 log-likelihood (ML) or the REML criterion, with β and σ profiled out."""
    r2 = f.pwrss
    if r2 <= 0:
        return np.inf
    dof = n - f.p if reml else n
    value = f.logdet_random + dof * (1.0 + np.log(2.0 * np.pi * r2 / dof)) - log_weights
    return value + f.logdet_fixed if reml else value


#: from this order of a dense tail on, the objective keeps the factor at its lowest value so far (one
#: more m × m array held) and the fit's answers are read off it: the optimum is always the best point
#: evaluated, and factoring it once more cost a dense Cholesky (2 s for two crossed 10,000-level factors)
KEEP_BEST_FROM = 1000


class ProfiledDeviance:
    """θ ↦ the profiled deviance (∞ where it cannot be evaluated). For large dense tails it remembers
    the factor at the lowest value (factor_at) and, where the tail is downdated by a pattern, forms
    every tail in one of two m × m arrays kept from one θ to the next (the best factor's and a spare)."""

    def __init__(self, cp: CrossProducts, structure: RandomEffectsStructure, reml: bool, log_weights: float):
        self.cp, self.structure, self.reml, self.log_weights = cp, structure, reml, log_weights
        # one term with q ≤ 2 (sleepstudy's shape): the same algebra as factorize, as a dozen array operations
        self.single = SingleTermSystem.from_cross_products(cp, structure) if applies(cp, structure) else None
        self.keep_best = cp.sparse is None and cp.tailtail is not None and cp.tailtail.shape[0] >= KEEP_BEST_FROM
        self.reuse = self.keep_best and cp.pattern is not None
        self.best: tuple[float, np.ndarray, BlockedFactor] | None = None
        self._best_buffer: np.ndarray | None = None
        self._spare: np.ndarray | None = None

    def __call__(self, theta: np.ndarray) -> float:
        buffer = None
        if self.reuse:
            assert self.cp.tailtail is not None
            buffer = self._spare if self._spare is not None else np.empty(self.cp.tailtail.shape)
            self._spare = buffer
        try:
            if self.single is not None:
                f: BlockedFactor | SchurFactor = self.single.factor(theta)
            else:
                f = factorize(self.cp, self.structure, theta, workspace=buffer)
            value = profiled_deviance(f, self.cp.n, self.reml, self.log_weights)
        except (la.LinAlgError, np.linalg.LinAlgError, FloatingPointError):
            return np.inf
        if self.keep_best and isinstance(f, BlockedFactor) and (self.best is None or value < self.best[0]):
            self.best = (value, np.array(theta, dtype=float), f)
            self._spare, self._best_buffer = self._best_buffer, buffer  # the old best's array is free now
        return value

    def factor_at(self, theta: np.ndarray) -> BlockedFactor:
        """The whole factor at θ, L_tail0 included: the remembered one when θ is where it was taken."""
        if self.best is not None and np.array_equal(self.best[1], theta):
            return with_coupling(self.best[2], self.cp, self.structure)
        return factorize(self.cp, self.structure, theta, with_tail0=True)

    def release(self) -> np.ndarray | None:
        """Forget the remembered factor; the spare m × m array (contents undefined), if any, for reuse."""
        spare, self._spare, self.best, self._best_buffer = self._spare, None, None, None
        return spare


def make_objective(
    cp: CrossProducts, structure: RandomEffectsStructure, reml: bool, log_weights: float
) -> ProfiledDeviance:
    return ProfiledDeviance(cp, structure, reml, log_weights)


def initial_steps(structure: RandomEffectsStructure) -> np.ndarray:
    """BOBYQA's first trust region per θ entry, smaller for scalar terms with many levels."""
    per_term = [
        np.full(
            t.theta_slice.stop - t.theta_slice.start,
            INITIAL_STEP * (min(1.0, np.sqrt(STEP_LEVELS / t.n_levels)) if t.q == 1 else 1.0),
        )
        for t in structure.terms
    ]
    return np.maximum(np.concatenate(per_term), MIN_INITIAL_STEP)


def polish_threshold(structure: RandomEffectsStructure, dense_tail: bool = True) -> float:
    """The Newton polish's stopping point for this model: LMM_POLISH_BELOW, POLISH_BELOW for large dense tails."""
    tail = sum(t.size for t in structure.terms[1:])
    return LMM_POLISH_BELOW if tail < EXPENSIVE_TAIL or not dense_tail else POLISH_BELOW


def theta_names(structure: RandomEffectsStructure) -> list[str]:
    names = []
    for t in structure.terms:
        for r, c in zip(t.rows, t.cols):
            names.append(f"{t.group}:{t.columns[r]}" if r == c else f"{t.group}:{t.columns[r]},{t.columns[c]}")
    return names


def fit_lmm(design, reml: bool = True, progress: Callable[[int, float], None] | None = None) -> LmmFit:
    """Fit a linear mixed model to a Design by minimizing the profiled deviance over θ."""
    with single_blas_thread(random_effect_count(design.terms)):
        return _fit_lmm(design, reml, progress)


def _fit_lmm(design, reml, progress) -> LmmFit:
    structure = build_structure(design.terms)
    reorder = elimination_order(structure)  # the term with most random effects first?
    if reorder is not None:
        structure = reorder.engine
    terms, term_scales = scaled_terms(design.terms)  # θ near 1 whatever the predictors' units
    w = design.weights
    sqrt_w = None if w is None else np.sqrt(np.asarray(w, dtype=float))
    y = design.y if design.offset is None else design.y - design.offset
    cp = build_cross_products(structure, terms, design.X, y, sqrt_w)
    log_w = 0.0 if w is None else float(np.log(w).sum())
    theta0 = starting_theta(structure, terms, design.X, y)
    fit = fit_cross_products(cp, structure, theta0, reml, log_w, term_scales, progress)
    return fit if reorder is None else reorder.fit_to_lme4(fit)


def fit_cross_products(
    cp: CrossProducts,
    structure: RandomEffectsStructure,
    theta0: np.ndarray,
    reml: bool,
    log_w: float = 0.0,
    term_scales: tuple[np.ndarray, ...] | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> LmmFit:
    """Minimize the profiled deviance from its cross-products (in memory, or summed on a cluster), polish
    the optimum and judge convergence as lme4 does; θ0 and cp in the engine's (scaled) units."""
    objective = make_objective(cp, structure, reml, log_w)
    steps = initial_steps(structure)

    def optimize(start: np.ndarray, evaluations: int = 0, fine: bool = False) -> OptSummary:
        shifted = None if progress is None else (lambda n, value: progress(evaluations + n, value))
        opt = minimize_bounded(
            objective,
            start,
            structure.lower,
            progress=shifted,
            pure=True,
            **(FINE_SETTINGS if fine else dict(initial_step=steps, ftol_abs=FTOL_ABS, xtol_abs=XTOL_ABS)),
        )
        return replace(opt, initial=theta0, evaluations=evaluations + opt.evaluations)

    opt, report = polish_and_check(
        objective,
        optimize(theta0),
        structure.lower,
        theta_names(structure),
        factors=None if term_scales is None else theta_factors(structure, term_scales),
        progress=progress,
        restart=optimize,
        column_ids=structure.column_ids(),
        fine_restart=lambda start, evaluations: optimize(start, evaluations, fine=True),
        polish_below=polish_threshold(structure, dense_tail=cp.sparse is None),
    )
    factor = objective.factor_at(opt.final)
    workspace = objective.release()  # the factor is the fit's now; the spare array serves once more
    return finish_fit(
        cp, structure, opt, report, reml, log_w, term_scales, factor, workspace, defer_covariances=objective.keep_best
    )


def finish_fit(
    cp: CrossProducts,
    structure: RandomEffectsStructure,
    opt: OptSummary,
    report: ConvergenceReport,
    reml: bool,
    log_w: float,
    term_scales: tuple[np.ndarray, ...] | None = None,
    factor: BlockedFactor | None = None,
    workspace: np.ndarray | None = None,
    defer_covariances: bool = False,
) -> LmmFit:
    """Turn the optimal θ into β, σ, the covariance of β and the conditional modes and variances;
    with term_scales (scaling.scaled_terms), cp holds scaled random-effect columns and θ, the modes and
    their covariances come back in the caller's units. `factor`: the whole factor at opt.final when at hand;
    `workspace`: a spare array of the tail's order for the conditional variances; `defer_covariances`:
    the conditional covariances computed on first use (fit_record.DeferredCovariances) unless the
    downdate pattern they need is larger than the factor."""
    f = factorize(cp, structure, opt.final, with_tail0=True) if factor is None else factor
    beta = fixed_effects(f)
    sigma2 = f.pwrss / (cp.n - cp.p if reml else cp.n)
    rx_inv = la.solve_triangular(f.fixed_factor, np.eye(cp.p), lower=True, check_finite=False)
    u = spherical_modes(f, structure, beta)
    ranef = tuple(conditional_modes(u, f.factors))
    pattern = cp.pattern

    def covariances() -> tuple[np.ndarray, ...]:
        covs = tuple(conditional_covariances(f, structure, sigma2, pattern, workspace))
        return covs if term_scales is None else unscale_covariances(structure, term_scales, covs)

    # deferred, the fit holds the factor and the pattern until first use: not when the pattern is the
    # larger of the two (three crossed factors at 1M rows: 1.3 GB of products against a 0.4 GB factor)
    tail_bytes = 0 if f.tail is None else f.tail.nbytes
    if defer_covariances and (pattern is None or pattern.nbytes <= tail_bytes):
        workspace = None  # not held by the fit while the covariances wait (nor is cp: its Z'Z and rows)
        tail_size = cp.n_random_tail

        def deferred() -> tuple[np.ndarray, ...]:
            with single_blas_thread(tail_size):  # the tail's inversion on the idle cores, as in a fit
                return covariances()

        ranef_cov: Sequence[np.ndarray] = DeferredCovariances(deferred, len(structure.terms))
    else:
        ranef_cov = covariances()
    if term_scales is not None:
        ranef = unscale_modes(structure, term_scales, ranef)
        factors = theta_factors(structure, term_scales)
        opt = replace(opt, initial=opt.initial * factors, final=opt.final * factors)
    return LmmFit(
        structure=structure,
        reml=reml,
        theta=opt.final.copy(),
        beta=beta,
        residual_sd=float(np.sqrt(sigma2)),
        vcov=sigma2 * rx_inv.T @ rx_inv,
        objective=profiled_deviance(f, cp.n, reml, log_w),
        pwrss=f.pwrss,
        logdet_random=f.logdet_random,
        logdet_fixed=f.logdet_fixed,
        ranef=ranef,
        ranef_cov=ranef_cov,
        optsummary=opt,
        convergence=report,
    )
