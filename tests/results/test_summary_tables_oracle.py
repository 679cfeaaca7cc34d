"""The summary's tables against lme4's summary(): the random-effects block (VarCorr's layout), the scaled
residual quantiles (R's quantile of residuals(m, "pearson") / sigma, type 7 as numpy's default) and the
fit statistics block."""

import json

import numpy as np
import pytest
from golden import REFERENCE
from oracles import load, oracle, quiet_fit

from mixedwidgets.results import tables


def test_random_effects_table_is_lme4s_varcorr_layout(sleep_fit):
    answer = json.loads((REFERENCE / "sleepstudy_reml.json").read_text())
    vc = {(r["var1"], r["var2"]): r for r in answer["varcorr"] if r["grp"] == "Subject"}
    table = tables.random_effects_table(sleep_fit)
    assert list(table.Groups) == ["Subject", "", "Residual"]
    assert list(table.Name) == ["(Intercept)", "Days", ""]
    assert list(table.columns) == ["Groups", "Name", "Variance", "Std.Dev.", "Corr"]
    np.testing.assert_allclose(
        table.Variance[:2], [vc[("(Intercept)", None)]["vcov"], vc[("Days", None)]["vcov"]], rtol=0.02
    )
    np.testing.assert_allclose(
        table["Std.Dev."][:2], [vc[("(Intercept)", None)]["sdcor"], vc[("Days", None)]["sdcor"]], rtol=0.01
    )
    assert table.Corr[0] == [] and table.Corr[2] == []
    assert table.Corr[1] == [pytest.approx(vc[("(Intercept)", "Days")]["sdcor"], rel=0.01)]
    assert table["Std.Dev."][2] == pytest.approx(answer["sigma"], rel=1e-3)
    assert table.Variance[2] == pytest.approx(answer["sigma"] ** 2, rel=2e-3)


def test_random_effects_table_of_two_factors_and_a_glmm():
    model = quiet_fit(oracle()["lmm"]["crossed_formula"], load("lmm"))
    table = tables.random_effects_table(model)
    assert list(table.Groups) == ["g", "h", "Residual"] and all(c == [] for c in table.Corr)
    glmm = quiet_fit(oracle()["bernoulli"]["formula"], load("bernoulli"), family="binomial")
    table = tables.random_effects_table(glmm)
    assert list(table.Groups) == ["g"]  # no residual row for a binomial model
    assert table["Std.Dev."][0] == pytest.approx(glmm.theta[0], rel=1e-12)


def test_scaled_residual_quantiles_are_those_of_lme4s_residuals():
    model = quiet_fit(oracle()["lmm"]["formula"], load("lmm"))
    q = tables.scaled_residual_quantiles(model)
    assert list(q.index) == ["Min", "1Q", "Median", "3Q", "Max"]
    theirs = np.quantile(np.array(oracle()["lmm"]["pearson"]), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(q.to_numpy(), theirs, atol=1e-4)


def test_fit_statistics_block(sleep_fit):
    reml = tables.fit_statistics(sleep_fit)
    assert list(reml.index) == ["REML criterion", "AIC", "BIC", "logLik"]
    assert reml["REML criterion"] == sleep_fit.objective
    ml = tables.fit_statistics(sleep_fit.refit(reml=False))
    assert list(ml.index) == ["AIC", "BIC", "logLik", "-2 log L"]
    glmm = quiet_fit(oracle()["poisson"]["formula"], load("poisson"), family="poisson")
    shown = tables.fit_statistics(glmm)
    assert list(shown.index) == ["AIC", "BIC", "logLik", "-2 log L"] and shown["-2 log L"] == glmm.objective
