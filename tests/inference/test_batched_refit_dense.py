"""The bootstrap's batched refits of one-term LMMs (inference/batched_lmm.py) evaluate the profiled (RE)ML
deviance of every draw at its own θ; checked here against the dense formula written out with numpy:

    ML:   log|Λ'Z'WZΛ + I| + n(1 + log(2π r²/n)) − Σ log w
    REML: log|Λ'Z'WZΛ + I| + log|X'V̂X| + (n − p)(1 + log(2π r²/(n − p))) − Σ log w

with r² the penalized weighted residual sum of squares and X'V̂X the Schur complement of the fixed effects.
The 1000-draw percentile intervals (test_intervals_bootstrap.py) are compared with bootMer at 12% of their
width only, which a deviance missing half of log|R_X|² or a term of the 2 × 2 factor stays inside.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.linalg as la

from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula
from mixedwidgets.inference.batched_lmm import BatchedSingleTerm
from mixedwidgets.inference.lmm_problem import LmmProblem

FORMULAS = ["y ~ x + (1 | g)", "y ~ x + (1 + x | g)", "y ~ x + (1 + x || g)"]


def _frame(seed: int = 16, n: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 12, n)
    x = rng.normal(1.0, 2.0, n)
    u = rng.normal(0, 1.0, 12)
    v = rng.normal(0, 0.4, 12)
    return pd.DataFrame(
        {
            "y": 1 + 0.5 * x + u[g] + v[g] * x + rng.normal(0, 1, n),
            "x": x,
            "g": [f"g{k:02d}" for k in g],
            "w": rng.integers(1, 4, n).astype(float),
        }
    )


def _dense_deviance(design, structure, theta, y, w, reml: bool) -> float:
    n = len(y)
    layout = structure.terms[0]
    term = design.terms[layout.design_position]
    values = np.asarray(term.values, dtype=float).reshape(n, layout.q)
    z = np.zeros((n, layout.n_levels * layout.q))
    for j in range(layout.q):
        z[np.arange(n), np.asarray(term.codes) * layout.q + j] = values[:, j]
    zl = z @ np.kron(np.eye(layout.n_levels), layout.factor(theta))
    X = np.asarray(design.X, dtype=float)
    a = zl.T @ (w[:, None] * zl) + np.eye(zl.shape[1])
    q, p = zl.shape[1], X.shape[1]
    big = np.block([[a, zl.T @ (w[:, None] * X)], [X.T @ (w[:, None] * zl), X.T @ (w[:, None] * X)]])
    solution = np.linalg.solve(big, np.concatenate([zl.T @ (w * y), X.T @ (w * y)]))
    u, beta = solution[:q], solution[q:]
    r2 = float(np.sum(w * (y - X @ beta - zl @ u) ** 2) + u @ u)
    dof = n - p if reml else n
    value = np.linalg.slogdet(a)[1] + dof * (1 + np.log(2 * np.pi * r2 / dof)) - np.log(w).sum()
    if reml:
        schur = big[q:, q:] - big[q:, :q] @ la.solve(a, big[:q, q:])
        value += np.linalg.slogdet(schur)[1]
    return float(value)


@pytest.mark.parametrize("formula", FORMULAS)
@pytest.mark.parametrize("reml", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_batched_deviance_of_each_draw_is_the_dense_formula(formula, reml, weighted):
    frame = _frame()
    design = build_design(parse_formula(formula), frame, weights="w" if weighted else None)
    problem = LmmProblem.from_design(design)
    assert problem.single is not None  # the one-term fast path the batch builds on
    rng = np.random.default_rng(7)
    ys = [frame["y"].to_numpy() + rng.normal(0, 1.5, len(frame)) for _ in range(4)]
    singles = [problem.with_response(y).single for y in ys]
    batch = BatchedSingleTerm(
        problem.single,
        tuple(np.array([s.b[i][:, -1] for s in singles]) for i in range(len(problem.single.b))),
        np.array([s.c[-1] for s in singles]),
        problem.n,
        reml,
        problem.log_weights,
    )
    structure = problem.structure
    theta = np.abs(rng.normal(0.8, 0.3, (len(ys), structure.n_theta)))
    theta[:, structure.lower != 0] = rng.normal(0, 0.3, (len(ys), int(np.sum(structure.lower != 0))))
    w = np.ones(len(frame)) if not weighted else frame["w"].to_numpy()
    ours = batch.deviance(theta, np.arange(len(ys)))
    expected = [_dense_deviance(design, structure, t, y, w, reml) for t, y in zip(theta, ys)]
    np.testing.assert_allclose(ours, expected, rtol=1e-10)
