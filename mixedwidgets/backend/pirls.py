"""Penalized iteratively reweighted least squares: the conditional modes of a GLMM at given θ (and β).

Each step solves the penalized weighted least-squares problem of the working response with the
blocked Cholesky of the LMM, then step-halves while the penalized deviance Σ d_i + ‖u‖² rises.
With `update_beta` the fixed effects move with u (lme4's first stage); otherwise β stays put.

The loop sees the rows only through its problem's `rows_at` (the penalized deviance at (θ, u, β)),
`working_products` (the working system's blocked cross-products there) and `log_likelihood`: a
GlmmProblem holds the rows in memory; a distributed problem (mixedwidgets/distributed/glmm.py) sums
the same quantities over partitions on a cluster and hands back only the reduced blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..errors import MixedModelError
from .crossprod import CrossProducts, build_cross_products
from .crossprod_dense import CrossProductPlan
from .factor import BlockedFactor, factorize
from .family import Family
from .reterms import RandomEffectsStructure
from .row_sums import random_effects_matrix
from .solve import fixed_effects, spherical_modes

MAX_ITERATIONS = 60
MAX_HALVINGS = 12
#: PIRLS converges quadratically, so these cost about one step more than 1e-10 / 1e-9 did; they make the
#: Laplace deviance a function of (θ, β) to rounding, not of the modes the previous evaluation left
#: (the warm start): with 1e-10 / 1e-9 the deviance carried ~1e-11 relative noise from that history,
#: enough for two fits of the same data summed in another order (dask) to stop 1e-6 apart in β
TOLERANCE = 1e-13  # relative change in the penalized deviance
MODE_TOLERANCE = 1e-12  # largest change in any spherical mode


@dataclass(frozen=True)
class RowState:
    """What PIRLS needs from the rows at (θ, u, β): the penalized deviance Σ d_i + ‖u‖²; in memory η and μ,
    from a cluster the working system's cross-products and Σ log p(y|μ) (η stays on the workers)."""

    pdev: float
    eta: np.ndarray | None = None
    mu: np.ndarray | None = None
    products: CrossProducts | None = None
    log_likelihood: float | None = None
    finite: bool = True  # every η finite (in memory read from eta)

    def all_finite(self) -> bool:
        return bool(np.all(np.isfinite(self.eta))) if self.eta is not None else self.finite


