"""Kenward–Roger in q-space (Woodbury) against a direct n × n transcription of pbkrtest's vcovAdj / Lb_ddf.

The dense version builds Σ = Σ γ_i G_i with G_i = Z E_i Z' and G_σ² = W⁻¹ explicitly, as pbkrtest does
(pbkrtest itself takes G_σ² = I, which ignores prior weights: on the weighted case below it reports
denominator df up to 348 with 240 observations; here weights enter Σ as they enter the fit).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ddf_cases import fitted

import mixedwidgets as mw
from mixedwidgets.backend.row_sums import random_effects_matrix
from mixedwidgets.inference.kenward_roger import (
    covariance_indicators,
    kenward_roger_adjustment,
    kenward_roger_ddf,
)
from mixedwidgets.inference.varpar import variance_problem

#: factor_slope_reml.csv with weights from R: set.seed(1); d$w <- round(runif(nrow(d), 0.5, 2), 3)
WEIGHTED = Path(__file__).resolve().parents[1] / "reference" / "ddf" / "weighted_factor_slope.csv"


def dense_vcov_adj(model):
    """pbkrtest's vcovAdj_internal with n × n matrices."""
    design, structure = model.design, model.engine_fit.structure
    Z = random_effects_matrix(structure, design.terms).toarray()
    X = np.asarray(design.X)
    n = len(X)
    w = np.ones(n) if design.weights is None else np.asarray(design.weights)
    G = [Z @ e.toarray() @ Z.T for e in covariance_indicators(structure)] + [np.diag(1 / w)]
    gamma = []
    for t, f in zip(structure.terms, structure.factors(model.theta)):
        cov = model.sigma**2 * f @ f.T
        gamma += [cov[r, c] for r, c in zip(t.rows, t.cols)]
    gamma.append(model.sigma**2)
    sigma_inv = np.linalg.inv(sum(g * m for g, m in zip(gamma, G)))
    phi = np.linalg.inv(X.T @ sigma_inv @ X)
    H = [g @ sigma_inv for g in G]
    O = [h @ X for h in H]  # noqa: E741 (pbkrtest's name)
    P = [-(o.T @ sigma_inv @ X) for o in O]
    Q = {(i, j): O[i].T @ sigma_inv @ O[j] for i in range(len(G)) for j in range(len(G))}
    k = len(G)
    info = np.array(
        [
            [np.sum(H[i].T * H[j]) - 2 * np.sum(phi * Q[i, j]) + np.sum((phi @ P[i]) * (P[j] @ phi)) for j in range(k)]
            for i in range(k)
        ]
    )
    W = 2 * np.linalg.inv(info)
    U = sum(W[i, j] * (Q[i, j] - P[i] @ phi @ P[j]) for i in range(k) for j in range(i + 1, k))
    U = U + U.T + sum(W[i, i] * (Q[i, i] - P[i] @ phi @ P[i]) for i in range(k))
    return phi, phi + 2 * phi @ U @ phi, P, W


def weighted_model():
    data = pd.read_csv(WEIGHTED)
    data["f"] = pd.Categorical(data["f"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mw.fit("y ~ f * x + (1 + x | g)", data, weights="w")


@pytest.mark.parametrize(
    "get_model",
    [lambda: fitted("factor_slope_reml"), lambda: fitted("random_2"), weighted_model],
    ids=["slope", "crossed", "weighted"],
)
def test_woodbury_kenward_roger_equals_the_dense_formulas(get_model):
    model = get_model()
    phi, phi_adj, P, W = dense_vcov_adj(model)
    adj = kenward_roger_adjustment(model.design, model.engine_fit.structure, model.theta, model.sigma, phi)
    np.testing.assert_allclose(adj.vcov_adjusted, phi_adj, rtol=1e-8, atol=1e-12 * np.abs(phi_adj).max())
    np.testing.assert_allclose(adj.W, W, rtol=1e-7)
    for ours, dense in zip(adj.P, P):
        np.testing.assert_allclose(ours, dense, rtol=1e-8, atol=1e-10 * np.abs(dense).max())
    for row in np.eye(len(phi)):
        assert kenward_roger_ddf(adj, row)[0] < model.nobs


def test_weighted_satterthwaite_uses_the_weighted_deviance():
    # lmerTest 3.1.3, lmer(y ~ f * x + (1 + x | g), d, weights = w): summary(m) df column
    model = weighted_model()
    assert variance_problem(model.design, True).n == model.nobs
    np.testing.assert_allclose(
        model.coef_table().df, [68.32556, 223.71739, 222.93038, 71.62681, 224.36842, 223.21875], rtol=2e-3
    )
