"""From a blocked factor to the estimates: β, the spherical modes u, b = Λu, and conditional variances."""

from __future__ import annotations

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from .downdate import DowndatePattern
from .factor import BlockedFactor, scale_tail
from .reterms import RandomEffectsStructure
from .threads import blas_threads, cholesky_threads

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
    rhs = np.zeros(f.tail.shape[0])
    rhs[:mr] = f.tail[-1, :mr] - f.tail[mr : mr + p, :mr].T @ beta
    # L_rr' is the leading block of the upper-triangular L': with zeros below, the whole system's
    # solution starts with L_rr⁻ᵀ rhs (and the factor is used as it is stored, not copied)
    return la.solve_triangular(f.tail, rhs, trans="T", lower=True, check_finite=False)[:mr]


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


def conditional_covariances(
    f: BlockedFactor,
    structure: RandomEffectsStructure,
    sigma2: float,
    pattern: DowndatePattern | None = None,
    workspace: np.ndarray | None = None,
) -> list[np.ndarray]:
    """σ² T V_g T' per term and level (levels, q, q), V = (L_Z L_Z')⁻¹ restricted to the level's block.

    With the dense tail's downdate pattern (crossed designs) what the other terms add to V₀ is read
    off S_rr⁻¹ with one pass over the pattern's products, not formed as L_rr⁻¹ times the coupling
    (S_rr⁻¹ in `workspace` when it is an array of the tail's order, overwritten)."""
    mr = f.n_random_tail
    v0 = np.einsum("gji,gjk->gik", f.chol0_inv, f.chol0_inv)
    tail_vars = []
    if mr and f.sparse_tail is not None:
        v0 += gram_per_level(f.sparse_tail, _block0_coupling(f), f.chol0.shape[1])
        tail_vars = sparse_tail_variances(f.sparse_tail, structure)
    elif mr and pattern is not None:
        fill, tail_vars = _dense_tail_parts(f, structure, pattern, workspace)
        v0 += fill
    elif mr:
        assert f.tail is not None
        inv_rr = tail_inverse(f.tail)[:mr, :mr]
        v0 += _first_block_fill(f, inv_rr)
        start = 0
        for t in structure.terms[1:]:
            cols = inv_rr[:, start : start + t.size].reshape(mr, t.n_levels, t.q)
            tail_vars.append(np.einsum("mla,mlb->lab", cols, cols))
            start += t.size
    return [sigma2 * (t @ v @ t.T) for t, v in zip(f.factors, [v0] + tail_vars)]


def tail_precision_inverse(f: BlockedFactor, workspace: np.ndarray | None = None) -> np.ndarray:
    """S_rr⁻¹ (its lower triangle; zeros above) in an m × m array whose rows and columns for [X y]
    are zero: LAPACK's dpotri on [L_rr 0; 0 I], 2m³/3 flops on the idle cores; in `workspace` when it
    is a C-contiguous array of that shape."""
    assert f.tail is not None
    m, mr = f.tail.shape[0], f.n_random_tail
    usable = workspace is not None and workspace.shape == (m, m) and workspace.flags.c_contiguous
    buf = workspace if usable else np.empty((m, m))
    assert buf is not None
    buf[:mr, :mr] = f.tail[:mr, :mr]
    buf[:mr, mr:] = 0.0
    buf[mr:] = 0.0
    buf[np.arange(mr, m), np.arange(mr, m)] = 1.0
    with blas_threads(cholesky_threads(m)):
        upper, info = la.lapack.dpotri(buf.T, lower=0, overwrite_c=1)  # buf.T: L' in Fortran order
    if info != 0:
        raise la.LinAlgError(f"singular tail factor (LAPACK dpotri info {info})")
    lower = upper.T  # the same memory as buf when LAPACK worked in place
    lower[np.arange(mr, m), np.arange(mr, m)] = 0.0
    return lower


def _dense_tail_parts(
    f: BlockedFactor, structure: RandomEffectsStructure, pattern: DowndatePattern, workspace: np.ndarray | None
):
    """(what the tail adds to V₀ per level of block 0, V per term after the first) from S_rr⁻¹.

    V₀'s addition is R_g' A_g' K A_g R_g with K = Λ S_rr⁻¹ Λ', A_g the tail's cross-products with
    level g and R_g = T₀ L₀g⁻ᵀ L₀g⁻¹. The pattern P gives P w = lower(Σ_g A_g W_g A_g') for every
    symmetric W, so P'k, with k the lower triangle of K and its off-diagonal doubled, is per level a
    C_g with (C_g + C_g')/2 = A_g' K A_g."""
    mr = f.n_random_tail
    levels0, q0 = f.chol0.shape[:2]
    k = tail_precision_inverse(f, workspace)
    tail_vars, start = [], 0
    for t in structure.terms[1:]:
        idx = start + np.arange(t.size).reshape(t.n_levels, t.q)
        block = k[idx[:, :, None], idx[:, None, :]]  # (levels, q, q), lower triangles
        tail_vars.append(block + np.tril(block, -1).transpose(0, 2, 1))
        start += t.size
    scale_tail(k, structure, f.factors, f.p, transposed=False)  # K = Λ S_rr⁻¹ Λ', its lower triangle
    k *= 2.0
    k[np.diag_indices(mr)] *= 0.5
    c = np.asarray(pattern.products.T @ k.ravel()).reshape(levels0, q0, q0)
    gram = 0.5 * (c + c.transpose(0, 2, 1))
    r = f.factors[0] @ np.einsum("gji,gjk->gik", f.chol0_inv, f.chol0_inv)  # T₀ L₀g⁻ᵀ L₀g⁻¹
    return r.transpose(0, 2, 1) @ gram @ r, tail_vars


def tail_inverse(tail: np.ndarray) -> np.ndarray:
    """L⁻¹ for the dense lower tail factor L (its leading block is L_rr⁻¹): LAPACK's triangular inverse,
    m³/3 flops on the idle cores (a solve against the identity costs m³, on one thread: 16 s against
    2 s for the 10,000 × 10,000 crossed tail)."""
    with blas_threads(cholesky_threads(tail.shape[0])):
        upper_inv, info = la.lapack.dtrtri(tail.T, lower=0)  # tail.T: L' in Fortran order, no copy in
    if info != 0:
        raise la.LinAlgError(f"singular tail factor (LAPACK dtrtri info {info})")
    return upper_inv.T


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