@dataclass(frozen=True)
class GlmmProblem:
    """The data of a GLMM as the engine sees it (terms in design order, structure sorted)."""

    y: np.ndarray
    X: np.ndarray
    offset: np.ndarray
    prior_weights: np.ndarray
    terms: tuple
    structure: RandomEffectsStructure
    family: Family
    plan: CrossProductPlan | None = None  # when the tail is small enough to keep dense
    log_density_constants: np.ndarray | None = None  # per row, the part of log p(y|μ) free of μ
    column_scale: np.ndarray | None = None  # X holds the design's columns divided by these
    term_scales: tuple[np.ndarray, ...] | None = None  # terms hold the design's columns divided by these
    #: the cross-products of the random part alone (X left out), for PIRLS at fixed β: only the modes and
    #: log|L|² are needed there, and [X y]'W[X y] and Z'WX are most of a step's row work when p is large
    modes_plan: CrossProductPlan | None = None
    #: Z (n × q_total, sorted-term order, no Λ): ZΛu is one sparse product
    z_matrix: sp.csr_matrix | None = None
    #: binomial with one trial per row and y in {0, 1}: log p(y|μ) is log μ or log(1 − μ), one log per row
    bernoulli: bool = False
    _last_fixed: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.z_matrix is None:  # built once per problem, never per PIRLS step
            object.__setattr__(self, "z_matrix", random_effects_matrix(self.structure, self.terms))

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def p(self) -> int:
        return self.X.shape[1]

    def linear_predictor(self, theta: np.ndarray, u: np.ndarray, beta: np.ndarray) -> np.ndarray:
        return self.fixed_part(beta) + self.random_part(theta, u)

    def fixed_part(self, beta: np.ndarray) -> np.ndarray:
        """offset + Xβ, kept for the last β: PIRLS at fixed β asks for it at every step (read-only)."""
        key = np.asarray(beta, dtype=float).tobytes()
        if self._last_fixed.get("key") != key:
            value = self.offset + self.X @ beta
            value.flags.writeable = False
            self._last_fixed.update(key=key, value=value)
        return self._last_fixed["value"]

    def rows_at(self, theta: np.ndarray, u: np.ndarray, beta: np.ndarray, update_beta: bool) -> RowState:
        """η, μ and the penalized deviance at (θ, u, β)."""
        eta = self.linear_predictor(theta, u, beta)
        mu = self.family.link.inverse(eta)
        return RowState(_penalized_deviance(self, mu, u), eta, mu)

    def working_system(self, eta: np.ndarray, mu: np.ndarray, beta: np.ndarray, update_beta: bool):
        """(working response, working weights) at η, μ; without update_beta the response leaves Xβ out."""
        weights, resid = _working_system(self, eta, mu)
        fixed_eta = self.offset if update_beta else self.fixed_part(beta)
        return eta - fixed_eta + resid, weights

    def working_products(
        self, state: RowState, beta: np.ndarray, update_beta: bool, modes_only: bool = False
    ) -> CrossProducts:
        """The blocked cross-products of the working system at the state's η. modes_only (β fixed): those of
        the random part alone when a modes plan exists (p = 0: the factor then has no R_X)."""
        assert state.eta is not None and state.mu is not None
        working, weights = self.working_system(state.eta, state.mu, beta, update_beta)
        if modes_only and not update_beta and self.modes_plan is not None:
            diag0, tail0, tailtail, mr = self.modes_plan.evaluate(working, weights)
            return CrossProducts(diag0, tail0, tailtail, mr, 0, self.n)
        if self.plan is not None:
            diag0, tail0, tailtail, mr = self.plan.evaluate(working, weights)
            return CrossProducts(diag0, tail0, tailtail, mr, self.p, self.n)
        return build_cross_products(self.structure, self.terms, self.X, working, np.sqrt(weights), with_pattern=False)

    def log_likelihood(self, result: PirlsResult) -> float:
        """Σ log p(y_i | μ_i), constants included, at the modes of a PIRLS run."""
        assert result.mu is not None
        return float(log_density(self, result.mu).sum())

    def random_part(self, theta: np.ndarray, u: np.ndarray) -> np.ndarray:
        """ZΛu for a flat u in sorted-term order."""
        b = np.empty_like(u)
        start = 0
        for layout, t in zip(self.structure.terms, self.structure.factors(theta)):
            stop = start + layout.size
            b[start:stop] = (u[start:stop].reshape(layout.n_levels, layout.q) @ t.T).ravel()
            start = stop
        assert self.z_matrix is not None  # set in __post_init__
        return np.asarray(self.z_matrix @ b)


@dataclass(frozen=True)
class PirlsResult:
    u: np.ndarray  # flat spherical modes, sorted-term order
    beta: np.ndarray
    eta: np.ndarray | None  # None when the rows are on a cluster
    mu: np.ndarray | None
    factor: BlockedFactor  # at the weights of the modes (for log|L|², conditional variances)
    iterations: int
    converged: bool
    state: RowState | None = None  # the rows at the modes

    @property
    def penalty(self) -> float:
        return float(self.u @ self.u)


#: the canonical link of each family: there dμ/dη equals the variance, so the working weight is w·dμ/dη
CANONICAL_LINKS = {"binomial": "logit", "poisson": "log"}


def _working_system(problem: GlmmProblem, eta: np.ndarray, mu: np.ndarray):
    fam = problem.family
    dmu = fam.link.derivative(eta, mu)
    if CANONICAL_LINKS.get(fam.name) == fam.link.name:
        weights = problem.prior_weights * dmu  # = w·dμ²/V(μ): both floors (ε) agree to rounding
    else:
        weights = problem.prior_weights * dmu**2 / np.maximum(fam.variance(mu), 1e-300)
    observed = getattr(fam, "observed_weights", None)
    if observed is not None:  # Newton steps on the observed information (negative binomial, Gamma)
        score = weights * (problem.y - mu) / dmu
        weights = np.maximum(observed(problem.y, mu, problem.prior_weights), 1e-300)
        return weights, score / weights
    return weights, (problem.y - mu) / dmu


def _penalized_deviance(problem: GlmmProblem, mu: np.ndarray, u: np.ndarray) -> float:
    """−2 Σ log p(y|μ) + ‖u‖², leaving out the terms that do not depend on μ."""
    return float(-2.0 * log_density_kernel(problem, mu).sum() + u @ u)


def log_density_kernel(problem: GlmmProblem, mu: np.ndarray) -> np.ndarray:
    """The part of log p(y|μ) that depends on μ, per row."""
    if problem.bernoulli and problem.family.name == "binomial":
        return np.log(np.where(problem.y > 0.5, mu, 1.0 - mu))  # μ is kept inside [ε, 1 − ε]
    return problem.family.log_density_kernel(problem.y, mu, problem.prior_weights)


