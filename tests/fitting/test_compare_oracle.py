"""mw.compare (likelihood-ratio tests) against lme4's anova(m0, m1) on fresh data
(tests/reference/results; tools/r/results_oracles.R). REML fits are refitted by ML, as anova does."""

import pytest
from oracles import load, oracle, quiet_fit

import mixedwidgets as mw

LME4_PIRLS_SLACK = 0.03


def _check(table, answer, atol):
    assert list(table["npar"]) == answer["npar"]
    assert table["Df"].iloc[1] == answer["Df"]
    assert table["logLik"].tolist() == pytest.approx(answer["logLik"], abs=atol)
    assert table["deviance"].tolist() == pytest.approx(answer["deviance"], abs=2 * atol)
    assert table["Chisq"].iloc[1] == pytest.approx(answer["Chisq"], abs=2 * atol)
    assert table["Pr(>Chisq)"].iloc[1] == pytest.approx(answer["p"], rel=20 * atol)


def test_lrt_for_a_random_slope_matches_anova_after_the_ml_refit():
    """Two extra parameters (slope SD and correlation): Df = 2, p ≈ 0.032."""
    case, data = oracle()["lmm"], load("lmm")
    table = mw.compare(quiet_fit(case["formula"], data), quiet_fit(case["intercept_formula"], data))
    assert "refitted with ML" in table.attrs["note"]
    _check(table, case["lrt_slope"], atol=1e-5)


def test_lrt_for_a_fixed_effect_matches_anova():
    case, data = oracle()["lmm"], load("lmm")
    m0 = quiet_fit("y ~ f + (1 | g)", data, reml=False)
    m1 = quiet_fit("y ~ x + f + (1 | g)", data, reml=False)
    _check(mw.compare(m0, m1), case["lrt_x"], atol=1e-5)


@pytest.mark.parametrize("name, family", [("bernoulli", "binomial"), ("poisson", "poisson")])
def test_glmm_lrt_matches_anova(name, family):
    """Laplace: lme4's relaxed PIRLS moves its log-likelihoods by up to 0.015 (see the GLMM references)."""
    case, data = oracle()[name], load(name)
    m0 = quiet_fit(case["formula"].replace("~ x +", "~ 1 +"), data, family=family)
    m1 = quiet_fit(case["formula"], data, family=family)
    table = mw.compare(m1, m0)
    answer = case["lrt_x"]
    assert list(table["npar"]) == answer["npar"] and table["Df"].iloc[1] == answer["Df"] == 1
    assert table["logLik"].tolist() == pytest.approx(answer["logLik"], abs=LME4_PIRLS_SLACK / 2)
    assert table["Chisq"].iloc[1] == pytest.approx(answer["Chisq"], abs=LME4_PIRLS_SLACK)
    assert table["Pr(>Chisq)"].iloc[1] == pytest.approx(answer["p"], rel=0.1)
