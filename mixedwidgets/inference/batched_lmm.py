"""Many refits of a one-term LMM at once: the deviance of a batch of responses at a batch of θ, and
Newton's method on it, vectorized over the draws of a bootstrap.

Every draw has the same Z and X, so A_g = Z_g'Z_g and the X parts of B_g = Z_g'[X y] and of [X y]'[X y]
are shared; only the y parts differ. For a batch of draws (each at its own θ) the deviance is then a few
array operations on (draws × levels) arrays and one batched Cholesky (see single_term.py for one draw).

Newton's method uses a finite-difference gradient and Hessian (central differences, step 1e-4 in θ,
10 batched evaluations per iteration for three parameters), a Levenberg shift where the Hessian is not
positive definite, and step halving until the deviance falls. It stops where the Newton decrement says the
deviance is within 1e-9 of its minimum: a tighter optimum than BOBYQA's (1e-6). Draws whose optimum lies at or
near a bound (a variance near 0), or that do not converge, are handed back for BOBYQA.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..backend.single_term import SingleTermSystem

STEP = 1e-4
MAX_ITERATIONS = 40
DEVIANCE_TOLERANCE = 1e-9
#: θ of a diagonal entry closer than this to 0 leaves the draw to BOBYQA (the bound is active there)
NEAR_BOUND = 1e-3


@dataclass(frozen=True)
class BatchedSingleTerm:
    """A one-term model with a batch of responses: shared A_g and X parts, per-draw y parts."""

    system: SingleTermSystem
    b_y: tuple[np.ndarray, ...]  # per row of B_g: (draws, levels), Z_g'y of each draw
    c_y: np.ndarray  # (draws, p + 1): [X y]'y of each draw
    n: int
    reml: bool
    log_weights: float

    def deviance(self, theta: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """The profiled (RE)ML deviance of each draw in `draws` at its own θ (rows of `theta`)."""
        s, p = self.system, self.system.p
        b = [
            np.concatenate(
                [np.broadcast_to(row[:, :p], (len(draws),) + row[:, :p].shape), by[draws][:, :, None]], axis=2
            )
            for row, by in zip(s.b, self.b_y)
        ]
        c = np.broadcast_to(s.c, (len(draws),) + s.c.shape).copy()
        c[:, -1, :] = self.c_y[draws]
        c[:, :, -1] = self.c_y[draws]
        if len(s.a) == 1:
            logdet, schur = _one_column(s, theta, b, c)
        else:
            logdet, schur = _two_columns(s, theta, b, c)
        return self._from_schur(logdet, schur)

    def _from_schur(self, logdet: np.ndarray, schur: np.ndarray) -> np.ndarray:
        p = self.system.p
        chol, ok = _batched_cholesky(schur)
        diag = np.einsum("dii->di", chol)
        with np.errstate(divide="ignore", invalid="ignore"):
            pwrss = diag[:, -1] ** 2
            dof = self.n - p if self.reml else self.n
            value = logdet + dof * (1.0 + np.log(2.0 * np.pi * pwrss / dof)) - self.log_weights
            if self.reml:
                value = value + 2.0 * np.log(diag[:, :p]).sum(axis=1)
        return np.where(ok & (pwrss > 0) & np.isfinite(value), value, np.inf)


def _one_column(s: SingleTermSystem, theta, b, c):
    t0 = theta[:, 0]
    d2 = s.a[0][None, :] * (t0**2)[:, None] + 1.0
    w = (t0[:, None] / np.sqrt(d2))[:, :, None] * b[0]
    return np.log(d2).sum(axis=1), c - w.transpose(0, 2, 1) @ w


def _two_columns(s: SingleTermSystem, theta, b, c):
    t = np.zeros((len(theta), 2, 2))
    t[:, s.rows, s.cols] = theta
    t0, t1, t2 = (x[:, None] for x in (t[:, 0, 0], t[:, 1, 0], t[:, 1, 1]))
    a00, a10, a11 = (a[None, :] for a in s.a)
    m00 = t0 * t0 * a00 + 2.0 * t0 * t1 * a10 + t1 * t1 * a11 + 1.0
    l00 = np.sqrt(m00)
    l10 = t2 * (t0 * a10 + t1 * a11) / l00
    l11_2 = t2 * t2 * a11 + 1.0 - l10 * l10
    with np.errstate(invalid="ignore", divide="ignore"):
        l11 = np.sqrt(l11_2)
        w0 = (t0[:, :, None] * b[0] + t1[:, :, None] * b[1]) / l00[:, :, None]
        w1 = (t2[:, :, None] * b[1] - l10[:, :, None] * w0) / l11[:, :, None]
        logdet = np.log(m00 * l11_2).sum(axis=1)
    schur = c - w0.transpose(0, 2, 1) @ w0 - w1.transpose(0, 2, 1) @ w1
    bad = ~np.all(l11_2 > 0, axis=1)
    logdet[bad] = np.inf
    return logdet, schur


def _batched_cholesky(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower factors of a stack of matrices, and which ones were positive definite."""
    finite = np.all(np.isfinite(a), axis=(1, 2))
    safe = np.where(finite[:, None, None], a, np.eye(a.shape[1]))
    try:
        return np.linalg.cholesky(safe), finite
    except np.linalg.LinAlgError:
        out, ok = np.zeros_like(safe), finite.copy()
        for i, m in enumerate(safe):
            try:
                out[i] = np.linalg.cholesky(m)
            except np.linalg.LinAlgError:
                ok[i], out[i] = False, np.eye(a.shape[1])
        return out, ok


