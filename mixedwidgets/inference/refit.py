"""One parametric-bootstrap draw: simulate a response from a fitted model, refit, collect the parameters.

As lme4's bootMer (use.u = FALSE): new random effects b ~ N(0, σ²TT') for every level, then new
responses given them (Gaussian with σ²/weight, binomial successes out of the trials, Poisson counts,
negative-binomial counts and Gamma values at the fitted θ or shape, which the refit holds fixed);
the refit starts from the fitted θ (and β for a GLMM). A draw returns one row: sd/cor, σ (LMMs), β —
the columns of confint — or NaN where the refit failed. Each task is a plain picklable object, so that
draws can run in worker processes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from ..backend.pirls import GlmmProblem

from dataclasses import dataclass, replace

import numpy as np

from ..backend.agq import agq_deviance
from ..backend.family import DispersionFamily
from ..backend.glmm import make_problem
from ..backend.optimizer import minimize_bounded
from ..backend.pirls import laplace_deviance, pirls
from ..backend.reterms import RandomEffectsStructure
from ..backend.single_term import SingleTermSystem
from .batched_lmm import BatchedSingleTerm, newton_minimize
from .lmm_problem import LmmProblem
from .sdcor import sdcor_names, theta_to_sdcor

#: the refit's first trust region around the fitted θ (a draw's optimum is usually near it)
REFIT_STEP = 0.1


def random_part(
    terms, structure: RandomEffectsStructure, theta: np.ndarray, scale: float, rng: np.random.Generator
) -> np.ndarray:
    """Zb for new random effects b ~ N(0, scale² T T'), drawn term by term in formula order."""
    n = len(terms[0].codes)
    factors = {layout.design_position: t for layout, t in zip(structure.terms, structure.factors(theta))}
    total = np.zeros(n)
    for position, term in enumerate(terms):
        t = factors[position]
        b = scale * rng.standard_normal((len(term.levels), t.shape[0])) @ t.T
        values = np.asarray(term.values, dtype=float).reshape(n, t.shape[0])
        total += np.einsum("ij,ij->i", values, b[np.asarray(term.codes)])
    return total


def fixed_part(design, beta: np.ndarray) -> np.ndarray:
    eta = np.asarray(design.X) @ beta
    return eta if design.offset is None else eta + np.asarray(design.offset, dtype=float)


@dataclass
class LmmDrawTask:
    """Simulate from an LMM at (θ, β, σ) and refit it by REML or ML."""

    problem: LmmProblem
    theta: np.ndarray
    beta: np.ndarray
    sigma: float
    reml: bool

    @classmethod
    def from_fit(cls, design, theta, beta, sigma, reml) -> LmmDrawTask:
        return cls(
            LmmProblem.from_design(design), np.asarray(theta, float), np.asarray(beta, float), float(sigma), bool(reml)
        )

    @property
    def names(self) -> list[str]:
        return sdcor_names(self.problem.structure) + ["sigma"] + list(self.problem.design.fixed_names)

    def estimates(self) -> np.ndarray:
        return self.row(self.theta, self.beta, self.sigma)

    def row(self, theta, beta, sigma) -> np.ndarray:
        return np.concatenate([theta_to_sdcor(self.problem.structure, theta, sigma), [sigma], beta])

    def simulate(self, rng: np.random.Generator) -> np.ndarray:
        design = self.problem.design
        mean = fixed_part(design, self.beta) + random_part(
            design.terms, self.problem.structure, self.theta, self.sigma, rng
        )
        noise = self.sigma * rng.standard_normal(len(mean))
        if design.weights is not None:
            noise /= np.sqrt(np.asarray(design.weights, dtype=float))
        return mean + noise

    def refit(self, y: np.ndarray) -> tuple[np.ndarray, float, LmmProblem]:
        """θ, the deviance and the problem of the model refitted to y, from the fitted θ."""
        problem = self.problem.with_response(y)
        opt = minimize_bounded(
            lambda t: problem.profiled(t, self.reml),
            self.theta,
            problem.structure.lower,
            initial_step=REFIT_STEP,
            ftol_abs=1e-6,
            xtol_abs=1e-6,
        )
        return opt.final, opt.fmin, problem

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        return self._finish(*self.refit(self.simulate(rng)))

    def _finish(self, theta, deviance, problem) -> np.ndarray:
        if not np.isfinite(deviance):
            return np.full(len(self.names), np.nan)
        beta, sigma = problem.estimates(theta, self.reml)
        return self.row(theta, beta, sigma)

    def draw_batch(self, rngs: list[np.random.Generator]) -> np.ndarray:
        """Rows for several draws: one-term models refit them together (batched_lmm), others one by one;
        a draw that Newton's method leaves (optimum near a bound) is refitted by BOBYQA as in draw()."""
        ys = [self.simulate(rng) for rng in rngs]
        if self.problem.single is None:
            return np.array([self._finish(*self.refit(y)) for y in ys])
        problems = [self.problem.with_response(y) for y in ys]
        singles = [cast(SingleTermSystem, pr.single) for pr in problems]  # with_response keeps the fast path
        batch = BatchedSingleTerm(
            self.problem.single,
            tuple(np.array([s.b[i][:, -1] for s in singles]) for i in range(len(self.problem.single.b))),
            np.array([s.c[-1] for s in singles]),
            self.problem.n,
            self.reml,
            self.problem.log_weights,
        )
        start = np.tile(self.theta, (len(ys), 1))
        theta, deviance, interior = newton_minimize(batch.deviance, start, self.problem.structure.lower)
        rows = []
        for i, (y, problem) in enumerate(zip(ys, problems)):
            if interior[i]:
                rows.append(self._finish(theta[i], deviance[i], problem))
            else:  # near a bound: BOBYQA from the fitted θ, exactly as draw() does
                rows.append(self._finish(*self.refit(y)))
        return np.array(rows)


@dataclass
class GlmmDrawTask:
    """Simulate from a GLMM at (θ, β) and refit (θ, β) jointly on the Laplace/quadrature deviance."""

    problem: GlmmProblem
    theta: np.ndarray
    beta: np.ndarray
    whitening: np.ndarray  # Cholesky factor of the fitted covariance of β: β = β̂ + W z
    nagq: int
    fixed_names: tuple[str, ...]

    @classmethod
    def from_fit(cls, design, family, nagq, theta, beta, vcov) -> GlmmDrawTask:
        problem = make_problem(design, family, scale_columns=False)
        p = len(beta)
        scale = np.sqrt(np.maximum(np.diag(vcov), 1e-300)) if p else np.ones(0)
        whitening = np.linalg.cholesky(vcov + 1e-10 * np.diag(scale**2) + 1e-300 * np.eye(p)) if p else np.zeros((0, 0))
        return cls(
            problem, np.asarray(theta, float), np.asarray(beta, float), whitening, int(nagq), tuple(design.fixed_names)
        )

    @property
    def names(self) -> list[str]:
        return sdcor_names(self.problem.structure) + list(self.fixed_names)

    def estimates(self) -> np.ndarray:
        return np.concatenate([theta_to_sdcor(self.problem.structure, self.theta), self.beta])

    def simulate(self, rng: np.random.Generator) -> np.ndarray:
        pr = self.problem
        eta = pr.offset + pr.X @ self.beta + random_part(pr.terms, pr.structure, self.theta, 1.0, rng)
        mu = pr.family.link.inverse(eta)
        if pr.family.name == "binomial":
            trials = np.rint(pr.prior_weights).astype(np.int64)
            return rng.binomial(trials, mu) / np.maximum(trials, 1)
        if isinstance(pr.family, DispersionFamily):
            phi = float(pr.family.dispersion)  # θ of the negative binomial, the Gamma's shape
            if pr.family.name == "negative_binomial":
                return np.asarray(rng.negative_binomial(phi, phi / (phi + mu)), dtype=float)
            return np.asarray(rng.gamma(phi, mu / phi), dtype=float)
        return rng.poisson(mu).astype(float)

    def refit(self, y: np.ndarray) -> tuple[np.ndarray, float]:
        """(θ, β) refitted to y and the deviance at the optimum."""
        pr = self.problem
        problem = replace(pr, y=y, log_density_constants=pr.family.log_density_constant(y, pr.prior_weights))
        k = len(self.theta)
        state = {"u": np.zeros(pr.structure.q_total)}

        def deviance(z):
            theta, beta = z[:k], self.beta + self.whitening @ z[k:]
            modes = pirls(problem, theta, beta, state["u"], modes_only=True)
            if modes.converged:
                state["u"] = modes.u
            return (
                agq_deviance(problem, theta, beta, modes, self.nagq)
                if self.nagq > 1
                else laplace_deviance(problem, modes)
            )

        lower = np.concatenate([pr.structure.lower, np.full(len(self.beta), -np.inf)])
        step = np.concatenate([np.full(k, REFIT_STEP), np.full(len(self.beta), 0.5)])
        opt = minimize_bounded(
            deviance,
            np.concatenate([self.theta, np.zeros(len(self.beta))]),
            lower,
            initial_step=step,
            ftol_abs=1e-7,
            xtol_abs=1e-6,
        )
        return np.concatenate([opt.final[:k], self.beta + self.whitening @ opt.final[k:]]), opt.fmin

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        try:
            x, deviance = self.refit(self.simulate(rng))
        except (ValueError, np.linalg.LinAlgError, FloatingPointError):
            return np.full(len(self.names), np.nan)
        if not np.isfinite(deviance):
            return np.full(len(self.names), np.nan)
        k = len(self.theta)
        return np.concatenate([theta_to_sdcor(self.problem.structure, x[:k]), x[k:]])
