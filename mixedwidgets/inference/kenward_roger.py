"""Kenward–Roger: the adjusted covariance of β̂ and the df of t and F tests, as pbkrtest 0.5 (`vcovAdj`,
`Lb_ddf`, `.KR_adjust`), which lmerTest calls.

The variance parameters are the covariance entries γ of every term (lower triangle, within correlated
blocks) and σ², so that Σ = Σ_i γ_i G_i with G_i = Z E_i Z' (E_i the entry's indicator, repeated per
level) and G_σ² = W⁻¹ (prior weights; pbkrtest takes the identity, which is the same without weights).
pbkrtest forms n × n matrices; here everything is in the q-dimensional space of the random effects
through Woodbury's identity: with Z̃ = W^½Z, X̃ = W^½X, A = Z̃'Z̃, C = Λ'AΛ + I and S = I − Z̃ΛC⁻¹Λ'Z̃',
Σ⁻¹ = σ⁻² W^½ S W^½, so Z'Σ⁻¹Z = AK/σ² (K = I − ΛC⁻¹Λ'A), Z'Σ⁻¹X = (Z̃'X̃ − AΛC⁻¹Λ'Z̃'X̃)/σ², etc.
Cost: a few q × q products, independent of n after the cross-products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from ..backend.reterms import RandomEffectsStructure
from ..backend.row_sums import random_effects_matrix
from ..errors import MixedModelError

#: pbkrtest: below this smallest |eigenvalue| the expected information is inverted by pseudo-inverse
INFORMATION_CONDITION = 1e-10
#: the q-space algebra holds a few dense q × q matrices: 5,000 random effects is 200 MB each
MAX_RANDOM_EFFECTS = 5_000


@dataclass(frozen=True)
class KenwardRogerAdjustment:
    """pbkrtest's `vcovAdj`: the adjusted covariance Φ_A and its attributes P (list) and W."""

    vcov: np.ndarray  # Φ, the usual covariance of β̂
    vcov_adjusted: np.ndarray  # Φ_A = Φ + 2ΦUΦ
    P: tuple[np.ndarray, ...]  # −X'Σ⁻¹G_iΣ⁻¹X per variance parameter
    W: np.ndarray  # 2 × inverse expected REML information of γ


def relative_factor(structure: RandomEffectsStructure, theta: np.ndarray) -> sp.csr_matrix:
    """Λ (q × q): T_k repeated once per level of each sorted term."""
    return sp.block_diag(
        [sp.kron(sp.identity(t.n_levels), sp.csr_matrix(f)) for t, f in zip(structure.terms, structure.factors(theta))],
        format="csr",
    )


def covariance_indicators(structure: RandomEffectsStructure) -> list[sp.csr_matrix]:
    """E_i (q × q) for every covariance entry of every term, in θ's order."""
    out, offset = [], 0
    q_total = structure.q_total
    for t in structure.terms:
        for r, c in zip(t.rows, t.cols):
            e = np.zeros((t.q, t.q))
            e[r, c] = e[c, r] = 1.0
            block = sp.kron(sp.identity(t.n_levels), sp.csr_matrix(e), format="coo")
            out.append(sp.csr_matrix((block.data, (block.row + offset, block.col + offset)), shape=(q_total, q_total)))
        offset += t.size
    return out


@dataclass(frozen=True)
class _Pieces:
    """The q-space quantities every trace and product below is made of."""

    M: np.ndarray  # Z'Σ⁻¹Z
    B: np.ndarray  # Z'Σ⁻¹X
    MR: np.ndarray  # Z'Σ⁻¹RΣ⁻¹Z, R = W⁻¹ the residual's G
    BR: np.ndarray  # Z'Σ⁻¹RΣ⁻¹X
    XR: np.ndarray  # X'Σ⁻¹RΣ⁻¹X
    XRR: np.ndarray  # X'Σ⁻¹RΣ⁻¹RΣ⁻¹X
    trace_RR: float  # tr(Σ⁻¹RΣ⁻¹R)


def _pieces(design, structure: RandomEffectsStructure, theta: np.ndarray, sigma: float) -> _Pieces:
    w = design.weights
    sqrt_w = np.ones(design.X.shape[0]) if w is None else np.sqrt(np.asarray(w, dtype=float))
    Zw = sp.diags(sqrt_w) @ random_effects_matrix(structure, design.terms)
    Xw = sqrt_w[:, None] * design.X
    A = (Zw.T @ Zw).toarray()
    ZX = np.asarray(Zw.T @ Xw)
    lam = relative_factor(structure, theta).toarray()
    C = lam.T @ A @ lam + np.eye(len(A))
    chol = la.cho_factor(C, lower=True)
    core = lam @ la.cho_solve(chol, lam.T)  # ΛC⁻¹Λ'
    K = np.eye(len(A)) - core @ A
    H = core @ ZX
    s2 = sigma**2
    B = (ZX - A @ H) / s2
    F = la.cho_solve(chol, lam.T @ A @ lam)  # C⁻¹Λ'AΛ
    XR = (Xw.T @ Xw - 2 * ZX.T @ H + H.T @ A @ H) / s2**2
    return _Pieces(
        M=A @ K / s2,
        B=B,
        MR=K.T @ A @ K / s2**2,
        BR=K.T @ B / s2,
        XR=XR,
        XRR=XR / s2 - B.T @ core @ B / s2,
        trace_RR=float(len(sqrt_w) - 2 * np.trace(F) + np.sum(F * F.T)) / s2**2,
    )


