"""The blocked Cholesky factor of [Λ'Z'ZΛ + I, Λ'Z'[X y]; [X y]'ZΛ, [X y]'[X y]] at one θ.

Block 0 (largest term) gives a block-diagonal factor, one small Cholesky per level. The tail
(other terms, then X, then y) is downdated by the sparse product with block 0 and factored densely.
The last diagonal entry of the factor is the square root of the penalized residual sum of squares.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from .crossprod import CrossProducts
from .factor_sparse import SparseTail, factor_sparse_tail, tail_lambda_random
from .reterms import RandomEffectsStructure
from .threads import blas_threads, cholesky_threads


@dataclass(frozen=True)
class BlockedFactor:
    theta: np.ndarray
    factors: tuple[np.ndarray, ...]  # T_k per sorted term
    chol0: np.ndarray  # (levels₀, q₀, q₀): per-level Cholesky factors of block 0
    chol0_inv: np.ndarray  # their inverses
    tail0: sp.csr_matrix | np.ndarray | None  # L for (tail rows, block-0 columns); see factorize
    tail: np.ndarray | None  # dense lower factor of the tail (m × m); None when sparse
    n_random_tail: int
    p: int
    sparse_tail: SparseTail | None = None  # the tail's factor when it is kept sparse

    @property
    def logdet_random(self) -> float:
        """log |L_θ|², the log-determinant of Λ'Z'ZΛ + I."""
        d0 = 2.0 * np.log(np.einsum("gii->gi", self.chol0)).sum()
        if self.sparse_tail is not None:
            return d0 + self.sparse_tail.logdet
        assert self.tail is not None
        return d0 + 2.0 * np.log(np.diag(self.tail)[: self.n_random_tail]).sum()

    @property
    def fixed_block(self) -> np.ndarray:
        """The factor's lower-right block for [X y] (lower, (p+1) × (p+1))."""
        if self.sparse_tail is not None:
            return self.sparse_tail.lower_fixed
        i = self.n_random_tail
        assert self.tail is not None
        return self.tail[i:, i:]

    @property
    def fixed_factor(self) -> np.ndarray:
        """R_X' (lower, p × p): the Cholesky factor of the fixed effects' Schur complement."""
        return self.fixed_block[: self.p, : self.p]

    @property
    def fixed_rhs(self) -> np.ndarray:
        """The last row of the factor under the fixed effects: R_X β = this."""
        return self.fixed_block[-1, : self.p]

    @property
    def logdet_fixed(self) -> float:
        return 2.0 * np.log(np.diag(self.fixed_factor)).sum()

    @property
    def pwrss(self) -> float:
        """Penalized weighted residual sum of squares r²."""
        return float(self.fixed_block[-1, -1] ** 2)


def tail_lambda(structure: RandomEffectsStructure, factors, p: int) -> sp.csr_matrix:
    """Block-diagonal Λ for the tail: I_levels ⊗ T_k for the terms after the first, then I for [X y]."""
    blocks = [
        sp.kron(sp.identity(t.n_levels, format="csr"), sp.csr_matrix(f), format="csr")
        for t, f in zip(structure.terms[1:], factors[1:])
    ]
    return sp.block_diag(blocks + [sp.identity(p + 1, format="csr")], format="csr")


SMALL_BLOCK = 8


def small_cholesky(a: np.ndarray) -> np.ndarray:
    """Lower Cholesky factors of a stack of small SPD matrices, vectorized over the stack."""
    _, q, _ = a.shape
    chol = np.zeros_like(a)
    for j in range(q):
        d = a[:, j, j] - np.einsum("gk,gk->g", chol[:, j, :j], chol[:, j, :j])
        if np.any(d <= 0):
            raise np.linalg.LinAlgError("a diagonal block is not positive definite")
        chol[:, j, j] = np.sqrt(d)
        for i in range(j + 1, q):
            chol[:, i, j] = (a[:, i, j] - np.einsum("gk,gk->g", chol[:, i, :j], chol[:, j, :j])) / chol[:, j, j]
    return chol


def small_lower_inverse(chol: np.ndarray) -> np.ndarray:
    """Inverses of a stack of small lower-triangular matrices (forward substitution, vectorized)."""
    _, q, _ = chol.shape
    inv = np.zeros_like(chol)
    for i in range(q):
        inv[:, i, i] = 1.0 / chol[:, i, i]
        for j in range(i):
            inv[:, i, j] = -np.einsum("gk,gk->g", chol[:, i, j:i], inv[:, j:i, j]) / chol[:, i, i]
    return inv


