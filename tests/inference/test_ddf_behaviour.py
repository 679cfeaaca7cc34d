"""coef_table(ddf=), anova(): choices, errors, the asymptotic method, intervals, summaries that name the method."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from ddf_cases import fitted, load_data
from scipy import stats

import mixedwidgets as mw
from mixedwidgets.errors import MixedModelError
from mixedwidgets.inference.satterthwaite import combined_df

COLUMNS = ["estimate", "std_error", "df", "t_value", "p_value", "conf_low", "conf_high"]


@pytest.fixture(scope="module")
def sleep_model():
    return fitted("sleepstudy_reml")


@pytest.fixture(scope="module")
def cake_model():
    return fitted("cake_reml")


def test_satterthwaite_is_the_default_with_lmertest_columns(sleep_model):
    table = sleep_model.coef_table()
    assert list(table.columns) == COLUMNS
    pd.testing.assert_frame_equal(table, sleep_model.coef_table(ddf="satterthwaite"))
    np.testing.assert_allclose(table.t_value, table.estimate / table.std_error)
    np.testing.assert_allclose(table.p_value, 2 * stats.t.sf(np.abs(table.t_value), table.df))


def test_interval_uses_the_chosen_df_and_level(cake_model):
    for ddf in ("satterthwaite", "kenward-roger", "asymptotic"):
        table = cake_model.coef_table(level=0.9, ddf=ddf)
        half = stats.t.ppf(0.95, table.df) * table.std_error
        np.testing.assert_allclose(table.conf_high - table.estimate, half)
        np.testing.assert_allclose(table.estimate - table.conf_low, half)


def test_asymptotic_gives_z_tests_with_infinite_df(cake_model):
    table = cake_model.coef_table(ddf="asymptotic")
    assert np.isinf(table.df).all()
    np.testing.assert_allclose(table.std_error, np.sqrt(np.diag(cake_model.vcov)))
    np.testing.assert_allclose(table.p_value, 2 * stats.norm.sf(np.abs(table.t_value)))
    anova = cake_model.anova(ddf="asymptotic")
    assert np.isinf(anova.den_df).all()
    np.testing.assert_allclose(anova.p_value, stats.chi2.sf(anova.f_value * anova.num_df, anova.num_df))


def test_kenward_roger_needs_reml():
    with pytest.raises(MixedModelError, match="REML"):
        fitted("sleepstudy_ml").coef_table(ddf="kenward-roger")
    with pytest.raises(MixedModelError, match="REML"):
        fitted("cake_ml").anova(ddf="kenward-roger")


def test_bad_arguments_are_refused_with_the_reason(sleep_model):
    with pytest.raises(MixedModelError, match="ddf must be"):
        sleep_model.coef_table(ddf="containment")
    with pytest.raises(MixedModelError, match="type must be"):
        sleep_model.anova(type=2)
    with pytest.raises(MixedModelError, match="level"):
        sleep_model.coef_table(level=95)


def test_glmm_keeps_z_tests_and_says_why_other_ddf_are_refused():
    cbpp = mw.datasets.load("cbpp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = mw.fit("cbind(incidence, size - incidence) ~ period + (1 | herd)", cbpp, family="binomial")
    pd.testing.assert_frame_equal(m.coef_table(), m.coef_table(ddf="asymptotic"))
    with pytest.raises(MixedModelError, match="z .*glmer"):
        m.coef_table(ddf="satterthwaite")


def test_type3_does_not_depend_on_the_contrast_coding():
    data = load_data("factor_slope_reml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        treatment = mw.fit("y ~ f * x + (1 + x | g)", data)
        summed = mw.fit("y ~ C(f, Sum) * x + (1 + x | g)", data)
    a, b = treatment.anova(), summed.anova()
    np.testing.assert_allclose(a.f_value, b.f_value, rtol=2e-5)
    np.testing.assert_allclose(a.den_df, b.den_df, rtol=2e-5)
    assert list(b.index) == ["C(f, Sum)", "x", "C(f, Sum):x"]


def test_anova_of_a_one_column_term_equals_the_squared_t_test(sleep_model):
    row = sleep_model.anova().loc["Days"]
    t = sleep_model.coef_table().loc["Days"]
    assert row.num_df == 1
    assert row.f_value == pytest.approx(t.t_value**2, rel=1e-10)
    assert row.den_df == pytest.approx(t.df, rel=1e-10)


def test_intercept_only_fixed_part_has_an_empty_anova():
    m = mw.fit("Reaction ~ 1 + (1 | Subject)", mw.datasets.load("sleepstudy"))
    assert m.anova().empty and m.anova(type=1).empty
    assert m.coef_table().df.iloc[0] == pytest.approx(17.0, rel=1e-3)


def test_combined_df_follows_lmertest():
    assert combined_df(np.array([12.0])) == 12.0
    assert combined_df(np.array([5.0, 5.0])) == 5.0
    assert combined_df(np.array([1.5, 30.0])) == 2.0
    nu = np.array([8.0, 20.0, 40.0])
    e = np.sum(nu / (nu - 2))
    assert combined_df(nu) == pytest.approx(2 * e / (e - 3))


def test_the_data_is_not_modified(cake_model):
    before = cake_model.data.copy()
    cake_model.anova(type=3)
    pd.testing.assert_frame_equal(cake_model.data, before)


def test_summary_names_the_method_as_lmertest(sleep_model):
    text = sleep_model.summary()
    assert "t-tests use Satterthwaite's method" in text
    assert "Pr(>|t|)" in text and " df " in text
    assert "Kenward-Roger's method" in sleep_model.summary(ddf="kenward-roger")
    html = sleep_model._repr_html_()
    assert "Satterthwaite&#x27;s method" in html and "<th>df</th>" in html
    assert "Kenward-Roger&#x27;s method" in sleep_model._repr_html_(ddf="kenward-roger")


def test_hessian_eigenvalues_that_are_not_positive_are_reported_and_left_out():
    from mixedwidgets.inference.varpar import covariance_from_hessian

    vectors = np.linalg.qr(np.random.default_rng(3).normal(size=(3, 3)))[0]
    hessian = vectors @ np.diag([4.0, -1e-3, 1e-12]) @ vectors.T
    covariance, notes = covariance_from_hessian(hessian)
    assert any("negative" in n for n in notes) and any("close to zero" in n for n in notes)
    np.testing.assert_allclose(covariance, 2 * np.outer(vectors[:, 0], vectors[:, 0]) / 4.0, atol=1e-12)
    assert covariance_from_hessian(np.diag([2.0, 8.0]))[1] == ()


@pytest.mark.parametrize("last_x", [0.0, 1e-150, 1e150])
def test_a_degenerate_fit_gets_missing_df_not_a_crash(last_x):
    """Found by the fuzz tests: 13 rows, x all 0 but one, two groups with a missing label. Satterthwaite's
    derivatives break down (or overflow) there; the tables must still come out, with NaN df and a warning."""
    import warnings

    data = pd.DataFrame(
        {"y": [0.0] * 3 + [1.0] + [0.0] * 9, "x": [0.0] * 12 + [last_x], "g": ["a"] * 4 + [None] * 8 + ["b"]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = mw.fit("y ~ x + (1 | g)", data)
        table = m.coef_table()
        m.summary(), m._repr_html_()
    assert list(table.columns) == ["estimate", "std_error", "df", "t_value", "p_value", "conf_low", "conf_high"]
    assert np.isfinite(table["estimate"]).all()