def _factor_at(problem, theta, state: RowState, beta, update_beta, modes_only) -> BlockedFactor:
    """The blocked factor of the working system at the state's η (at the weights there)."""
    cp = problem.working_products(state, beta, update_beta, modes_only)
    return factorize(cp, problem.structure, theta, with_tail0=True)


def _solve_step(problem, theta, state: RowState, beta, update_beta, modes_only):
    """The PWLS solution (u, β) for the working response at the state's η, and the factor it came from."""
    f = _factor_at(problem, theta, state, beta, update_beta, modes_only)
    # without update_beta the working response leaves Xβ out, and β = 0 in the back-substitution
    # gives the modes of the u-only problem (the random rows of the factor do not involve X)
    new_beta = fixed_effects(f) if update_beta else beta
    modes = spherical_modes(f, problem.structure, new_beta if update_beta else np.zeros(f.p))
    return np.concatenate([x.ravel() for x in modes]), new_beta, f


def _quadratically_done(moved: float, previous: float | None, tolerance: float) -> bool:
    """Newton's steps converge quadratically near the modes (e_next ≈ C e², C ≈ moved / previous²): when
    two full steps shrank clearly, the step after this one would move the modes by about
    moved³ / previous², and once that is below the tolerance it need not be taken."""
    if previous is None or not moved < 0.1 * previous:
        return False
    return moved**3 < tolerance * previous**2


def pirls(
    problem,
    theta: np.ndarray,
    beta: np.ndarray,
    u0: np.ndarray,
    update_beta: bool = False,
    modes_only: bool = False,
) -> PirlsResult:
    """Iterate to the conditional modes u (and β when update_beta) at θ.

    modes_only (β fixed): the result's factor may hold the random block only (p = 0: no R_X), which is all
    the Laplace and quadrature deviances need; cheaper per step when the problem has a modes plan.
    """
    u, b = u0.copy(), beta.copy()
    state = problem.rows_at(theta, u, b, update_beta)
    if not np.isfinite(state.pdev) and np.any(u):
        # the previous modes overflow at this θ (a trial point far from the last): start from u = 0
        u = np.zeros_like(u)
        state = problem.rows_at(theta, u, b, update_beta)
    converged = False
    previous = None  # how far the last full step moved the modes
    for iteration in range(1, MAX_ITERATIONS + 1):  # noqa: B007 (the count is reported after the loop)
        u_new, b_new, f = _solve_step(problem, theta, state, b, update_beta, modes_only)
        step = 1.0
        for _ in range(MAX_HALVINGS):
            u_try, b_try = u + step * (u_new - u), b + step * (b_new - b)
            trial = problem.rows_at(theta, u_try, b_try, update_beta)
            if np.isfinite(trial.pdev) and trial.pdev <= state.pdev + 1e-10 * abs(state.pdev):
                break
            step /= 2.0
        else:
            break
        change = abs(state.pdev - trial.pdev)
        moved = np.max(np.abs(u_try - u), initial=0.0) + np.max(np.abs(b_try - b), initial=0.0)
        u, b, state = u_try, b_try, trial
        tolerance = MODE_TOLERANCE * (1.0 + np.max(np.abs(u), initial=0.0))
        if change < TOLERANCE * (abs(state.pdev) + 0.1) and moved < tolerance:
            # f was formed at the weights before this step, which moved the modes by less than the
            # tolerance: as good as the final modes' weights for log|L|², R_X and conditional variances
            converged = True
            break
        if step == 1.0 and _quadratically_done(moved, previous, tolerance) and state.all_finite():
            f = _factor_at(problem, theta, state, b, update_beta, modes_only)  # at the final modes' weights
            converged = True
            break
        previous = moved if step == 1.0 else None
    if not state.all_finite():
        raise MixedModelError("PIRLS produced non-finite linear predictors; the model may be separated")
    return PirlsResult(u, b, state.eta, state.mu, f, iteration, converged, state)


def laplace_deviance(problem: GlmmProblem, result: PirlsResult) -> float:
    """−2 log L by the Laplace approximation: Σ −2 log p(y|μ) + ‖u‖² + log|L|²."""
    return float(-2.0 * problem.log_likelihood(result) + result.penalty + result.factor.logdet_random)


def log_density(problem: GlmmProblem, mu: np.ndarray) -> np.ndarray:
    """log p(y_i | μ_i) per row, constants included."""
    constants = problem.log_density_constants
    if constants is None:
        return problem.family.log_density(problem.y, mu, problem.prior_weights)
    return log_density_kernel(problem, mu) + constants
