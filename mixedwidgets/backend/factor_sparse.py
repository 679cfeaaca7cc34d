"""The sparse tail's factor at one θ: S_rr = P (I + L) D (I + L)' P' by LDL' (qdldl, AMD ordering),
then the dense Schur complement of the fixed rows [X y], S_ff − S_fr S_rr⁻¹ S_rf = L_ff L_ff'.

With C = P (I + L) D^½ the Cholesky-like factor of S_rr: log|S_rr| = Σ log d, the blocked factor's
(fixed, random) block is S_fr C⁻ᵀ, and every solve the estimates need is a solve with S_rr or C.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import qdldl
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve_triangular

from .crossprod_sparse import SparseTailProducts, SymbolicCache
from .reterms import RandomEffectsStructure


@dataclass(frozen=True)
class SparseTail:
    logdet: float  # log |S_rr| (Λ-scaled, downdated, + I)
    lower_fixed: np.ndarray  # L_ff, lower ((p+1) × (p+1))
    cross: np.ndarray  # S_rf, scaled (mr × (p+1))
    ldl: tuple | None  # (I + L lower CSR, d, perm) when solves are needed

    def solve(self, b: np.ndarray) -> np.ndarray:
        """S_rr⁻¹ b for a vector b."""
        assert self.ldl is not None
        unit_lower, d, perm = self.ldl
        z = spsolve_triangular(unit_lower, b[perm], lower=True, unit_diagonal=True) / d
        x = spsolve_triangular(unit_lower.T.tocsr(), z, lower=False, unit_diagonal=True)
        out = np.empty_like(x)
        out[perm] = x
        return out

    def half_inverse(self, b: np.ndarray) -> np.ndarray:
        """C⁻¹ b = D^-½ (I + L)⁻¹ P' b for a dense (mr × k) b."""
        assert self.ldl is not None
        unit_lower, d, perm = self.ldl
        z = b[perm]
        if unit_lower.nnz > unit_lower.shape[0]:
            z = spsolve_triangular(unit_lower, z, lower=True, unit_diagonal=True)
        return z / np.sqrt(d)[:, None]


def tail_lambda_random(structure: RandomEffectsStructure, factors) -> sp.csr_matrix:
    """Block-diagonal Λ of the tail's random rows: I_levels ⊗ T_k for each term after the first."""
    return sp.block_diag(
        [
            sp.kron(sp.identity(t.n_levels, format="csr"), sp.csr_matrix(f), format="csr")
            for t, f in zip(structure.terms[1:], factors[1:])
        ],
        format="csr",
    )


def scale_random(products: SparseTailProducts, rr: np.ndarray, rf: np.ndarray, structure, factors):
    """Λ_r' S_rr Λ_r on the pattern and Λ_r' S_rf."""
    pattern = products.pattern
    if all(f.shape[0] == 1 for f in factors[1:]):
        lam = np.concatenate([np.full(t.n_levels, f[0, 0]) for t, f in zip(structure.terms[1:], factors[1:])])
        return rr * lam[pattern.rows] * lam[pattern.cols], rf * lam[:, None]
    lam = tail_lambda_random(structure, factors)
    scaled = (lam.T @ pattern.symmetric(rr) @ lam).tocsr()
    return np.asarray(scaled[pattern.rows, pattern.cols]).ravel(), np.asarray(lam.T @ rf)


def _ldl(symbolic: SymbolicCache, upper: sp.csc_matrix, fresh: bool):
    """An LDL' solver of the matrix: the cached symbolic analysis refactored, or a new one."""
    try:
        if fresh or symbolic.solver is None:
            solver = qdldl.Solver(upper, upper=True)
            if symbolic.solver is None:
                symbolic.solver = solver
            return solver
        symbolic.solver.update(upper, upper=True)
        return symbolic.solver
    except (ValueError, RuntimeError) as exc:
        raise np.linalg.LinAlgError(f"sparse LDL' factorization failed: {exc}") from exc


def factor_sparse_tail(
    products: SparseTailProducts, structure: RandomEffectsStructure, factors, w: np.ndarray, with_solves: bool = False
) -> SparseTail:
    """Downdate by block 0 (W per level), scale by Λ, add I, factor S_rr and the fixed Schur complement."""
    rr, rf, ff = products.split(products.downdated(w))
    rr, rf = scale_random(products, rr, rf, structure, factors)
    rr[products.pattern.diagonal] += 1.0
    solver = _ldl(products.symbolic, products.pattern.upper(rr), fresh=with_solves)
    lower, d, perm = solver.factors()
    if not np.all(d > 0):
        raise np.linalg.LinAlgError("the random-effects block is not positive definite")
    x = np.column_stack([solver.solve(np.ascontiguousarray(rf[:, c])) for c in range(rf.shape[1])])
    schur = ff - rf.T @ x
    lower_fixed = np.linalg.cholesky(schur)
    ldl = None
    if with_solves:
        unit_lower = (sp.csr_matrix(lower) + sp.identity(lower.shape[0], format="csr")).tocsr()
        ldl = (unit_lower, d, np.asarray(perm, dtype=np.int64))
    return SparseTail(float(np.log(d).sum()), lower_fixed, rf, ldl)
