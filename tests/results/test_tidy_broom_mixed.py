"""m.tidy() and m.glance() against broom.mixed 0.2.9.4 on lme4 fits, LMMs through lmerTest
(tests/reference/tidy/, written by tools/r/broom_tidy.R)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mixedwidgets as mw
from mixedwidgets.results.tidy import GLANCE_COLUMNS, TIDY_COLUMNS

FOLDER = Path(__file__).resolve().parents[1] / "reference" / "tidy"
SLEEP = "Reaction ~ Days + (Days | Subject)"
CBPP = "cbind(incidence, size - incidence) ~ period + (1 | herd)"


def _answer(name):
    return json.loads((FOLDER / f"{name}.json").read_text())


@pytest.fixture(scope="module")
def models():
    sleep, cbpp = mw.datasets.load("sleepstudy"), mw.datasets.load("cbpp")
    return {
        "sleepstudy_reml": mw.fit(SLEEP, sleep),
        "sleepstudy_ml": mw.fit(SLEEP, sleep, reml=False),
        "cbpp": mw.fit(CBPP, cbpp, family="binomial"),
    }


@pytest.mark.parametrize("name", ["sleepstudy_reml", "sleepstudy_ml", "cbpp"])
def test_tidy_has_broom_mixeds_rows_in_broom_mixeds_order(models, name):
    ref = _answer(name)["tidy"]
    ours = models[name].tidy()
    assert list(ours.columns) == TIDY_COLUMNS
    assert ours.effect.tolist() == ref["effect"]
    assert ours.term.tolist() == ref["term"]
    assert [None if pd.isna(g) else g for g in ours.group] == ref["group"]


@pytest.mark.parametrize("name", ["sleepstudy_reml", "sleepstudy_ml", "cbpp"])
def test_tidy_numbers_match_broom_mixed(models, name):
    ref = _answer(name)["tidy"]
    ours = models[name].tidy()
    fixed = ours.effect == "fixed"
    se = ours.std_error[fixed].to_numpy()
    np.testing.assert_allclose(ours.estimate[fixed], np.array(ref["estimate"])[fixed], atol=0.01 * se.min())
    np.testing.assert_allclose(ours.estimate[~fixed], np.array(ref["estimate"])[~fixed], rtol=0.01, atol=1e-3)
    np.testing.assert_allclose(se, np.array(ref["std.error"], dtype=float)[fixed], rtol=0.015)
    for ours_col, ref_col in (("statistic", "statistic"), ("conf_low", "conf.low"), ("conf_high", "conf.high")):
        np.testing.assert_allclose(
            ours[ours_col][fixed], np.array(ref[ref_col], dtype=float)[fixed], rtol=0.015, atol=0.01 * se.max()
        )
    if "df" in ref:  # LMMs through lmerTest: Satterthwaite df and t tests
        np.testing.assert_allclose(ours.df[fixed], np.array(ref["df"], dtype=float)[fixed], rtol=2e-3)
        np.testing.assert_allclose(ours.p_value[fixed], np.array(ref["p.value"], dtype=float)[fixed], rtol=5e-3)
    elif "p.value" in ref:  # our z is within 1.5% of lme4's (SEs from another Hessian, see test_glmm_reference)
        np.testing.assert_allclose(ours.p_value[fixed], 2 * stats.norm.sf(np.abs(ours.statistic[fixed])))
    assert ours.loc[~fixed, TIDY_COLUMNS[4:]].isna().all().all()


@pytest.mark.parametrize("name", ["sleepstudy_reml", "sleepstudy_ml", "cbpp"])
def test_glance_matches_broom_mixed(models, name):
    ref = {k: v[0] for k, v in _answer(name)["glance"].items()}
    ours = models[name].glance()
    assert list(ours.columns) == GLANCE_COLUMNS and len(ours) == 1
    row = ours.iloc[0]
    assert row.nobs == ref["nobs"] and row.df_residual == ref["df.residual"]
    for ours_col, ref_col in (("sigma", "sigma"), ("loglik", "logLik"), ("aic", "AIC"), ("bic", "BIC")):
        assert row[ours_col] == pytest.approx(ref[ref_col], abs=2e-3, rel=1e-5)
    if "REMLcrit" in ref:
        assert row.reml_criterion == pytest.approx(ref["REMLcrit"], abs=2e-3) and np.isnan(row.deviance)
    else:
        assert np.isnan(row.reml_criterion)
        assert row.deviance == pytest.approx(-2 * ref["logLik"], abs=2e-3)  # −2 log L (lme4's deviance
        # of a GLMM is the sum of squared deviance residuals instead; see results/tidy.py)


def test_tables_stack_across_models(models):
    glance = pd.concat([m.glance() for m in models.values()], ignore_index=True)
    assert glance.shape == (3, len(GLANCE_COLUMNS))
    tidy = pd.concat([m.tidy().assign(model=k) for k, m in models.items()], ignore_index=True)
    assert list(tidy.columns) == TIDY_COLUMNS + ["model"] and len(tidy) == 6 + 6 + 5


def test_conf_level_changes_the_intervals(models):
    m = models["sleepstudy_reml"]
    wide, narrow = m.tidy(conf_level=0.99), m.tidy(conf_level=0.5)
    assert (wide.conf_high[:2] > narrow.conf_high[:2]).all()


def test_uncorrelated_terms_have_no_correlation_rows():
    m = mw.fit("Reaction ~ Days + (Days || Subject)", mw.datasets.load("sleepstudy"))
    assert m.tidy().term.tolist() == ["(Intercept)", "Days", "sd__(Intercept)", "sd__Days", "sd__Observation"]
