"""From a blocked factor to the estimates: β, the spherical modes u, b = Λu, and conditional variances."""

from __future__ import annotations

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from .factor import BlockedFactor
from .reterms import RandomEffectsStructure

#: columns of block 0 handled at once when forming the conditional variances (bounds memory)
_CHUNK = 4096


def fixed_effects(f: BlockedFactor) -> np.ndarray:
    """β solving R_X β = c_X, read off the last row of the factor."""
    i, p = f.n_random_tail, f.p
    return la.solve_triangular(f.fixed_factor, f.tail[-1, i:i + p], trans="T", lower=True, check_finite=False)


def spherical_modes(f: BlockedFactor, structure: RandomEffectsStructure,
                    beta: np.ndarray) -> list[np.ndarray]:
    """u per sorted term, shape (levels, q): back-substitution through the blocked factor."""
    mr, p = f.n_random_tail, f.p
    tail0 = f.tail0
    rhs_r = f.tail[-1, :mr] - f.tail[mr:mr + p, :mr].T @ beta
    u_r = la.solve_triangular(f.tail[:mr, :mr], rhs_r, trans="T", lower=True, check_finite=False) if mr else np.zeros(0)
    rows = dense_rows(tail0, -1) - np.asarray(tail0[mr:mr + p].T @ beta).ravel()
    if mr:
        rows -= np.asarray(tail0[:mr].T @ u_r).ravel()
    levels0, q0 = f.chol0.shape[:2]
    u0 = np.einsum("gji,gj->gi", f.chol0_inv, rows.reshape(levels0, q0))
    return [u0] + split_tail(u_r, structure)


def dense_rows(matrix, i: int) -> np.ndarray:
    row = matrix[i]
    return np.asarray(row.todense()).ravel() if hasattr(row, "todense") else np.asarray(row).ravel()


def split_tail(vector: np.ndarray, structure: RandomEffectsStructure) -> list[np.ndarray]:
    """Cut a tail vector into (levels, q) arrays, one per term after the first."""
    pieces, start = [], 0
    for t in structure.terms[1:]:
        pieces.append(vector[start:start + t.size].reshape(t.n_levels, t.q))
        start += t.size
    return pieces


def conditional_modes(u: list[np.ndarray], factors) -> list[np.ndarray]:
    """b = Λu per term, shape (levels, q)."""
    return [uk @ t.T for uk, t in zip(u, factors)]


def conditional_covariances(f: BlockedFactor, structure: RandomEffectsStructure,
                            sigma2: float) -> list[np.ndarray]:
    """σ² T V_g T' per term and level (levels, q, q), V = (L_Z L_Z')⁻¹ restricted to the level's block."""
    mr = f.n_random_tail
    v0 = np.einsum("gji,gjk->gik", f.chol0_inv, f.chol0_inv)
    tail_vars = []
    if mr:
        inv_rr = la.solve_triangular(f.tail[:mr, :mr], np.eye(mr), lower=True, check_finite=False)
        v0 += _first_block_fill(f, inv_rr)
        start = 0
        for t in structure.terms[1:]:
            cols = inv_rr[:, start:start + t.size].reshape(mr, t.n_levels, t.q)
            tail_vars.append(np.einsum("mla,mlb->lab", cols, cols))
            start += t.size
    return [sigma2 * (t @ v @ t.T) for t, v in zip(f.factors, [v0] + tail_vars)]


def _first_block_fill(f: BlockedFactor, inv_rr: np.ndarray) -> np.ndarray:
    """M_g'M_g per level of block 0, with M = L_rr⁻¹ L_r0 L₀⁻¹: what the other terms add to V₀."""
    mr = f.n_random_tail
    levels0, q0 = f.chol0.shape[:2]
    l0_inv = sp.bsr_matrix((f.chol0_inv, np.arange(levels0), np.arange(levels0 + 1)),
                           shape=(levels0 * q0, levels0 * q0))
    c = f.tail0[:mr] @ l0_inv
    c = c.tocsc() if sp.issparse(c) else sp.csc_matrix(c)
    out = np.empty((levels0, q0, q0))
    step = max(1, _CHUNK // q0)
    for g in range(0, levels0, step):
        stop = min(levels0, g + step)
        m = inv_rr @ c[:, g * q0:stop * q0].toarray()
        m = m.reshape(mr, stop - g, q0)
        out[g:stop] = np.einsum("mla,mlb->lab", m, m)
    return out
