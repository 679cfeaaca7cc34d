"""Bad input through the public mw.fit: a MixedModelError (a ValueError) whose message names the problem.

One test per case. Each asserts the error type and that the message names the column, term or
value at fault; warnings (rank deficiency, scaling, dropped rows) are checked the same way.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets import MixedModelError, MixedModelWarning

N = 60


@pytest.fixture
def df():
    rng = np.random.default_rng(6)
    g = np.repeat(np.arange(6), 10)
    return pd.DataFrame(
        {
            "y": rng.normal(size=N) + rng.normal(size=6)[g],
            "x": rng.normal(size=N),
            "z": rng.normal(size=N),
            "g": np.array(list("abcdef"))[g],
            "h": np.tile(list("pqrs"), 15),
            "b": rng.integers(0, 2, N),
            "c": rng.poisson(2.0, N),
        }
    )


def fit_error(formula, data, **options) -> str:
    """The message of the MixedModelError that mw.fit raises (fails if it raises anything else)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixedModelWarning)
        with pytest.raises(MixedModelError) as info:
            mw.fit(formula, data, **options)
    assert isinstance(info.value, ValueError)
    return str(info.value)


def quiet_fit(formula, data, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixedModelWarning)
        return mw.fit(formula, data, **options)


# --- the data ---------------------------------------------------------------------------------------


def test_empty_dataframe(df):
    assert "no rows" in fit_error("y ~ x + (1 | g)", df.iloc[:0])


def test_dataframe_without_columns():
    assert "no rows" in fit_error("y ~ x + (1 | g)", pd.DataFrame())


def test_data_that_is_not_a_dataframe(df):
    assert "DataFrame" in fit_error("y ~ x + (1 | g)", df.to_dict())


def test_every_row_missing(df):
    assert "no rows left" in fit_error("y ~ x + (1 | g)", df.assign(x=np.nan))


# --- the formula ------------------------------------------------------------------------------------


def test_formula_without_random_effects_points_to_a_glm(df):
    message = fit_error("y ~ x", df)
    assert "no random-effect term" in message and "GLM" in message


def test_formula_that_is_not_a_string(df):
    assert "string" in fit_error(42, df)


def test_unclosed_parenthesis_is_pointed_at(df):
    message = fit_error("y ~ x + (1 | g", df)
    assert "'(' is never closed" in message
    assert message.splitlines()[-1].index("^") == "y ~ x + (1 | g".index("(") + 4


def test_unmatched_closing_parenthesis(df):
    assert "unmatched ')'" in fit_error("y ~ x + 1 | g)", df)


def test_stray_bar_outside_parentheses(df):
    assert "stray '|'" in fit_error("y ~ x + 1 | g", df)


def test_two_bars_in_one_term(df):
    assert "only one '|'" in fit_error("y ~ x + (1 | g | h)", df)


def test_name_with_a_space_needs_backticks(df):
    message = fit_error("y ~ my col + (1 | g)", df.rename(columns={"x": "my col"}))
    assert "`my col`" in message and "backticks" in message


def test_empty_backticks(df):
    assert "empty ``" in fit_error("y ~ x + `` + (1 | g)", df)


# --- columns ----------------------------------------------------------------------------------------


def test_missing_response_column_is_named_with_a_suggestion(df):
    message = fit_error("yy ~ x + (1 | g)", df)
    assert "'yy'" in message and "did you mean 'y'" in message


def test_missing_predictor_column_is_named_with_a_suggestion(df):
    message = fit_error("y ~ xx + (1 | g)", df)
    assert "'xx'" in message and "did you mean 'x'" in message


def test_missing_grouping_column_is_named_with_a_suggestion(df):
    message = fit_error("y ~ x + (1 | G)", df)
    assert "'G'" in message and "did you mean 'g'" in message


def test_missing_column_suggests_the_backticked_name(df):
    message = fit_error("y ~ blood + (1 | g)", df.rename(columns={"x": "blood-pressure"}))
    assert "'blood'" in message and "`blood-pressure`" in message