def _two_by_two_first_block(diag0: np.ndarray, t0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """T'A_gT + I per level for a lower-triangular 2 × 2 T, entry by entry (a batched matmul of 2 × 2
    matrices costs several times more), then its Cholesky factor and inverse."""
    (t00, t10), t11 = t0[:, 0], t0[1, 1]
    a00, a10, a11 = diag0[:, 0, 0], diag0[:, 1, 0], diag0[:, 1, 1]
    m00 = t00 * t00 * a00 + 2.0 * t00 * t10 * a10 + t10 * t10 * a11 + 1.0
    m10 = t11 * (t00 * a10 + t10 * a11)
    m11 = t11 * t11 * a11 + 1.0
    return _two_by_two_from_entries(m00, m10, m11)


def _two_by_two_from_entries(a00, a10, a11) -> tuple[np.ndarray, np.ndarray]:
    l00 = np.sqrt(a00)
    l10 = a10 / l00
    d = a11 - l10 * l10
    if np.any(d <= 0):
        raise np.linalg.LinAlgError("a diagonal block is not positive definite")
    l11 = np.sqrt(d)
    chol = np.zeros((len(l00), 2, 2))
    chol[:, 0, 0], chol[:, 1, 0], chol[:, 1, 1] = l00, l10, l11
    inv = np.zeros((len(l00), 2, 2))
    inv[:, 0, 0], inv[:, 1, 1] = 1.0 / l00, 1.0 / l11
    inv[:, 1, 0] = -l10 / (l00 * l11)
    return chol, inv


def first_block(diag0: np.ndarray, t0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-level Cholesky of T₀'A₀T₀ + I, and its inverse."""
    q = t0.shape[0]
    if q == 1:
        chol = np.sqrt(diag0 * t0[0, 0] ** 2 + 1.0)  # (levels, 1, 1)
        return chol, 1.0 / chol
    if q == 2 and t0[0, 1] == 0.0:  # the commonest vector term, (1 + x | g): closed forms
        return _two_by_two_first_block(diag0, t0)
    scaled = t0.T @ diag0 @ t0 + np.eye(q)
    if q <= SMALL_BLOCK:
        chol = small_cholesky(scaled)
        return chol, small_lower_inverse(chol)
    chol = np.linalg.cholesky(scaled)
    return chol, np.linalg.inv(chol)


def symmetric_from_lower(lower: np.ndarray) -> np.ndarray:
    """The symmetric matrix whose lower triangle is given (upper triangle of the input ignored)."""
    out = np.tril(lower)
    out += np.tril(lower, -1).T
    return out


#: rows of the tail scaled at once (64 rows of a 10,000-wide tail are 5 MB: the second pass reads cache)
SCALE_ROWS = 64


def scale_tail(
    core: np.ndarray, structure: RandomEffectsStructure, factors, p: int, transposed: bool = True
) -> np.ndarray:
    """Λ_tail' core Λ_tail (Λ_tail core Λ_tail' when not `transposed`), in place, for a core valid in
    its lower triangle (the result likewise): an outer-product scaling of the lower triangle when every
    tail term is scalar, else T' and T (T and T') applied per level to the rows and columns that hold
    the lower triangle (the [X y] ones are unscaled)."""
    if all(f.shape[0] == 1 for f in factors[1:]):
        lam = np.concatenate(
            [np.full(t.n_levels, f[0, 0]) for t, f in zip(structure.terms[1:], factors[1:])] + [np.ones(p + 1)]
        )
        m = core.shape[0]
        for start in range(0, m, SCALE_ROWS):  # the lower triangle only, a cache-sized band of rows at a time
            stop = min(start + SCALE_ROWS, m)
            band = core[start:stop, :stop]
            band *= lam[start:stop, None]
            band *= lam[None, :stop]
        return core
    m, start = core.shape[0], 0
    for t, f in zip(structure.terms[1:], factors[1:]):  # Λ' core Λ, a term's rows and then its columns
        stop = start + t.n_levels * t.q  # Λ = I_levels ⊗ T: per level, T' on its rows and T on its columns
        _symmetrize_level_blocks(core, start, t.n_levels, t.q)  # the only entries above the diagonal read
        rows = core[start:stop, :stop].reshape(t.n_levels, t.q, stop)  # lower triangle: left of `stop`
        cols = core[start:, start:stop].reshape(m - start, t.n_levels, t.q)  # ... and below `start`
        _lower_triangular_combination(f, [rows[:, b, :] for b in range(t.q)], transposed)  # rows: T' (T)
        _lower_triangular_combination(f, [cols[:, :, b] for b in range(t.q)], transposed)  # columns: T (T')
        start = stop
    return core


def _lower_triangular_combination(t: np.ndarray, parts: list[np.ndarray], transposed: bool) -> None:
    """parts[a] ← Σ_{b ≥ a} T[b, a] parts[b] (T' applied), or, not `transposed`, Σ_{b ≤ a} T[a, b] parts[b]
    (T applied), for a lower-triangular T, in place (the parts are views): parts[a] only reads parts not
    yet overwritten, taking a = 0, 1, … for T' and a = q − 1, …, 0 for T, so no copy is needed."""
    q = len(parts)
    for a in range(q) if transposed else reversed(range(q)):
        target = parts[a]
        target *= t[a, a]
        for b in range(a + 1, q) if transposed else range(a):
            weight = t[b, a] if transposed else t[a, b]
            if weight != 0.0:
                target += weight * parts[b]


def _symmetrize_level_blocks(a: np.ndarray, start: int, levels: int, q: int) -> None:
    """Copy the lower triangle of each level's q × q diagonal block onto its upper one."""
    first = start + q * np.arange(levels)
    for i in range(q):
        for j in range(i + 1, q):
            a[first + i, first + j] = a[first + j, first + i]


def dense_tail_lambda(structure: RandomEffectsStructure, factors, p: int) -> np.ndarray | None:
    """Λ for a dense tail: a vector (its diagonal) when every tail term is scalar, else a matrix;
    None when the tail is only [X y]."""
    if len(factors) == 1:
        return None
    if all(f.shape[0] == 1 for f in factors[1:]):
        return np.concatenate(
            [np.full(t.n_levels, f[0, 0]) for t, f in zip(structure.terms[1:], factors[1:])] + [np.ones(p + 1)]
        )
    blocks = [np.kron(np.eye(t.n_levels), f) for t, f in zip(structure.terms[1:], factors[1:])]
    return la.block_diag(*blocks, np.eye(p + 1))


def dense_tail(cp: CrossProducts, structure: RandomEffectsStructure, factors, chol0_inv: np.ndarray):
    """The scaled, downdated tail and L_tail0 when the tail's products are kept dense."""
    t0 = factors[0]
    levels0, q0 = chol0_inv.shape[:2]
    m = cp.tail0.shape[0]
    per_level = (cp.tail0.reshape(m, levels0, q0) @ t0).transpose(1, 0, 2)  # (levels, m, q)
    tail0 = (per_level @ chol0_inv.transpose(0, 2, 1)).transpose(1, 0, 2).reshape(m, levels0 * q0)
    lam = dense_tail_lambda(structure, factors, cp.p)
    if lam is None:
        return cp.tailtail - tail0 @ tail0.T, tail0
    if lam.ndim == 1:
        tail0 = lam[:, None] * tail0
        scaled = cp.tailtail * lam[:, None] * lam[None, :] - tail0 @ tail0.T
    else:
        tail0 = lam.T @ tail0
        scaled = lam.T @ cp.tailtail @ lam - tail0 @ tail0.T
    scaled[np.diag_indices(cp.n_random_tail)] += 1.0
    return scaled, tail0


def lower_cholesky(a: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor reading only a's lower triangle, in place and without copies (on the
    idle cores when a is large, threads.py)."""
    with blas_threads(cholesky_threads(a.shape[0])):
        upper, info = la.lapack.dpotrf(a.T, lower=0, overwrite_a=1, clean=1)
    if info != 0:
        raise la.LinAlgError(f"matrix not positive definite (LAPACK dpotrf info {info})")
    return upper.T


def first_block_downdate(t0: np.ndarray, chol0_inv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per level of the largest term: B = T₀ L₀⁻ᵀ and W = B B' = T₀ (T₀'A₀T₀ + I)⁻¹ T₀' (what the
    elimination of that term removes from the tail)."""
    b_blocks = t0 @ chol0_inv.transpose(0, 2, 1)
    return b_blocks, b_blocks @ b_blocks.transpose(0, 2, 1)


def block_diagonal(blocks: np.ndarray) -> sp.bsr_matrix:
    """The sparse block-diagonal matrix of (levels, q, q) blocks."""
    levels, q = blocks.shape[:2]
    return sp.bsr_matrix((blocks, np.arange(levels), np.arange(levels + 1)), shape=(levels * q, levels * q))


def sparse_coupling(cp: CrossProducts, structure: RandomEffectsStructure, factors, b_blocks: np.ndarray):
    """L_tail0 = Λ_tail' A B for the sparse cross-products A of the tail with block 0 (B per level)."""
    return (tail_lambda(structure, factors, cp.p).T @ (cp.tail0 @ block_diagonal(b_blocks))).tocsr()


def with_coupling(f: BlockedFactor, cp: CrossProducts, structure: RandomEffectsStructure) -> BlockedFactor:
    """The factor with L_tail0 (what factorize(..., with_tail0=True) adds; a dense tail whose
    cross-products with block 0 are dense has it already)."""
    if f.tail0 is not None:
        return f
    b_blocks = first_block_downdate(f.factors[0], f.chol0_inv)[0]
    return replace(f, tail0=sparse_coupling(cp, structure, f.factors, b_blocks))


def factorize(
    cp: CrossProducts,
    structure: RandomEffectsStructure,
    theta: np.ndarray,
    with_tail0: bool = False,
    workspace: np.ndarray | None = None,
) -> BlockedFactor:
    """Factor the whole blocked system at θ; costs nothing per observation.

    The off-diagonal factor block L_tail0 is only formed when asked for (it is needed for the
    conditional modes, not for the deviance). With a `workspace` (C-contiguous, the tail's m × m) a
    dense tail with a downdate pattern is formed and factored in it: the factor's tail is that array.
    """
    factors = structure.factors(theta)
    t0 = factors[0]
    chol0, chol0_inv = first_block(cp.diag0, t0)
    tail0 = None
    if cp.sparse is not None:
        return _factorize_sparse(cp, structure, theta, factors, chol0, chol0_inv, with_tail0)
    if not isinstance(cp.tail0, np.ndarray):
        b_blocks, w = first_block_downdate(t0, chol0_inv)
        assert cp.tailtail is not None  # dense tail
        if cp.pattern is not None:
            core = cp.pattern.subtracted_from(cp.tailtail, w, out=workspace)  # valid in the lower triangle
        else:
            wmat = block_diagonal(w)
            core = cp.tailtail - (cp.tail0 @ wmat @ cp.tail0.T).toarray()
        scaled = scale_tail(core, structure, factors, cp.p)
        scaled[np.diag_indices(cp.n_random_tail)] += 1.0
        if with_tail0:
            tail0 = sparse_coupling(cp, structure, factors, b_blocks)
    else:
        scaled, tail0 = dense_tail(cp, structure, factors, chol0_inv)
    tail = lower_cholesky(scaled)
    return BlockedFactor(
        theta=np.array(theta, dtype=float),
        factors=tuple(factors),
        chol0=chol0,
        chol0_inv=chol0_inv,
        tail0=tail0,
        tail=tail,
        n_random_tail=cp.n_random_tail,
        p=cp.p,
    )


def _factorize_sparse(
    cp: CrossProducts, structure, theta, factors, chol0, chol0_inv, with_tail0: bool
) -> BlockedFactor:
    t0 = factors[0]
    b_blocks, w = first_block_downdate(t0, chol0_inv)
    assert cp.sparse is not None
    sparse = factor_sparse_tail(cp.sparse, structure, factors, w, with_solves=with_tail0)
    tail0 = None
    if with_tail0:
        b = block_diagonal(b_blocks)
        lam = sp.block_diag([tail_lambda_random(structure, factors), sp.identity(cp.p + 1)], format="csr")
        tail0 = (lam.T @ (cp.tail0 @ b)).tocsr()
    return BlockedFactor(
        theta=np.array(theta, dtype=float),
        factors=tuple(factors),
        chol0=chol0,
        chol0_inv=chol0_inv,
        tail0=tail0,
        tail=None,
        n_random_tail=cp.n_random_tail,
        p=cp.p,
        sparse_tail=sparse,
    )
