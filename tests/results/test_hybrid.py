"""Hybrid (within-between) models: within()/between() in formulas, demean(), the contextual effect,
and the hybrid view."""

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets.demean import demean
from mixedwidgets.errors import MixedModelError, MixedModelWarning
from mixedwidgets.results.contextual import ContextualEffect, contextual_effect
from mixedwidgets.widgets.hybrid_view import HybridView, hybrid_view

HYBRID = "y ~ within(A, g) + between(A, g) + (1 | g)"


def make_data(seed=11, groups=25, size=8):
    """A variable whose group means matter more than its within-group variation."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(groups), size)
    centre = rng.normal(0, 1, groups)
    A = centre[g] + rng.normal(0, 1, len(g))
    y = 1.0 + 0.4 * (A - centre[g]) + 1.5 * centre[g] + rng.normal(0, 0.6, groups)[g]
    y += rng.normal(0, 1, len(g))
    return pd.DataFrame({"y": y, "A": A, "g": [f"s{k:02d}" for k in g], "z": rng.normal(size=len(g))})


def fit_quietly(formula, data, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixedModelWarning)
        return mw.fit(formula, data, **options)


def hand_centred(data, used=None):
    frame = data if used is None else data.loc[used]
    means = frame.groupby("g")["A"].transform("mean")
    return frame.assign(A_w=frame["A"] - means, A_b=means)


@pytest.fixture(scope="module")
def data():
    return make_data()


@pytest.fixture(scope="module")
def model(data):
    return mw.fit(HYBRID, data)


# --- within() and between() in formulas ------------------------------------------------------


def test_hybrid_formula_matches_hand_centred_columns(data, model):
    manual = mw.fit("y ~ A_w + A_b + (1 | g)", hand_centred(data))
    assert model.design.fixed_names == ("(Intercept)", "within(A, g)", "between(A, g)")
    np.testing.assert_allclose(model.fixef.to_numpy(), manual.fixef.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(model.vcov.to_numpy(), manual.vcov.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(model.objective, manual.objective, rtol=1e-10)
    np.testing.assert_allclose(model.sigma, manual.sigma, rtol=1e-8)


def test_caller_frame_is_not_modified(data):
    before = data.copy()
    fit_quietly(HYBRID, data)
    pd.testing.assert_frame_equal(data, before)


def test_group_means_use_only_the_rows_in_the_fit(data):
    gappy = data.copy()
    gappy.loc[gappy.index[::3], "y"] = np.nan
    with pytest.warns(MixedModelWarning, match="missing values"):
        m = mw.fit(HYBRID, gappy)
    used = m.design.row_index
    expected = hand_centred(gappy, used)
    np.testing.assert_allclose(m.design.X[:, 2], expected["A_b"].to_numpy())
    np.testing.assert_allclose(m.design.X[:, 1], expected["A_w"].to_numpy())
    all_rows = data.groupby("g")["A"].transform("mean").loc[used].to_numpy()
    assert not np.allclose(m.design.X[:, 2], all_rows)


def test_rows_dropped_by_a_transform_are_left_out_of_the_means(data):
    frame = data.assign(pos=np.where(np.arange(len(data)) % 4 == 0, -1.0, 2.0 + data["z"].abs()))
    with pytest.warns(MixedModelWarning, match="NaN"):
        m = mw.fit("y ~ within(A, g) + between(A, g) + log(pos) + (1 | g)", frame)
    expected = hand_centred(frame, m.design.row_index)
    np.testing.assert_allclose(m.design.X[:, 2], expected["A_b"].to_numpy())


def test_predict_new_data_reuses_the_stored_group_means(data, model):
    new = pd.DataFrame({"A": [10.0, -3.0], "g": ["s03", "s07"]})
    means = data.groupby("g")["A"].mean()
    b = model.ranef().set_index("level")["condval"]
    beta = model.fixef
    expected = [
        beta.iloc[0] + beta.iloc[1] * (a - means[g]) + beta.iloc[2] * means[g] + b[g]
        for a, g in zip(new["A"], new["g"])
    ]
    np.testing.assert_allclose(model.predict(new), expected)
    typical = [
        beta.iloc[0] + beta.iloc[1] * (a - means[g]) + beta.iloc[2] * means[g] for a, g in zip(new["A"], new["g"])
    ]
    np.testing.assert_allclose(model.predict(new, kind="typical"), typical)


def test_predict_on_the_fitted_rows_reproduces_fitted_values(data, model):
    np.testing.assert_allclose(model.predict(data), model.fitted())


def test_unseen_group_uses_its_own_mean_with_one_warning(model):
    new = pd.DataFrame({"A": [1.0, 3.0, 0.5], "g": ["new", "new", "s01"]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X, *_ = model.design.model_matrices(new)
    messages = [str(w.message) for w in caught if issubclass(w.category, MixedModelWarning)]
    assert len(messages) == 1
    assert "1 group(s) not seen in the fit ('new')" in messages[0] and "new data itself" in messages[0]
    np.testing.assert_allclose(X[:2, 1], [-1.0, 1.0])
    np.testing.assert_allclose(X[:2, 2], [2.0, 2.0])


def test_missing_group_in_new_data_gives_nan(model):
    new = pd.DataFrame({"A": [1.0, 2.0], "g": [None, "s01"]})
    X, *_ = model.design.model_matrices(new, random=False)
    assert np.isnan(X[0, 1:]).all() and np.isfinite(X[1]).all()


def test_within_in_a_random_term_and_several_grouping_columns(data):
    frame = data.assign(h=np.tile(["u", "v"], len(data) // 2))
    m = fit_quietly("y ~ within(A, g) + between(A, g) + (1 + within(A, g) | g)", frame)
    assert m.design.terms[0].columns == ("(Intercept)", "within(A, g)")
    np.testing.assert_allclose(m.design.terms[0].values[:, 1], m.design.X[:, 1])
    two = build_hybrid_design("y ~ within(A, g, h) + (1 | g)", frame)
    cell_means = frame.groupby(["g", "h"])["A"].transform("mean").to_numpy()
    np.testing.assert_allclose(two.X[:, 1], frame["A"].to_numpy() - cell_means)


def build_hybrid_design(formula, frame):
    from mixedwidgets.design import build_design
    from mixedwidgets.formula import parse_formula

    return build_design(parse_formula(formula), frame)


def test_within_of_a_non_numeric_variable_is_an_error(data):
    with pytest.raises(MixedModelError, match="within\\(\\) needs a numeric variable"):
        mw.fit("y ~ within(g, g) + (1 | g)", data)


# --- demean ------------------------------------------------------------------------------


def test_demean_adds_within_and_between_columns(data):
    before = data.copy()
    out = demean(data, ["A", "z"], by="g")
    pd.testing.assert_frame_equal(data, before)
    assert list(out.columns) == [*data.columns, "A_within", "A_between", "z_within", "z_between"]
    means = data.groupby("g")["A"].transform("mean")
    np.testing.assert_allclose(out["A_between"], means)
    np.testing.assert_allclose(out["A_within"] + out["A_between"], data["A"])
    np.testing.assert_allclose(out.groupby("g")["z_within"].mean(), 0.0, atol=1e-12)


def test_demean_ignores_missing_values_and_missing_groups():
    frame = pd.DataFrame({"A": [1.0, np.nan, 3.0, 4.0, 5.0], "g": ["a", "a", "a", None, "b"]})
    out = demean(frame, "A", by="g")
    np.testing.assert_allclose(out["A_between"], [2.0, 2.0, 2.0, np.nan, 5.0])
    np.testing.assert_allclose(out["A_within"], [-1.0, np.nan, 1.0, np.nan, 0.0])


@pytest.mark.parametrize(
    "columns, by, message",
    [
        (["nope"], "g", "'nope' is not in the data"),
        (["A"], "A", "both a variable and a grouping"),
        ([], "g", "empty"),
        (["g"], "z", "numeric"),
    ],
)
def test_demean_errors(data, columns, by, message):
    with pytest.raises(MixedModelError, match=message):
        demean(data, columns, by=by)


# --- the contextual effect ---------------------------------------------------------------


def test_contextual_effect_and_its_standard_error(model):
    effect = contextual_effect(model, "A")
    beta, V = model.fixef, model.vcov
    w, b = "within(A, g)", "between(A, g)"
    assert isinstance(effect, ContextualEffect)
    assert effect.estimate == pytest.approx(beta[b] - beta[w])
    se = np.sqrt(V.loc[b, b] + V.loc[w, w] - 2 * V.loc[w, b])
    assert effect.std_error == pytest.approx(se)
    assert effect.z == pytest.approx(effect.estimate / se)
    assert 0 <= effect.p_value < 0.05 and effect.within == pytest.approx(beta[w])
    assert "contextual effect" in effect.reading and "A" in effect.reading and str(effect) == effect.reading
    with pytest.raises(dataclasses.FrozenInstanceError):
        effect.estimate = 0.0


def test_contextual_effect_from_demean_columns_and_mundlak_form(data, model):
    hybrid = contextual_effect(model, "A")
    demeaned = contextual_effect(mw.fit("y ~ A_within + A_between + (1 | g)", demean(data, "A", "g")), "A")
    mundlak = contextual_effect(mw.fit("y ~ A + between(A, g) + (1 | g)", data), "A")
    for other in (demeaned, mundlak):
        assert other.estimate == pytest.approx(hybrid.estimate, rel=1e-6)
        assert other.std_error == pytest.approx(hybrid.std_error, rel=1e-4)
        assert other.between == pytest.approx(hybrid.between, rel=1e-6)
    assert demeaned.within_name == "A_within" and mundlak.within_name == "A"


def test_contextual_effect_errors(data, model):
    with pytest.raises(MixedModelError, match="no within- and between-group columns of 'z'"):
        contextual_effect(model, "z")
    frame = data.assign(h=np.tile(["u", "v"], len(data) // 2))
    both = fit_quietly("y ~ A + between(A, g) + between(A, h) + (1 | g)", frame)
    with pytest.raises(MixedModelError, match="several grouping factors"):
        contextual_effect(both, "A")
    assert contextual_effect(both, "A", group="h").between_name == "between(A, h)"


# --- the hybrid view ---------------------------------------------------------------------


def test_hybrid_view_draws_within_slopes_and_the_between_line(data, model):
    view = hybrid_view(model, "A")
    assert isinstance(view, HybridView)
    levels = model.design.terms[0].levels
    means = data.groupby("g")["A"].mean().loc[list(levels)].to_numpy()
    np.testing.assert_allclose(view.centres.x, means)
    wx, wy = np.asarray(view.within_lines.x), np.asarray(view.within_lines.y)
    assert wx.shape == wy.shape == (len(levels), 2)
    np.testing.assert_allclose(wx[:, 0], data.groupby("g")["A"].min().loc[list(levels)])
    slopes = (wy[:, 1] - wy[:, 0]) / (wx[:, 1] - wx[:, 0])
    np.testing.assert_allclose(slopes, model.fixef["within(A, g)"])
    bx, by = np.asarray(view.between_line.x), np.asarray(view.between_line.y)
    assert (by[1] - by[0]) / (bx[1] - bx[0]) == pytest.approx(model.fixef["between(A, g)"])
    u = model.ranef().set_index("level").loc[list(levels), "condval"].to_numpy()
    expected_centres = model.fixef.iloc[0] + model.fixef.iloc[2] * means + u
    np.testing.assert_allclose(view.centres.y, expected_centres)
    assert len(view.points.x) == model.nobs


def test_hybrid_view_with_random_slopes_and_tooltip(data):
    m = fit_quietly("y ~ within(A, g) + between(A, g) + z + (1 + within(A, g) | g)", data)
    view = hybrid_view(m, "A")
    ranef = m.ranef()
    u1 = ranef[ranef["term"] == "within(A, g)"]["condval"].to_numpy()
    np.testing.assert_allclose(view.data.slope, m.fixef["within(A, g)"] + u1)
    view._hovered(None, {"point": {"index": 2}})
    assert view.data.levels[2] in view.hover_html.value
    view._hovered(None, {"point": {"index": "<script>"}})
    assert "contextual effect" in view.caption.value


def test_hybrid_model_for_a_binary_outcome(data):
    binary = data.assign(high=(data["y"] > data["y"].median()).astype(int))
    m = mw.fit("high ~ within(A, g) + between(A, g) + (1 | g)", binary, family="binomial")
    effect = contextual_effect(m, "A")
    assert effect.estimate == pytest.approx(m.fixef["between(A, g)"] - m.fixef["within(A, g)"])
    assert "(log-odds)" in effect.reading
    view = hybrid_view(m, "A")
    assert len(view.points.x) == 0 and "link scale" in view.data.y_label
    assert np.asarray(view.within_lines.x).shape == (len(m.design.terms[0].levels), 2)


def test_hybrid_view_needs_a_hybrid_model(data):
    plain = mw.fit("y ~ A + (1 | g)", data)
    with pytest.raises(MixedModelError, match="within\\(A, g\\)"):
        hybrid_view(plain, "A")