@pytest.mark.parametrize("name", ["my col", "a-b", "x+y", "if", "x[1]", "naïve", "it's", "a|b", "a:b"])
def test_odd_column_names_work_in_backticks(df, name):
    data = df.rename(columns={"x": name, "g": f"{name} g", "y": f"{name} y"})
    m = quiet_fit(f"`{name} y` ~ `{name}` + (1 + `{name}` | `{name} g`)", data)
    assert list(m.fixef.index) == ["(Intercept)", name]
    assert m.ngroups == {f"`{name} g`": 6}
    reference = quiet_fit("y ~ x + (1 + x | g)", df)
    np.testing.assert_allclose(m.fixef.to_numpy(), reference.fixef.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(m.predict(data.head(8)), m.fitted()[:8], rtol=1e-10)


# --- the response -----------------------------------------------------------------------------------


def test_non_numeric_gaussian_response(df):
    message = fit_error("s ~ x + (1 | g)", df.assign(s=["low", "high"] * 30))
    assert "'s'" in message and "numeric" in message


def test_binomial_response_outside_zero_one(df):
    message = fit_error("y ~ x + (1 | g)", df, family="binomial")
    assert "'y'" in message and "[0, 1]" in message


def test_cbind_with_negative_counts(df):
    message = fit_error("cbind(c, f) ~ x + (1 | g)", df.assign(f=-df["c"]), family="binomial")
    assert "'f'" in message and "non-negative" in message


def test_negative_poisson_counts(df):
    message = fit_error("y ~ x + (1 | g)", df, family="poisson")
    assert "'y'" in message and "non-negative" in message


def test_non_integer_poisson_counts(df):
    message = fit_error("c2 ~ x + (1 | g)", df.assign(c2=df["c"] + 0.5), family="poisson")
    assert "'c2'" in message and "whole counts" in message


def test_constant_gaussian_response(df):
    message = fit_error("y ~ x + (1 | g)", df.assign(y=3.0))
    assert "'y'" in message and "same value (3)" in message


def test_poisson_response_that_is_always_zero(df):
    message = fit_error("c ~ x + (1 | g)", df.assign(c=0), family="poisson")
    assert "'c'" in message and "0 in every row" in message


def test_binomial_response_that_is_always_a_success(df):
    message = fit_error("b ~ x + (1 | g)", df.assign(b=1), family="binomial")
    assert "'b'" in message and "success" in message


def test_infinite_response(df):
    message = fit_error("y ~ x + (1 | g)", df.assign(y=df["y"].where(df.index != 4, np.inf)))
    assert "'y'" in message and "infinite" in message


def test_response_too_large_for_double_precision(df):
    message = fit_error("y ~ x + (1 | g)", df.assign(y=df["y"] * 1e200))
    assert "'y'" in message and "rescale" in message


# --- predictors -------------------------------------------------------------------------------------


def test_infinite_predictor(df):
    message = fit_error("y ~ x + (1 | g)", df.assign(x=df["x"].where(df.index != 7, -np.inf)))
    assert "'x'" in message and "infinite" in message


def test_infinite_value_made_by_a_transform(df):
    message = fit_error("y ~ np.log(e) + (1 | g)", df.assign(e=np.where(df.index == 3, 0.0, 1.0 + df.index)))
    assert "np.log(e)" in message and "infinite" in message


def test_predictor_too_large_for_double_precision(df):
    message = fit_error("y ~ x + (1 | g)", df.assign(x=df["x"] * 1e160))
    assert "'x'" in message and "magnitude" in message


def test_rank_deficient_x_drops_the_aliased_column_with_a_warning(df):
    with pytest.warns(MixedModelWarning, match=r"rank deficient.*dropping 1 column\(s\): x2"):
        m = mw.fit("y ~ x + x2 + (1 | g)", df.assign(x2=2 * df["x"] + 1))
    assert list(m.fixef.index) == ["(Intercept)", "x"]


def test_badly_scaled_predictors_warn_with_a_hint(df):
    with pytest.warns(MixedModelWarning, match=r"'big'.*consider rescaling"):
        mw.fit("y ~ x + big + (1 | g)", df.assign(big=df["z"] * 1e6))


def test_one_predictor_on_an_extreme_scale_warns(df):
    with pytest.warns(MixedModelWarning, match=r"'x' sd 1\.\d+e\+08.*consider rescaling"):
        mw.fit("y ~ x + (1 | g)", df.assign(x=df["x"] * 1e8))


def test_missing_values_are_counted_and_reported(df):
    data = df.assign(x=df["x"].where(~df.index.isin([2, 9, 31]), np.nan))
    with pytest.warns(MixedModelWarning, match="3 row"):
        m = mw.fit("y ~ x + (1 | g)", data)
    assert (m.n_dropped, m.nobs) == (3, N - 3)
    assert "3 rows with missing values dropped" in m.summary()
    assert "3 rows with missing values dropped" in m._repr_html_()


# --- grouping factors and sizes (lme4's checks) -----------------------------------------------------


def test_grouping_factor_with_one_level(df):
    message = fit_error("y ~ x + (1 | one)", df.assign(one="only"))
    assert "'one'" in message and "1 level" in message


def test_grouping_factor_with_a_level_per_row(df):
    message = fit_error("y ~ x + (1 | id)", df.assign(id=np.arange(N)))
    assert "'id'" in message and "as many levels (60) as observations (60)" in message


def test_a_level_per_row_is_allowed_without_a_residual_variance(df):
    m = quiet_fit("b ~ x + (1 | id)", df.assign(id=np.arange(N)), family="binomial")
    assert m.ngroups == {"id": N}


def test_more_random_effects_than_observations(df):
    data = df.iloc[:12].assign(g=np.repeat(np.arange(6), 2))
    message = fit_error("y ~ x + (1 + x + z | g)", data)
    assert "(1 + x + z | g)" in message and "18 random effects but only 12 observations" in message


def test_random_effects_are_counted_per_term_like_lme4(df):
    # 16 + 8 random effects in all for 20 rows: each term has fewer than 20, so lme4 fits it
    data = df.iloc[:20].assign(g=np.arange(20) % 8, h=np.arange(20) // 3 % 8)
    m = quiet_fit("y ~ x + (1 + x | g) + (1 | h)", data)
    assert m.ngroups == {"g": 8, "h": 7}


# --- weights, nagq and other arguments --------------------------------------------------------------


def test_weights_column_with_negative_values(df):
    message = fit_error("y ~ x + (1 | g)", df.assign(w=np.where(df.index == 5, -2.0, 1.0)), weights="w")
    assert "weights 'w'" in message and "1 value(s) are negative" in message


def test_zero_weights_in_a_gaussian_model(df):
    message = fit_error("y ~ x + (1 | g)", df.assign(w=np.where(df.index < 4, 0.0, 1.0)), weights="w")
    assert "4 row(s) have weight 0" in message


def test_infinite_weights(df):
    message = fit_error("y ~ x + (1 | g)", df.assign(w=np.where(df.index == 1, np.inf, 1.0)), weights="w")
    assert "'w'" in message and "infinite" in message


def test_weights_of_the_wrong_length(df):
    assert "one value per row" in fit_error("y ~ x + (1 | g)", df, weights=np.ones(3))


def test_nagq_with_a_vector_valued_random_term(df):
    message = fit_error("b ~ x + (1 + x | g)", df, family="binomial", nagq=5)
    assert "nagq" in message and "single scalar" in message and "x | g" in message


def test_nagq_with_several_random_terms(df):
    message = fit_error("b ~ x + (1 | g) + (1 | h)", df, family="binomial", nagq=5)
    assert "nagq" in message and re.search(r"\| h\).*\| g\)|\| g\).*\| h\)", message)


def test_nagq_for_a_gaussian_model(df):
    assert "nagq" in fit_error("y ~ x + (1 | g)", df, nagq=3)


def test_unknown_family(df):
    message = fit_error("y ~ x + (1 | g)", df, family="tweedie")
    assert "'tweedie'" in message and "negative_binomial" in message


def test_reml_that_is_not_true_or_false(df):
    assert "reml must be True or False" in fit_error("y ~ x + (1 | g)", df, reml="no")


def test_progress_that_is_not_callable(df):
    assert "progress" in fit_error("y ~ x + (1 | g)", df, progress=5)


def test_crossed_factors_beyond_memory_are_refused_with_the_estimate(monkeypatch):
    import mixedwidgets.backend.crossprod as crossprod

    monkeypatch.setattr(crossprod, "physical_memory", lambda: 2**30)  # a machine with 1 GiB
    rng = np.random.default_rng(0)
    n = 30_000
    data = pd.DataFrame({"y": rng.normal(size=n), "a": rng.integers(0, 12_000, n), "b": rng.integers(0, 9_000, n)})
    with pytest.raises(
        mw.MixedModelError, match=r"8,650 effects .* about 1\.7 GiB .* more than this machine's 1\.0 GiB"
    ):
        mw.fit("y ~ 1 + (1 | a) + (1 | b)", data)
