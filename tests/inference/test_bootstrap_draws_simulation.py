"""The parametric bootstrap's simulated responses have the distribution the fitted model says (bootMer, use.u =
FALSE), checked by simulation against moments written out here from lme4's estimates:

- random effects b ~ N(0, σ²TT') per level: sleepstudy's (Days | Subject), with b recovered exactly from
  the simulated random part at Days 0 and 1, has the covariance of lme4's VarCorr (TT' and T'T differ
  in the covariance, 9.6 against 2.3: six standard errors of the estimate here);
- residual noise σ²/w with prior weights: a weighted LMM's draws have Var(y_i) = τ² + σ²/w_i;
- binomial responses are proportions of successes out of the trials: with the random effects switched
  off (θ = 0) y·n ~ Binomial(n, μ) row by row.
Tolerances are five Monte Carlo standard errors.
"""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from golden import REFERENCE

import mixedwidgets as mw
from mixedwidgets.inference.confint import draw_task
from mixedwidgets.inference.refit import random_part

RESULTS = REFERENCE / "results"


def test_random_effects_are_drawn_with_the_covariance_sigma2_tt():
    data = mw.datasets.load("sleepstudy")
    model = mw.fit("Reaction ~ Days + (Days | Subject)", data)
    answer = json.loads((REFERENCE / "sleepstudy_reml.json").read_text())
    vc = {(r["var1"], r["var2"]): r["vcov"] for r in answer["varcorr"] if r["grp"] == "Subject"}
    expected = np.array(
        [[vc["(Intercept)", None], vc["(Intercept)", "Days"]], [vc["(Intercept)", "Days"], vc["Days", None]]]
    )
    design, fit = model.design, model.engine_fit
    days = data["Days"].to_numpy()
    first, second = np.flatnonzero(days == 0), np.flatnonzero(days == 1)
    assert np.array_equal(data["Subject"].to_numpy()[first], data["Subject"].to_numpy()[second])
    rng = np.random.default_rng(16)
    draws = []
    for _ in range(3000):
        r = random_part(design.terms, fit.structure, fit.theta, model.sigma, rng)
        draws.append(np.column_stack([r[first], r[second] - r[first]]))  # (b0, b1) per subject
    b = np.concatenate(draws)
    cov = b.T @ b / len(b)
    se = np.sqrt((np.outer(np.diag(expected), np.diag(expected)) + expected**2) / len(b))
    assert np.all(np.abs(cov - expected) < 5 * se), (cov, expected)


def _weighted_lmm():
    data = pd.read_csv(RESULTS / "data" / "lmm.csv").assign(w=pd.read_csv(RESULTS / "data" / "lmm_weights.csv")["w"])
    return mw.fit("y ~ x + f + (1 | g)", data, weights="w"), data


def test_weighted_lmm_draws_have_residual_variance_sigma2_over_w():
    model, data = _weighted_lmm()
    task = draw_task(model.design, model.engine_fit)
    rng = np.random.default_rng(161)
    mean = model.predict(kind="typical")
    sims = np.array([task.simulate(rng) for _ in range(4000)]) - mean
    tau2, sigma2 = model.covariance("g").iloc[0, 0], model.sigma**2
    w = data["w"].to_numpy()
    tolerance = 5 * np.sqrt(2.0 / sims.shape[0])  # relative SE of a variance from independent draws (at most)
    for weight in np.unique(w):
        observed = sims[:, w == weight].var()
        expected = tau2 + sigma2 / weight
        assert abs(observed / expected - 1) < tolerance, (weight, observed, expected)


def test_binomial_draws_are_proportions_out_of_the_trials():
    data = pd.read_csv(RESULTS / "data" / "cbind.csv")
    model = mw.fit("cbind(s, n - s) ~ x + (1 | g)", data, family="binomial")
    task = draw_task(model.design, model.engine_fit)
    task = replace(task, theta=np.zeros_like(task.theta))  # no random effects: y·n ~ Binomial(n, μ)
    trials = data["n"].to_numpy()
    mu = model.predict(kind="typical")
    rng = np.random.default_rng(1616)
    successes = np.array([task.simulate(rng) for _ in range(3000)]) * trials
    np.testing.assert_allclose(successes, np.round(successes), atol=1e-9)
    se_mean = np.sqrt(trials * mu * (1 - mu) / len(successes))
    assert np.all(np.abs(successes.mean(axis=0) - trials * mu) < 5 * se_mean)
    variance = successes.var(axis=0)
    expected = trials * mu * (1 - mu)
    assert abs(variance.sum() / expected.sum() - 1) < 0.05


FAMILIES = Path(__file__).resolve().parents[1] / "reference" / "families" / "data"


@pytest.mark.parametrize("name, family", [("nb_intercept", "negative_binomial"), ("gamma_log_intercept", "gamma")])
def test_dispersion_family_draws_have_the_familys_mean_and_variance(name, family):
    """With θ = 0: E y = μ and Var y = μ + μ²/θ (NB2) or μ²/shape (Gamma); Poisson draws (variance μ, and
    zeros a Gamma refit cannot take: every bootstrap draw of a Gamma model failed) do not."""
    data = pd.read_csv(FAMILIES / f"{name}.csv")
    model = mw.fit("y ~ x + (1 | g)", data, family=family)
    task = draw_task(model.design, model.engine_fit)
    task = replace(task, theta=np.zeros_like(task.theta))
    mu, phi = model.predict(kind="typical"), model.dispersion
    rng = np.random.default_rng(16)
    y = np.array([task.simulate(rng) for _ in range(2000)])
    expected = mu + mu**2 / phi if family == "negative_binomial" else mu**2 / phi
    assert np.all(np.abs(y.mean(axis=0) - mu) < 5 * np.sqrt(expected / len(y)))
    assert abs(y.var(axis=0).sum() / expected.sum() - 1) < 0.05
    if family == "gamma":
        assert y.min() > 0