def kenward_roger_adjustment(
    design, structure: RandomEffectsStructure, theta: np.ndarray, sigma: float, vcov: np.ndarray
) -> KenwardRogerAdjustment:
    """pbkrtest's `vcovAdj` at the REML estimates (θ, σ) with Φ = vcov(β̂)."""
    if structure.q_total > MAX_RANDOM_EFFECTS:
        raise MixedModelError(
            f"Kenward-Roger needs dense matrices of size q × q, and this model has q = "
            f"{structure.q_total:,} random effects (limit {MAX_RANDOM_EFFECTS:,}); use "
            "ddf='satterthwaite', which costs a few factorizations at any size"
        )
    pc = _pieces(design, structure, theta, sigma)
    E = covariance_indicators(structure)
    EB = [e @ pc.B for e in E]
    EM = [e @ pc.M for e in E]
    P = [-pc.B.T @ eb for eb in EB] + [-pc.XR]
    k = len(P)
    Q, trace = {}, np.empty((k, k))
    for i in range(len(E)):
        for j in range(i, len(E)):
            Q[i, j] = pc.B.T @ EM[i] @ EB[j]  # B'E_i M E_j B
            trace[i, j] = trace[j, i] = np.sum(EM[i] * EM[j].T)
        Q[i, k - 1] = EB[i].T @ pc.BR
        trace[i, k - 1] = trace[k - 1, i] = float(E[i].multiply(pc.MR).sum())
    Q[k - 1, k - 1] = pc.XRR
    trace[k - 1, k - 1] = pc.trace_RR
    W = _information_inverse(vcov, P, Q, trace)
    U = np.zeros_like(vcov)
    for i in range(k):
        for j in range(i + 1, k):
            U += W[i, j] * (Q[i, j] - P[i] @ vcov @ P[j])
    U = U + U.T
    for i in range(k):
        U += W[i, i] * (Q[i, i] - P[i] @ vcov @ P[i])
    return KenwardRogerAdjustment(vcov, vcov + 2 * vcov @ U @ vcov, tuple(P), W)


def _information_inverse(vcov, P, Q, trace) -> np.ndarray:
    """W = 2 I_E⁻¹, I_E the expected information of the REML criterion in γ (times 2)."""
    k = len(P)
    info = np.empty((k, k))
    for i in range(k):
        phi_p = vcov @ P[i]
        for j in range(i, k):
            info[i, j] = info[j, i] = trace[i, j] - 2 * np.sum(vcov * Q[i, j]) + np.sum(phi_p * (P[j] @ vcov))
    if np.min(np.abs(np.linalg.eigvalsh(info))) > INFORMATION_CONDITION:
        return 2 * np.linalg.inv(info)
    return 2 * np.linalg.pinv(info)


def _a1_a2(adj: KenwardRogerAdjustment, L: np.ndarray) -> tuple[float, float]:
    phi = adj.vcov
    theta_phi = L.T @ np.linalg.solve(L @ phi @ L.T, L) @ phi
    u = [theta_phi @ p @ phi for p in adj.P]
    a1 = a2 = 0.0
    for i in range(len(u)):
        for j in range(i, len(u)):
            e = 1.0 if i == j else 2.0
            a1 += e * adj.W[i, j] * np.trace(u[i]) * np.trace(u[j])
            a2 += e * adj.W[i, j] * np.sum(u[i] * u[j].T)
    return a1, a2


@dataclass(frozen=True)
class KenwardRogerTest:
    """pbkrtest's `.KR_adjust`: denominator df, F scaling and the (unscaled, adjusted) Wald F."""

    num_df: int
    den_df: float
    f_scaling: float
    f_unscaled: float

    @property
    def f_value(self) -> float:
        return self.f_scaling * self.f_unscaled


def kenward_roger_ddf(adj: KenwardRogerAdjustment, L: np.ndarray, q: int | None = None) -> tuple[float, float]:
    """(df, F scaling) of the hypothesis Lβ = 0 with q its rank (pbkrtest's `Lb_ddf` / `.KR_adjust`)."""
    L = np.atleast_2d(L)
    q = L.shape[0] if q is None else q
    a1, a2 = _a1_a2(adj, L)
    b = (a1 + 6 * a2) / (2 * q)
    g = ((q + 1) * a1 - (q + 4) * a2) / ((q + 2) * a2)
    denom = 3 * q + 2 * (1 - g)
    c1, c2, c3 = g / denom, (q - g) / denom, (q + 2 - g) / denom
    v0 = 1 + c1 * b
    v0 = 0.0 if abs(v0) < 1e-10 else v0
    v1, v2 = 1 - c2 * b, 1 - c3 * b
    x = 1 - a2 / q
    ratio = 1.0 if abs(x) < 1e-14 and abs(v1) < 1e-14 else x / v1
    rho = ratio**2 * v0 / v2 / q
    df2 = 4 + (q + 2) / (q * rho - 1)
    scaling = 1.0 if abs(df2 - 2) < 0.01 else df2 * (1 - a2 / q) / (df2 - 2)
    return float(df2), float(scaling)


def kenward_roger_f_test(adj: KenwardRogerAdjustment, beta: np.ndarray, L: np.ndarray) -> KenwardRogerTest | None:
    """The Kenward–Roger F test of Lβ = 0 (lmerTest's anova with ddf="Kenward-Roger")."""
    L = np.atleast_2d(np.asarray(L, dtype=float))
    if L.shape[0] == 0:
        return None
    q = int(np.linalg.matrix_rank(L))
    if q == 0:
        return None
    den, scaling = kenward_roger_ddf(adj, L, q)
    lb = L @ beta
    wald = float(lb @ np.linalg.lstsq(L @ adj.vcov_adjusted @ L.T, lb, rcond=None)[0])
    return KenwardRogerTest(q, den, scaling, wald / q)