def newton_minimize(deviance, theta0: np.ndarray, lower: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Minimize deviance(θ, draws) for every draw from theta0 (draws × k).

    Returns θ, the deviance there, and which draws converged in the interior (the rest need BOBYQA).
    """
    theta = theta0.copy()
    draws = np.arange(len(theta))
    value = deviance(theta, draws)
    done = np.zeros(len(theta), dtype=bool)
    diagonal = np.isfinite(lower)
    for _ in range(MAX_ITERATIONS):
        active = np.flatnonzero(~done & np.isfinite(value) & np.all(theta[:, diagonal] > NEAR_BOUND, axis=1))
        if active.size == 0:
            break
        grad, hess = _derivatives(deviance, theta[active], value[active], active)
        step = _newton_step(grad, hess)
        decrement = -np.einsum("di,di->d", grad, step)  # ≈ 2 (deviance − its minimum) near the optimum
        new_theta, new_value = _halve_until_lower(deviance, theta[active], value[active], step, lower, active)
        theta[active], value[active] = new_theta, new_value
        done[active] = decrement < 2 * DEVIANCE_TOLERANCE
    interior = done & np.all(theta[:, diagonal] > NEAR_BOUND, axis=1) & np.isfinite(value)
    return theta, value, interior


def _derivatives(deviance, theta, value, draws):
    k = theta.shape[1]
    eye = np.eye(k) * STEP
    plus = np.stack([deviance(theta + eye[i], draws) for i in range(k)], axis=1)
    minus = np.stack([deviance(theta - eye[i], draws) for i in range(k)], axis=1)
    grad = (plus - minus) / (2 * STEP)
    hess = np.empty((len(theta), k, k))
    for i in range(k):
        hess[:, i, i] = (plus[:, i] - 2 * value + minus[:, i]) / STEP**2
        for j in range(i):
            both = deviance(theta + eye[i] + eye[j], draws)
            hess[:, i, j] = hess[:, j, i] = (both - plus[:, i] - plus[:, j] + value) / STEP**2
    return grad, hess


def _newton_step(grad: np.ndarray, hess: np.ndarray) -> np.ndarray:
    """−(H + λI)⁻¹ g, with λ lifting the smallest eigenvalue of H to a tenth of the largest where needed."""
    bad = ~np.all(np.isfinite(hess), axis=(1, 2)) | ~np.all(np.isfinite(grad), axis=1)
    hess = np.where(bad[:, None, None], np.eye(hess.shape[1]), hess)
    grad = np.where(bad[:, None], 0.0, grad)
    eig = np.linalg.eigvalsh(hess)
    floor = 0.1 * np.maximum(np.abs(eig[:, -1]), 1e-8)
    shift = np.where(eig[:, 0] < 1e-6 * np.abs(eig[:, -1]) + 1e-12, floor - eig[:, 0], 0.0)
    system = hess + shift[:, None, None] * np.eye(hess.shape[1])
    return -np.linalg.solve(system, grad[:, :, None])[:, :, 0]


def _halve_until_lower(deviance, theta, value, step, lower, draws, halvings: int = 12):
    """Step halving; a step never goes more than 90% of the way to a bound (landing on θ = 0 would stall
    Newton's method there: the deviance is even in a diagonal θ, so its gradient vanishes at 0)."""
    new_theta, new_value = theta.copy(), value.copy()
    pending = np.arange(len(theta))
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.where(step < 0, 0.9 * (theta - lower) / -step, np.inf)
    scale = np.minimum(1.0, np.min(room, axis=1))[:, None]
    for _ in range(halvings):
        trial = np.maximum(theta[pending] + scale[pending] * step[pending], lower)
        trial_value = deviance(trial, draws[pending])
        better = trial_value <= value[pending] + 1e-12 * np.abs(value[pending])
        new_theta[pending[better]], new_value[pending[better]] = trial[better], trial_value[better]
        pending = pending[~better]
        if pending.size == 0:
            break
        scale /= 2.0
    return new_theta, new_value
