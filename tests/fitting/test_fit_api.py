"""The public API of a fitted model: tables, predictions, summary, HTML, compare, layering."""

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw


def test_import_pulls_in_no_display_code():
    code = (
        "import sys, mixedwidgets as mw; m = mw.fit('Reaction ~ Days + (Days | Subject)', "
        "mw.datasets.load('sleepstudy')); m.summary(); m._repr_html_(); "
        "bad = [k for k in sys.modules if k.split('.')[0] in "
        "('IPython', 'ipywidgets', 'bqplot', 'anywidget', 'traitlets', 'ipykernel')]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_fixef_vcov_and_coef_table_agree(sleep_fit):
    table = sleep_fit.coef_table()
    assert list(table.index) == ["(Intercept)", "Days"]
    np.testing.assert_allclose(table.std_error, np.sqrt(np.diag(sleep_fit.vcov)))
    np.testing.assert_allclose(table.t_value, sleep_fit.fixef / table.std_error)
    assert (table.conf_low < sleep_fit.fixef).all() and (sleep_fit.fixef < table.conf_high).all()


def test_varcorr_layout_matches_lme4(sleep_fit):
    vc = sleep_fit.varcorr
    assert list(vc.columns) == ["group", "var1", "var2", "vcov", "sdcor"]
    assert list(vc.group) == ["Subject", "Subject", "Subject", "Residual"]
    assert vc.vcov.iloc[-1] == pytest.approx(sleep_fit.sigma**2)
    cov = sleep_fit.covariance("Subject")
    assert cov.loc["(Intercept)", "Days"] == pytest.approx(vc.vcov.iloc[2])


def test_ranef_is_tidy_with_one_row_per_level_and_term(sleep_fit):
    re = sleep_fit.ranef()
    assert list(re.columns) == ["group", "term", "level", "condval", "condsd"]
    assert len(re) == 18 * 2 and (re.condsd > 0).all()


def test_icc_says_when_it_depends_on_x(sleep_fit, sleep):
    icc = sleep_fit.icc()
    assert "depends on Days" in icc.note.iloc[0]
    cov = sleep_fit.covariance("Subject").to_numpy()
    at5 = cov[0, 0] + 10 * cov[0, 1] + 25 * cov[1, 1]
    assert sleep_fit.icc_at("Subject", Days=5) == pytest.approx(at5 / (at5 + sleep_fit.sigma**2))
    intercept_only = mw.fit("Reaction ~ Days + (1 | Subject)", sleep)
    vc = intercept_only.varcorr
    assert intercept_only.icc().icc.iloc[0] == pytest.approx(vc.vcov.iloc[0] / vc.vcov.sum())
    assert intercept_only.icc().note.iloc[0] == ""


def test_predictions_conditional_typical_and_new_levels(sleep_fit, sleep):
    fitted = sleep_fit.predict()
    typical = sleep_fit.predict(kind="typical")
    np.testing.assert_allclose(typical, sleep_fit.fixef["(Intercept)"] + sleep_fit.fixef["Days"] * sleep.Days)
    re = sleep_fit.ranef().set_index(["term", "level"]).condval
    first = sleep.iloc[0]
    expected = typical[0] + re[("(Intercept)", first.Subject)] + re[("Days", first.Subject)] * first.Days
    assert fitted[0] == pytest.approx(expected)
    new = pd.DataFrame({"Days": [1.0, 2.0], "Subject": ["308", "new-subject"]})
    p = sleep_fit.predict(new)
    assert p[1] == pytest.approx(sleep_fit.fixef["(Intercept)"] + 2 * sleep_fit.fixef["Days"])
    assert p[0] == pytest.approx(sleep_fit.predict(sleep.iloc[[1]])[0])


def test_predict_rejects_bad_arguments(sleep_fit):
    with pytest.raises(mw.MixedModelError, match="kind"):
        sleep_fit.predict(kind="marginal")
    with pytest.raises(mw.MixedModelError, match="DataFrame"):
        sleep_fit.predict(newdata=[1, 2, 3])


def test_summary_reads_like_lme4(sleep_fit):
    text = sleep_fit.summary()
    for piece in [
        "Linear mixed model fit by REML",
        "REML criterion",
        "Scaled residuals",
        "Random effects:",
        "Subject",
        "Residual",
        "Fixed effects:",
        "Number of obs: 180",
    ]:
        assert piece in text


def test_dropped_rows_are_counted_and_shown(sleep):
    data = sleep.copy()
    data.loc[[3, 7, 11], "Reaction"] = np.nan
    with pytest.warns(mw.MixedModelWarning, match="3 row"):
        m = mw.fit("Reaction ~ Days + (Days | Subject)", data)
    assert m.n_dropped == 3 and m.nobs == 177
    assert "3 rows with missing values dropped" in m.summary()
    assert "dropped" in m._repr_html_()


def test_html_escapes_level_and_column_names():
    rng = np.random.default_rng(1)
    evil = "<img src=x onerror=alert(1)>"
    data = pd.DataFrame({"y": rng.normal(size=60), "g": np.repeat([evil, "b&c", "d", "e", "f", "g"], 10)})
    m = mw.fit("y ~ 1 + (1 | g)", data)
    html = m._repr_html_()
    assert "<img" not in html
    assert evil in set(m.ranef().level)


def test_compare_refits_reml_with_ml(sleep, sleep_fit):
    small = mw.fit("Reaction ~ Days + (1 | Subject)", sleep)
    table = mw.compare(small, sleep_fit)
    ml_big = mw.fit("Reaction ~ Days + (Days | Subject)", sleep, reml=False)
    assert table.deviance.iloc[1] == pytest.approx(ml_big.objective)
    assert table.Df.iloc[1] == 2
    assert table["Pr(>Chisq)"].iloc[1] < 1e-6
    assert "refitted" in table.attrs["note"]


def test_compare_refuses_different_rows(sleep, sleep_fit):
    other = mw.fit("Reaction ~ Days + (1 | Subject)", sleep.iloc[:170])
    with pytest.raises(mw.MixedModelError, match="different numbers of observations"):
        mw.compare(other, sleep_fit)


def test_fit_leaves_the_callers_data_unchanged(sleep):
    before = sleep.copy()
    dtypes = sleep.dtypes.copy()
    mw.fit("Reaction ~ Days + (Days | Subject)", sleep)
    pd.testing.assert_frame_equal(before, sleep)
    pd.testing.assert_series_equal(dtypes, sleep.dtypes)


def test_singular_fit_is_reported_in_plain_words():
    rng = np.random.default_rng(3)
    g = np.repeat(np.arange(30), 6)
    data = pd.DataFrame({"y": rng.normal(size=180), "x": rng.normal(size=180), "g": g})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = mw.fit("y ~ x + (1 | g)", data)
    assert m.singular
    assert any("Singular fit" in msg for msg in m.messages)
    assert "Singular fit" in m.summary()


def test_weights_match_replicated_rows_for_ml():
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(20), 5)
    data = pd.DataFrame({"y": rng.normal(size=100) + rng.normal(size=20)[g], "x": rng.normal(size=100), "g": g})
    data["w"] = 2.0
    weighted = mw.fit("y ~ x + (1 | g)", data, weights="w", reml=False)
    assert weighted.fixef.to_numpy() == pytest.approx(mw.fit("y ~ x + (1 | g)", data, reml=False).fixef.to_numpy())


@pytest.mark.parametrize(
    "reml, objective, fixef, sigma",
    [
        (True, 322.6999, [0.09375163, -0.2685316], 1.369598),  # lme4 1.1-31: lmer(y ~ x + (1|g), weights = w)
        (False, 318.6522, [0.09391543, -0.2684005], 1.361707),
    ],
)
def test_prior_weights_match_lme4(reml, objective, fixef, sigma):
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(20), 5)
    data = pd.DataFrame(
        {
            "y": rng.normal(size=100) + rng.normal(size=20)[g],
            "x": rng.normal(size=100),
            "g": g,
            "w": rng.uniform(0.5, 3, 100),
        }
    )
    m = mw.fit("y ~ x + (1 | g)", data, weights="w", reml=reml)
    assert m.objective == pytest.approx(objective, abs=2e-3)
    np.testing.assert_allclose(m.fixef, fixef, atol=1e-5)
    assert m.sigma == pytest.approx(sigma, rel=1e-5)
