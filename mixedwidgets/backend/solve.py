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
    return la.solve_triangular(f.fixed_factor, f.fixed_rhs, trans="T", lower=True, check_finite=False)


def spherical_modes(f: BlockedFactor, structure: RandomEffectsStructure, beta: np.ndarray) -> list[np.ndarray]:
    """u per sorted term, shape (levels, q): back-substitution through the blocked factor."""
    mr, p = f.n_random_tail, f.p
    tail0 = f.tail0
    assert tail0 is not None
    u_r = random_tail_modes(f, beta)
    rows = dense_rows(tail0, -1) - np.asarray(tail0[mr : mr + p].T @ beta).ravel()
    if mr:
        rows -= np.asarray(tail0[:mr].T @ u_r).ravel()
    levels0, q0 = f.chol0.shape[:2]
    u0 = np.einsum("gji,gj->gi", f.chol0_inv, rows.reshape(levels0, q0))
    return [u0] + split_tail(u_r, structure)


def random_tail_modes(f: BlockedFactor, beta: np.ndarray) -> np.ndarray:
    """u of the terms after the first: S_rr⁻¹ (S_ry − S_rX β), i.e. L_rr⁻ᵀ (L_yr − L_Xr' β)."""
    mr, p = f.n_random_tail, f.p
    if not mr:
        return np.zeros(0)
    if f.sparse_tail is not None:
        cross = f.sparse_tail.cross
        return f.sparse_tail.solve(cross[:, p] - cross[:, :p] @ beta)
    assert f.tail is not None
    rhs_r = f.tail[-1, :mr] - f.tail[mr : mr + p, :mr].T @ beta
    return la.solve_triangular(f.tail[:mr, :mr], rhs_r, trans="T", lower=True, check_finite=False)


def dense_rows(matrix, i: int) -> np.ndarray:
    row = matrix[i]
    return np.asarray(row.todense()).ravel() if hasattr(row, "todense") else np.asarray(row).ravel()


def split_tail(vector: np.ndarray, structure: RandomEffectsStructure) -> list[np.ndarray]:
    """Cut a tail vector into (levels, q) arrays, one per term after the first."""
    pieces, start = [], 0
    for t in structure.terms[1:]:
        pieces.append(vector[start : start + t.size].reshape(t.n_levels, t.q))
        start += t.size
    return pieces


def conditional_modes(u: list[np.ndarray], factors) -> list[np.ndarray]:
    """b = Λu per term, shape (levels, q)."""
    return [uk @ t.T for uk, t in zip(u, factors)]


def conditional_covariances(f: BlockedFactor, structure: RandomEffectsStructure, sigma2: float) -> list[np.ndarray]:
    """σ² T V_g T' per term and level (levels, q, q), V = (L_Z L_Z')⁻¹ restricted to the level's block."""
    mr = f.n_random_tail
    v0 = np.einsum("gji,gjk->gik", f.chol0_inv, f.chol0_inv)
    tail_vars = []
    if mr and f.sparse_tail is not None:
        v0 += gram_per_level(f.sparse_tail, _block0_coupling(f), f.chol0.shape[1])
        tail_vars = sparse_tail_variances(f.sparse_tail, structure)
    elif mr:
        assert f.tail is not None
        inv_rr = la.solve_triangular(f.tail[:mr, :mr], np.eye(mr), lower=True, check_finite=False)
        v0 += _first_block_fill(f, inv_rr)
        start = 0
        for t in structure.terms[1:]:
            cols = inv_rr[:, start : start + t.size].reshape(mr, t.n_levels, t.q)
            tail_vars.append(np.einsum("mla,mlb->lab", cols, cols))
            start += t.size
    return [sigma2 * (t @ v @ t.T) for t, v in zip(f.factors, [v0] + tail_vars)]


def _block0_coupling(f: BlockedFactor) -> sp.csc_matrix:
    """L_r0 L₀⁻¹ (tail's random rows × block-0 columns), sparse."""
    levels0, q0 = f.chol0.shape[:2]
    l0_inv = sp.bsr_matrix(
        (f.chol0_inv, np.arange(levels0), np.arange(levels0 + 1)), shape=(levels0 * q0, levels0 * q0)
    )
    assert f.tail0 is not None
    c = f.tail0[: f.n_random_tail] @ l0_inv
    return c.tocsc() if sp.issparse(c) else sp.csc_matrix(c)


def _first_block_fill(f: BlockedFactor, inv_rr: np.ndarray) -> np.ndarray:
    """M_g'M_g per level of block 0, with M = L_rr⁻¹ L_r0 L₀⁻¹: what the other terms add to V₀."""
    c = _block0_coupling(f)
    levels0, q0 = f.chol0.shape[:2]
    out = np.empty((levels0, q0, q0))
    step = max(1, _CHUNK // q0)
    for g in range(0, levels0, step):
        stop = min(levels0, g + step)
        m = np.asarray((c[:, g * q0 : stop * q0].T @ inv_rr.T).T)  # sparse × dense: nnz(c)·mr flops
        m = m.reshape(-1, stop - g, q0)
        out[g:stop] = np.einsum("mla,mlb->lab", m, m)
    return out


def gram_per_level(tail, c: sp.csc_matrix, q: int) -> np.ndarray:
    """(C⁻¹c)_g'(C⁻¹c)_g per level g (q columns each) for the sparse tail's half factor C."""
    levels = c.shape[1] // q
    out = np.empty((levels, q, q))
    unit_lower, d, perm = tail.ldl
    if unit_lower.nnz == unit_lower.shape[0]:  # no off-diagonal in L: C⁻¹c stays sparse
        m = sp.diags(1.0 / np.sqrt(d)) @ c[perm]
        for a in range(q):
            for b in range(q):
                out[:, a, b] = np.asarray(m[:, a::q].multiply(m[:, b::q]).sum(axis=0)).ravel()
        return out
    step = max(1, (_CHUNK * 256 // max(c.shape[0], 1)) // q) * q
    for start in range(0, c.shape[1], step):
        m = tail.half_inverse(c[:, start : start + step].toarray())
        m = m.reshape(m.shape[0], -1, q)
        out[start // q : start // q + m.shape[1]] = np.einsum("mla,mlb->lab", m, m)
    return out


def sparse_tail_variances(tail, structure: RandomEffectsStructure) -> list[np.ndarray]:
    """Diagonal blocks of S_rr⁻¹ = C⁻ᵀC⁻¹ per term after the first, (levels, q, q) each."""
    out, start = [], 0
    for t in structure.terms[1:]:
        identity = sp.identity(tail.cross.shape[0], format="csc")[:, start : start + t.size]
        out.append(gram_per_level(tail, identity, t.q))
        start += t.size
    return out
