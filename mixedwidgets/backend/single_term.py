"""The deviance pieces of a one-term LMM, vectorized over levels: the LMM objective of such models
(lmm.make_objective) and the thousands of evaluations of profiles and bootstraps.

With a single random-effect term (levels g, q columns each) the blocked system is: per level
L_g = chol(T'A_g T + I) and W_g = L_g⁻¹ T'B_g (A_g = Z_g'Z_g, B_g = Z_g'[X y]); then the Schur
complement S = [X y]'[X y] − Σ_g W_g'W_g, whose Cholesky factor holds R_X and √r². This is what
backend.factor does for that case, written as a dozen array operations (about a quarter of the time
per evaluation on small models, where call overhead dominates).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.linalg as la

from .crossprod import CrossProducts
from .reterms import RandomEffectsStructure


@dataclass(frozen=True)
class SchurFactor:
    """What the deviances need: log|L_θ|² and the lower factor of the Schur complement of [X y]."""

    logdet_random: float
    tail: np.ndarray  # (p + 1) × (p + 1), lower
    p: int
    n_random_tail: int = 0

    @property
    def fixed_factor(self) -> np.ndarray:
        return self.tail[: self.p, : self.p]

    @property
    def fixed_rhs(self) -> np.ndarray:
        """The last row of the factor under the fixed effects: R_X β = this (as backend.factor.BlockedFactor)."""
        return self.tail[-1, : self.p]

    @property
    def logdet_fixed(self) -> float:
        return 2.0 * float(np.log(np.diag(self.fixed_factor)).sum())

    @property
    def pwrss(self) -> float:
        return float(self.tail[-1, -1] ** 2)


def applies(cp: CrossProducts, structure: RandomEffectsStructure) -> bool:
    return len(structure.terms) == 1 and structure.terms[0].q <= 2 and isinstance(cp.tail0, np.ndarray)


def lower_factor(a: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of a small SPD matrix (LAPACK directly: numpy's wrapper costs 10× more here)."""
    upper, info = la.lapack.dpotrf(a, lower=0, clean=1)
    if info != 0:
        raise la.LinAlgError(f"matrix not positive definite (LAPACK dpotrf info {info})")
    return upper.T


@dataclass(frozen=True)
class SingleTermSystem:
    """The entries of A_g, the rows of B_g and [X y]'[X y] of a one-term model with q ≤ 2."""

    a: tuple[np.ndarray, ...]  # a00 (q = 1); a00, a10, a11 (q = 2): each (levels,)
    b: tuple[np.ndarray, ...]  # B_g's rows: each (levels, p + 1)
    c: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    p: int

    @classmethod
    def from_cross_products(cls, cp: CrossProducts, structure: RandomEffectsStructure) -> SingleTermSystem:
        term = structure.terms[0]
        m = cp.tail0.shape[0]
        b = cp.tail0.reshape(m, term.n_levels, term.q)
        rows = tuple(np.ascontiguousarray(b[:, :, i].T) for i in range(term.q))
        d = cp.diag0
        assert cp.tailtail is not None  # one term: the tail is dense
        a = (d[:, 0, 0].copy(),) if term.q == 1 else (d[:, 0, 0].copy(), d[:, 1, 0].copy(), d[:, 1, 1].copy())
        return cls(a, rows, cp.tailtail, term.rows, term.cols, cp.p)

    def factor(self, theta: np.ndarray) -> SchurFactor:
        if len(self.a) == 1:
            d2 = self.a[0] * theta[0] ** 2 + 1.0
            w = (theta[0] / np.sqrt(d2))[:, None] * self.b[0]
            return SchurFactor(float(np.log(d2).sum()), lower_factor(self.c - w.T @ w), self.p)
        t0, t1, t2 = self._entries(theta)
        # T'A_gT + I per level: m00 − 1 and m10 as one product of the stacked (a00, a10, a11)
        m = self._a_stack @ np.array([[t0 * t0, 0.0], [2.0 * t0 * t1, t2 * t0], [t1 * t1, t2 * t1]])
        m00 = m[:, 0] + 1.0
        l00 = np.sqrt(m00)
        l10 = m[:, 1] / l00
        l11_2 = (t2 * t2) * self.a[2] + 1.0 - l10 * l10
        if l11_2.min() <= 0:
            raise la.LinAlgError("a diagonal block is not positive definite")
        l11 = np.sqrt(l11_2)
        w0 = (t0 * self.b[0] + t1 * self.b[1]) / l00[:, None]
        w1 = (t2 * self.b[1] - l10[:, None] * w0) / l11[:, None]
        w = np.concatenate((w0, w1))
        return SchurFactor(float(np.log(m00 * l11_2).sum()), lower_factor(self.c - w.T @ w), self.p)

    def _entries(self, theta: np.ndarray) -> tuple[float, float, float]:
        """T's (0, 0), (1, 0) and (1, 1) entries as Python floats (the (1, 0) entry is 0 for ``||``)."""
        values = theta.tolist()
        k00, k10, k11 = self._positions
        return values[k00], (values[k10] if k10 >= 0 else 0.0), values[k11]

    @cached_property
    def _positions(self) -> tuple[int, int, int]:
        """Where T's (0, 0), (1, 0) and (1, 1) entries are in θ (−1 for an entry θ does not hold)."""
        where = {(int(r), int(c)): k for k, (r, c) in enumerate(zip(self.rows, self.cols))}
        return where[(0, 0)], where.get((1, 0), -1), where[(1, 1)]

    @cached_property
    def _a_stack(self) -> np.ndarray:
        """(a00, a10, a11) as the columns of one (levels, 3) array."""
        return np.column_stack(self.a)

    def with_response_row(self, z_y: np.ndarray, c_row: np.ndarray) -> SingleTermSystem:
        """The system for a new response: Z'y per level (levels, q) and [X y]'y."""
        b = tuple(row.copy() for row in self.b)
        for i, row in enumerate(b):
            row[:, -1] = z_y[:, i]
        c = self.c.copy()
        c[-1, :] = c_row
        c[:, -1] = c_row
        return SingleTermSystem(self.a, b, c, self.rows, self.cols, self.p)
