"""A fitted LMM's blocked cross-products, kept for many refits: profiles and bootstrap draws.

The cross-products of [Z X y] are formed once; every deviance below is a refactorization at θ (no pass
over the rows). A new response (a bootstrap draw) only changes the y row of the cross-products.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from ..design.types import Design

from dataclasses import dataclass, replace

import numpy as np
import scipy.linalg as la

from ..backend.crossprod import CrossProducts, build_cross_products
from ..backend.factor import BlockedFactor, factorize
from ..backend.lmm import profiled_deviance
from ..backend.optimizer import minimize_bounded
from ..backend.reterms import RandomEffectsStructure, build_structure
from ..backend.single_term import SingleTermSystem, applies
from ..backend.solve import fixed_effects

_FAILURES = (la.LinAlgError, np.linalg.LinAlgError, FloatingPointError, ValueError)


@dataclass(frozen=True)
class LmmProblem:
    """The engine's view of one LMM: structure, cross-products and the constants of its deviance."""

    design: Design
    structure: RandomEffectsStructure
    cp: CrossProducts
    log_weights: float
    response: np.ndarray  # y − offset, as in the cross-products
    single: SingleTermSystem | None = None  # the fast path for one-term models

    def __post_init__(self):
        if self.single is None and applies(self.cp, self.structure):
            object.__setattr__(self, "single", SingleTermSystem.from_cross_products(self.cp, self.structure))

    @classmethod
    def from_design(cls, design, response: np.ndarray | None = None) -> LmmProblem:
        structure = build_structure(design.terms)
        y = np.asarray(design.y if response is None else response, dtype=float)
        if design.offset is not None:
            y = y - np.asarray(design.offset, dtype=float)
        weights = design.weights
        sqrt_w = None if weights is None else np.sqrt(np.asarray(weights, dtype=float))
        cp = build_cross_products(structure, design.terms, design.X, y, sqrt_w)
        log_w = 0.0 if weights is None else float(np.log(weights).sum())
        return cls(design, structure, cp, log_w, y)

    @property
    def n(self) -> int:
        return self.cp.n

    @property
    def p(self) -> int:
        return self.cp.p

    def factor(self, theta: np.ndarray) -> BlockedFactor | None:
        try:
            if self.single is not None:
                return cast(BlockedFactor, self.single.factor(theta))  # duck-typed: what the deviances read
            return factorize(self.cp, self.structure, theta)
        except _FAILURES:
            return None

    def profiled(self, theta: np.ndarray, reml: bool) -> float:
        """The (RE)ML deviance at θ with β and σ profiled out."""
        f = self.factor(theta)
        return np.inf if f is None else profiled_deviance(f, self.n, reml, self.log_weights)

    def ml_deviance(self, theta: np.ndarray, sigma: float) -> float:
        """−2 log L at θ and σ, β profiled out (lme4's devfun2 for LMMs)."""
        f = self.factor(theta)
        if f is None or not sigma > 0:
            return np.inf
        s2 = sigma * sigma
        return f.logdet_random + f.pwrss / s2 + self.n * np.log(2.0 * np.pi * s2) - self.log_weights

    def ml_deviance_fixed(self, theta: np.ndarray, column: int, value: float) -> float:
        """ML deviance at θ with β_column fixed at `value` (the others and σ profiled out).

        With the factor at θ, r²(β) = r²_min + (β − β̂)' R_X R_X' (β − β̂); fixing one coordinate and
        minimizing over the rest adds (value − β̂_j)² / V_jj, V = (R_X R_X')⁻¹.
        """
        f = self.factor(theta)
        if f is None:
            return np.inf
        rx_inv = np.linalg.inv(f.fixed_factor)  # small (p × p), lower triangular
        beta_j = rx_inv[:, column] @ f.fixed_rhs  # β̂ = R_X'⁻¹ c, component j (dense or sparse tail)
        r2 = f.pwrss + (value - beta_j) ** 2 / float(rx_inv[:, column] @ rx_inv[:, column])
        return cast(float, f.logdet_random + self.n * (1.0 + np.log(2.0 * np.pi * r2 / self.n)) - self.log_weights)

    def estimates(self, theta: np.ndarray, reml: bool) -> tuple[np.ndarray, float]:
        """β̂ and σ̂ at θ."""
        f = self.factor(theta)
        assert f is not None
        dof = self.n - self.p if reml else self.n
        return fixed_effects(f), float(np.sqrt(f.pwrss / dof))

    def optimize(self, theta0: np.ndarray, reml: bool, initial_step: float = 0.05) -> tuple[np.ndarray, float]:
        """θ̂ minimizing the profiled deviance from θ0, and the minimum."""
        opt = minimize_bounded(
            lambda t: self.profiled(t, reml),
            theta0,
            self.structure.lower,
            initial_step=initial_step,
            ftol_abs=1e-8,
            xtol_abs=1e-7,
        )
        return opt.final, opt.fmin

    def with_response(self, y: np.ndarray) -> LmmProblem:
        """The same model with a new response y (before the offset is taken off)."""
        design = self.design
        if not isinstance(self.cp.tail0, np.ndarray):
            return LmmProblem.from_design(design, y)
        y_eff = np.asarray(y, dtype=float)
        if design.offset is not None:
            y_eff = y_eff - np.asarray(design.offset, dtype=float)
        wy = y_eff if design.weights is None else y_eff * np.asarray(design.weights, dtype=float)
        tail0 = self.cp.tail0.copy()
        assert self.cp.tailtail is not None
        tailtail = self.cp.tailtail.copy()
        z_y = self._z0_cross(wy)
        tail0[-1] = z_y
        row = np.concatenate([self._rest_cross(wy), np.asarray(design.X).T @ wy, [y_eff @ wy]])
        tailtail[-1, :] = row
        tailtail[:, -1] = row
        single = (
            None if self.single is None else self.single.with_response_row(z_y.reshape(len(self.single.a[0]), -1), row)
        )
        return replace(self, cp=replace(self.cp, tail0=tail0, tailtail=tailtail), response=y_eff, single=single)

    def _term_cross(self, layout, wy: np.ndarray) -> np.ndarray:
        term = self.design.terms[layout.design_position]
        values = np.asarray(term.values, dtype=float).reshape(self.n, layout.q)
        out = np.empty((layout.n_levels, layout.q))
        for a in range(layout.q):
            out[:, a] = np.bincount(term.codes, weights=values[:, a] * wy, minlength=layout.n_levels)
        return out.ravel()

    def _z0_cross(self, wy: np.ndarray) -> np.ndarray:
        return self._term_cross(self.structure.terms[0], wy)

    def _rest_cross(self, wy: np.ndarray) -> np.ndarray:
        parts = [self._term_cross(layout, wy) for layout in self.structure.terms[1:]]
        return np.concatenate(parts) if parts else np.zeros(0)
