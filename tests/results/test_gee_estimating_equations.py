"""gee_comparison() for the negative binomial and the Gamma: the GEE coefficients solve the GEE's estimating
equations with the family's variance function, recomputed here densely (no statsmodels).

geepack (the oracle of test_gee_oracle.py) has no negative-binomial family, so these two are checked through
the definition: with an exchangeable working correlation R(α) (α as reported in attrs) and the log link,
Σ_i D_i' V_i⁻¹ (y_i − μ_i) = 0 with D_i = diag(μ_i) X_i and V_i = A_i^½ R(α) A_i^½ (the scale cancels),
A = μ + μ²/θ (NB2, θ from the GLMM) or μ² (Gamma). At the reported coefficients the Newton step this
equation asks for is below 1e-6 standard errors; with the variance μ + θμ² (statsmodels' α taken as θ
instead of 1/θ) it is 0.3 standard errors.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw

FOLDER = Path(__file__).resolve().parents[1] / "reference" / "families" / "data"
CASES = {
    "nb_intercept": "negative_binomial",
    "nb_slope": "negative_binomial",
    "gamma_log_intercept": "gamma",
}


def _newton_step(X, y, codes, beta, alpha, variance):
    """info⁻¹ U of the exchangeable GEE with the log link at β."""
    mu = np.exp(X @ beta)
    score, info = np.zeros(X.shape[1]), np.zeros((X.shape[1], X.shape[1]))
    for level in np.unique(codes):
        rows = codes == level
        m, k = mu[rows], int(rows.sum())
        a = np.sqrt(variance(m))
        working = (1 - alpha) * np.eye(k) + alpha * np.ones((k, k))
        v_inv = np.linalg.inv(a[:, None] * working * a[None, :])
        d = m[:, None] * X[rows]
        score += d.T @ v_inv @ (y[rows] - m)
        info += d.T @ v_inv @ d
    return np.linalg.solve(info, score)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gee_coefficients_solve_the_estimating_equations_of_the_family(name):
    pytest.importorskip("statsmodels")
    data = pd.read_csv(FOLDER / f"{name}.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = mw.fit("y ~ x + (1 | g)", data, family=CASES[name])
        table = model.gee_comparison()
    X, y = np.asarray(model.design.X, dtype=float), np.asarray(model.design.y, dtype=float)
    codes = np.asarray(model.design.terms[0].codes)
    phi = model.dispersion
    variance = (lambda m: m + m**2 / phi) if CASES[name] == "negative_binomial" else (lambda m: m**2)
    alpha = table.attrs["gee_working_correlation"]
    step = _newton_step(X, y, codes, table["gee"].to_numpy(), alpha, variance)
    assert np.max(np.abs(step) / table["gee_se"].to_numpy()) < 1e-6
