"""build_design: matrices, grouping factors, responses, missing values, checks, new data."""

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

from mixedwidgets import datasets
from mixedwidgets.design import Design, RandomEffectTerm, build_design
from mixedwidgets.errors import MixedModelError, MixedModelWarning
from mixedwidgets.formula import parse_formula


def build(text, data, **options):
    return build_design(parse_formula(text), data, **options)


def build_quietly(text, data, **options):
    """Build, failing the test on any MixedModelWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixedModelWarning)
        return build(text, data, **options)


def make_frame():
    rng = np.random.default_rng(7)
    n = 60
    trials = rng.integers(1, 10, n)
    successes = rng.binomial(trials, 0.4)
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "f": rng.choice(["a", "b", "c"], n),
            "g": np.repeat(np.arange(1, 13), 5),
            "h": np.tile(["u", "v", "w"], 20),
            "e": rng.uniform(1, 3, n),
            "count": rng.poisson(3, n),
            "succ": successes,
            "trials": trials,
            "share": successes / trials,
        }
    )


@pytest.fixture
def frame():
    return make_frame()


@pytest.fixture
def sleepstudy():
    return datasets.load("sleepstudy")


# --- the basic design ---------------------------------------------------------------------


def test_sleepstudy_design(sleepstudy):
    design = build_quietly("Reaction ~ Days + (Days | Subject)", sleepstudy)
    assert isinstance(design, Design) and design.response_name == "Reaction"
    np.testing.assert_array_equal(design.y, sleepstudy["Reaction"].to_numpy())
    assert design.fixed_names == ("(Intercept)", "Days")
    np.testing.assert_array_equal(design.X[:, 1], sleepstudy["Days"].to_numpy())
    assert design.X.dtype == np.float64 and design.y.dtype == np.float64
    (term,) = design.terms
    assert isinstance(term, RandomEffectTerm)
    assert term.columns == ("(Intercept)", "Days") and term.blocks == ((0, 1),)
    assert term.levels == tuple(sleepstudy["Subject"].cat.categories)
    assert term.codes.dtype == np.int64 and term.values.shape == (180, 2)
    assert list(np.asarray(term.levels)[term.codes]) == list(sleepstudy["Subject"].astype(str))
    assert design.weights is None and design.offset is None and design.n_dropped == 0
    assert design.row_index.equals(sleepstudy.index)


def test_design_is_frozen_and_its_arrays_read_only(sleepstudy):
    design = build("Reaction ~ Days + (Days | Subject)", sleepstudy)
    with pytest.raises(dataclasses.FrozenInstanceError):
        design.y = None
    with pytest.raises(dataclasses.FrozenInstanceError):
        design.terms[0].codes = None
    for array in (design.X, design.y, design.terms[0].values, design.terms[0].codes):
        with pytest.raises(ValueError):
            array[0] = 99


def test_interactions_and_functions_in_the_fixed_part(frame):
    design = build("y ~ x*f + np.log(e) + I(x**2) + (1 | g)", frame)
    expected = ("(Intercept)", "x", "fb", "fc", "np.log(e)", "I(x^2)", "x:fb", "x:fc")
    assert design.fixed_names == expected
    np.testing.assert_allclose(design.X[:, 4], np.log(frame["e"]))


def test_column_names_with_spaces(frame):
    data = frame.rename(columns={"x": "my x", "g": "my g"})
    design = build("y ~ `my x` + (1 + `my x` | `my g`)", data)
    assert design.fixed_names == ("(Intercept)", "my x")
    assert design.terms[0].columns == ("(Intercept)", "my x")


# --- the caller's data ----------------------------------------------------------------------


def test_callers_data_is_never_modified(frame):
    data = frame.copy()
    data.loc[[2, 9], "x"] = np.nan
    data.loc[4, "g"] = np.nan
    data["f"] = pd.Categorical(data["f"], categories=["c", "b", "a", "unused"])
    data["w"] = 1.0
    data.loc[11, "w"] = np.nan
    before, dtypes_before = data.copy(deep=True), data.dtypes.copy()
    with pytest.warns(MixedModelWarning):
        build("y ~ x + f + offset(np.log(e)) + (1 + z | g) + (1 | h)", data, weights="w")
    pd.testing.assert_frame_equal(data, before)
    assert data.dtypes.equals(dtypes_before)
    assert list(data["f"].cat.categories) == ["c", "b", "a", "unused"]
    weights = np.ones(len(frame))
    build("y ~ x + (1 | g)", frame, weights=weights)
    weights[0] = 2.0  # the caller's array stays writable


# --- missing values -------------------------------------------------------------------------


def test_rows_with_missing_values_in_used_columns_are_dropped(frame):
    data = frame.copy()
    for row, column in [(1, "y"), (3, "x"), (5, "g"), (7, "h"), (9, "e"), (11, "count")]:
        data.loc[row, column] = np.nan if column != "h" else None
    with pytest.warns(MixedModelWarning, match="5 row"):
        design = build("y ~ x + offset(e) + (1 | g) + (0 + z | h)", data)
    assert design.n_dropped == 5  # "count" is not used, row 11 stays
    assert list(design.row_index) == [i for i in data.index if i not in {1, 3, 5, 7, 9}]
    assert all(term.codes.shape == (len(data) - 5,) for term in design.terms)


def test_missing_weights_drop_rows_and_custom_row_labels_are_kept(frame):
    data = frame.set_index(pd.Index([f"r{i}" for i in range(len(frame))]))
    weights = np.ones(len(frame))
    weights[[0, 1]] = np.nan
    with pytest.warns(MixedModelWarning, match="2 row"):
        design = build("y ~ x + (1 | g)", data, weights=weights)
    assert design.n_dropped == 2 and design.weights.shape == (len(frame) - 2,)
    assert list(design.row_index) == [f"r{i}" for i in range(2, len(frame))]


def test_nan_made_by_a_transform_drops_the_row(frame):
    data = frame.assign(x=frame["x"].abs() + 1)
    data.loc[[0, 1], "x"] = -1.0
    with pytest.warns(MixedModelWarning, match="NaN"):
        design = build("y ~ np.log(x) + (1 | g)", data)
    assert design.n_dropped == 2 and np.isfinite(design.X).all()


# --- unknown columns ----------------------------------------------------------------------------


def test_unknown_column_suggests_close_matches_and_points_at_it(sleepstudy):
    with pytest.raises(MixedModelError) as caught:
        build("Reaction ~ days + (days | Subject)", sleepstudy)
    message = str(caught.value)
    assert "'days'" in message and "did you mean 'Days'" in message
    assert message.splitlines()[-1].index("^") - 4 == "Reaction ~ days".index("days")


@pytest.mark.parametrize(
    ("text", "options", "match"),
    [
        ("Reaction ~ Days + (1 | Subjects)", {}, "did you mean 'Subject'"),
        ("Reaction ~ qqq + (1 | Subject)", {}, "its columns are 'Reaction', 'Days', 'Subject'"),
        ("Reaction ~ Days + (1 | Subject)", {"weights": "wieghts"}, "'wieghts' is not in"),
    ],
)
def test_unknown_columns(sleepstudy, text, options, match):
    with pytest.raises(MixedModelError, match=match):
        build(text, sleepstudy, **options)


def test_formulaic_errors_become_readable_mixed_model_errors(frame):
    with pytest.raises(MixedModelError) as caught:
        build("y ~ nosuchfunction(x) + (1 | g)", frame)
    assert "nosuchfunction" in str(caught.value) and "\x1b[" not in str(caught.value)
    assert caught.value.__suppress_context__


# --- grouping factors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "levels"),
    [
        ([10, 9, 100, 2, 1, 20], ("1", "2", "9", "10", "20", "100")),
        ([2.0, 1.5, 1.0], ("1", "1.5", "2")),
        (["b", "c", "a"], ("a", "b", "c")),
        ([True, False], ("False", "True")),
        (pd.Categorical(["b", "c", "a"], categories=["c", "x", "a", "b"]), ("c", "a", "b")),
    ],
)
def test_group_levels_are_sorted_like_r_factor(frame, values, levels):
    grouping = np.repeat(np.asarray(values), len(frame) // len(values))
    if isinstance(values, pd.Categorical):
        grouping = pd.Categorical(grouping, categories=values.categories)
    term = build("y ~ x + (1 | g)", frame.assign(g=grouping)).terms[0]
    assert term.levels == levels
    assert list(np.asarray(term.levels)[term.codes]) == [levels_label(v) for v in grouping]


def levels_label(value):
    return str(int(value)) if isinstance(value, float) and value == int(value) else str(value)


def test_levels_only_seen_in_dropped_rows_disappear(frame):
    data = frame.assign(g=np.repeat(["a", "b", "c"], 20))
    data.loc[data["g"] == "c", "x"] = np.nan
    with pytest.warns(MixedModelWarning):
        assert build("y ~ x + (1 | g)", data).terms[0].levels == ("a", "b")


def test_interaction_group_has_observed_combinations_first_factor_slowest(frame):
    data = frame.assign(a=np.repeat([2, 1], 30), b=np.tile(["q", "p", "r"], 20))
    data = data[~((data["a"] == 2) & (data["b"] == "r"))]
    (term,) = build("y ~ x + (1 | a:b)", data).terms
    assert term.group == "a:b"
    assert term.levels == ("1:p", "1:q", "1:r", "2:p", "2:q")
    labels = data["a"].astype(str) + ":" + data["b"]
    assert list(np.asarray(term.levels)[term.codes]) == list(labels)


def test_nested_grouping_builds_both_factors(frame):
    design = build("y ~ x + (1 | g/h)", frame)
    assert [(t.group, len(t.levels)) for t in design.terms] == [("g", 12), ("h:g", 36)]  # lme4's name


# --- random-effect terms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "columns", "blocks"),
    [
        ("y ~ x + (1 + x + z | g)", ("(Intercept)", "x", "z"), ((0, 1, 2),)),
        ("y ~ x + (1 + x + z || g)", ("(Intercept)", "x", "z"), ((0,), (1,), (2,))),
        ("y ~ x + (1 | g) + (0 + x | g)", ("(Intercept)", "x"), ((0,), (1,))),
        ("y ~ x + (1 + x | g) + (0 + z | g)", ("(Intercept)", "x", "z"), ((0, 1), (2,))),
        ("y ~ x + (0 + x | g)", ("x",), ((0,),)),
        ("y ~ x + (1 + f | g)", ("(Intercept)", "fb", "fc"), ((0, 1, 2),)),
        ("y ~ x + (0 + f | g)", ("fa", "fb", "fc"), ((0, 1, 2),)),
        ("y ~ x + (1 + f || g)", ("(Intercept)", "fb", "fc"), ((0,), (1, 2))),
    ],
)
def test_random_term_columns_and_blocks(frame, text, columns, blocks):
    (term,) = build(text, frame).terms
    assert (term.columns, term.blocks) == (columns, blocks)
    assert term.values.shape == (len(frame), len(columns))
    for index, name in enumerate(columns):
        expected = np.ones(len(frame)) if name == "(Intercept)" else frame.get(name)
        if expected is None:  # a dummy column such as "fb"
            expected = (frame[name[0]] == name[1:]).to_numpy(float)
        np.testing.assert_array_equal(term.values[:, index], expected)


def test_merged_terms_keep_first_appearance_order(frame):
    design = build("y ~ x + (1 | h) + (1 | g) + (0 + x | h)", frame)
    assert [(t.group, t.columns) for t in design.terms] == [
        ("h", ("(Intercept)", "x")),
        ("g", ("(Intercept)",)),
    ]


def test_observation_level_effect_is_allowed_for_poisson(frame):
    data = frame.assign(row=np.arange(len(frame)))
    design = build("count ~ x + (1 | row)", data, family="poisson")
    assert len(design.terms[0].levels) == len(frame)


# --- responses and weights -------------------------------------------------------------------


def test_response_expression(frame):
    np.testing.assert_allclose(build("np.log(e) ~ x + (1 | g)", frame).y, np.log(frame["e"]))


def yes_no_categorical(d):
    return pd.Categorical(np.where(d["y"] > 0, "yes", "no"), categories=["yes", "no"])


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (lambda d: (d["y"] > 0).astype(int), lambda d: d["y"] > 0),
        (lambda d: d["y"] > 0, lambda d: d["y"] > 0),
        (lambda d: np.where(d["y"] > 0, "yes", "no"), lambda d: d["y"] > 0),
        (yes_no_categorical, lambda d: d["y"] <= 0),
    ],
    ids=["zero-one", "booleans", "strings", "categorical-order"],
)
def test_binomial_response_forms(frame, column, expected):
    design = build_quietly("r ~ x + (1 | g)", frame.assign(r=column(frame)), family="binomial")
    np.testing.assert_array_equal(design.y, expected(frame).to_numpy(float))
    assert design.weights is None


def test_binomial_cbind_gives_proportions_and_trials():
    cbpp = datasets.load("cbpp")
    design = build("cbind(incidence, size - incidence) ~ period + (1 | herd)", cbpp, family="binomial")
    assert design.fixed_names == ("(Intercept)", "period2", "period3", "period4")
    np.testing.assert_allclose(design.y, cbpp["incidence"] / cbpp["size"])
    np.testing.assert_array_equal(design.weights, cbpp["size"].to_numpy(float))


def test_binomial_proportion_with_weights(frame):
    design = build_quietly("share ~ x + (1 | g)", frame, family="binomial", weights="trials")
    np.testing.assert_allclose(design.y, frame["share"])
    np.testing.assert_array_equal(design.weights, frame["trials"].to_numpy(float))


def test_poisson_counts(frame):
    design = build_quietly("count ~ x + (1 | g)", frame, family="poisson")
    np.testing.assert_array_equal(design.y, frame["count"].to_numpy(float))


def test_weights_from_a_column_or_an_array(frame):
    by_name = build("y ~ x + (1 | g)", frame, weights="e")
    by_array = build("y ~ x + (1 | g)", frame, weights=frame["e"].to_numpy())
    np.testing.assert_array_equal(by_name.weights, frame["e"].to_numpy())
    np.testing.assert_array_equal(by_array.weights, by_name.weights)


def test_offsets_go_to_design_offset_not_x(frame):
    design = build("y ~ x + offset(np.log(e)) + offset(z) + (1 | g)", frame)
    assert design.fixed_names == ("(Intercept)", "x")
    np.testing.assert_allclose(design.offset, np.log(frame["e"]) + frame["z"])


# --- errors -------------------------------------------------------------------------------------


def with_value(column, row, value):
    def change(data):
        data = data.assign(**{column: data[column].astype(float)})
        data.loc[row, column] = value
        return data

    return change


def same(data):
    return data


def row_numbers(data):
    return data.assign(row=np.arange(len(data)))


def twelve_rows(data):
    return data.iloc[:12].assign(g=np.repeat(np.arange(6), 2))


BINOMIAL, POISSON = {"family": "binomial"}, {"family": "poisson"}
ERRORS = {  # id: (formula, change of the data, options, message pattern)
    "gaussian-numbers": ("f ~ x + (1 | g)", same, {}, "must be numeric"),
    "one-level": ("y ~ x + (1 | g)", lambda d: d.assign(g=1), {}, "at least 2"),
    "levels-equal-rows": ("y ~ x + (1 | row)", row_numbers, {}, "as many levels"),
    "effects-over-rows": ("y ~ x + (1 + x + z | g)", twelve_rows, {}, "18 random effects but"),
    "same-effect-twice": ("y ~ x + (1 | g) + (1 + x | g)", same, {}, "more than once"),
    "binomial-3-levels": ("f ~ x + (1 | g)", same, BINOMIAL, "exactly two"),
    "binomial-range": ("count ~ x + (1 | g)", same, BINOMIAL, r"\[0, 1\]"),
    "proportion-no-weights": ("share ~ x + (1 | g)", same, BINOMIAL, "weights="),
    "cbind-negative": ("cbind(succ, succ - trials) ~ (1 | g)", same, BINOMIAL, "non-negative"),
    "cbind-not-binomial": ("cbind(succ, trials - succ) ~ (1 | g)", same, {}, "binomial"),
    "poisson-negative": ("count ~ (1 | g)", with_value("count", 0, -1), POISSON, "non-negative"),
    "poisson-fraction": ("count ~ (1 | g)", with_value("count", 0, 0.5), POISSON, "whole counts"),
    "negative-weights": ("y ~ x + (1 | g)", same, {"weights": -np.ones(60)}, "non-negative"),
    "weights-length": ("y ~ x + (1 | g)", same, {"weights": [1.0, 2.0]}, "one value per row"),
    "infinite-column": ("y ~ (1 + z | g)", with_value("z", 0, np.inf), {}, "'z' has infinite"),
    "infinite-transform": ("y ~ np.log(e) + (1 | g)", with_value("e", 0, 0.0), {}, "infinite"),
    "no-rows-left": ("y ~ x + (1 | g)", lambda d: d.assign(x=np.nan), {}, "no rows left"),
    "empty-data": ("y ~ x + (1 | g)", lambda d: d.iloc[:0], {}, "no rows"),
    "not-a-dataframe": ("y ~ x + (1 | g)", lambda d: d.to_dict(), {}, "DataFrame"),
}


@pytest.mark.parametrize(("text", "change", "options", "match"), ERRORS.values(), ids=ERRORS)
def test_errors(frame, text, change, options, match):
    with pytest.raises(MixedModelError, match=match):
        build(text, change(frame), **options)


# --- rank and scaling -----------------------------------------------------------------------------


def test_aliased_columns_are_dropped_with_a_warning(frame):
    with pytest.warns(MixedModelWarning, match=r"rank deficient.*I\(2 \* x\)"):
        design = build("y ~ x + I(2 * x) + z + (1 | g)", frame)
    assert design.fixed_names == ("(Intercept)", "x", "z")
    assert np.linalg.matrix_rank(design.X) == design.X.shape[1] == 3


def test_aliased_factor_columns(frame):
    with pytest.warns(MixedModelWarning, match="f2b, f2c"):
        design = build("y ~ f + f2 + (1 | g)", frame.assign(f2=frame["f"]))
    assert design.fixed_names == ("(Intercept)", "fb", "fc")


def test_badly_scaled_predictors_warn(frame):
    with pytest.warns(MixedModelWarning, match="rescaling"):
        build("y ~ x + big + (1 | g)", frame.assign(big=frame["z"] * 1e6))


def test_well_scaled_design_gives_no_warning(frame):
    build_quietly("y ~ x + z + f + (1 + x | g)", frame)


# --- new data ---------------------------------------------------------------------------------


def test_model_matrices_reproduce_the_fit(frame):
    design = build("y ~ x * f + offset(np.log(e)) + (1 + x | g) + (1 | h)", frame)
    X, codes, values, offset = design.model_matrices(frame)
    np.testing.assert_allclose(X, design.X)
    np.testing.assert_allclose(offset, design.offset)
    for term, term_codes, term_values in zip(design.terms, codes, values, strict=True):
        np.testing.assert_array_equal(term_codes, term.codes)
        np.testing.assert_allclose(term_values, term.values)


def test_model_matrices_reuse_fitted_encodings(frame):
    design = build("y ~ x + f + center(z) + (1 + x | g)", frame)
    new = pd.DataFrame({"x": [0.5], "f": ["c"], "z": [0.0], "g": [3]})
    X, codes, values, offset = design.model_matrices(new)
    np.testing.assert_allclose(X[0], [1.0, 0.5, 0.0, 1.0, -frame["z"].mean()])
    assert codes[0].tolist() == [design.terms[0].levels.index("3")]
    np.testing.assert_allclose(values[0], [[1.0, 0.5]])
    assert offset is None


def test_unseen_group_levels_get_code_minus_one(frame):
    design = build("y ~ x + (1 | g) + (1 | g:h)", frame)
    new = pd.DataFrame({"x": [0.0, 0.0, 0.0], "g": [1, 99, 1], "h": ["u", "u", "zz"]})
    _, codes, _, _ = design.model_matrices(new)
    assert codes[0].tolist() == [0, -1, 0]
    assert codes[1].tolist() == [design.terms[1].levels.index("1:u"), -1, -1]


def test_new_data_group_values_match_by_label(sleepstudy):
    design = build("Reaction ~ Days + (Days | Subject)", sleepstudy)
    _, codes, _, _ = design.model_matrices(pd.DataFrame({"Days": [1, 2], "Subject": [309, "372"]}))
    assert codes[0].tolist() == [1, 17]


def test_aliased_columns_stay_dropped_for_new_data(frame):
    with pytest.warns(MixedModelWarning):
        design = build("y ~ x + I(2 * x) + (1 | g)", frame)
    assert design.model_matrices(frame.head(4))[0].shape == (4, 2)


def test_unseen_fixed_effect_level_is_an_error(frame):
    design = build("y ~ f + (1 | g)", frame)
    with pytest.raises(MixedModelError, match="not seen in the fit"):
        design.model_matrices(pd.DataFrame({"f": ["zz"], "g": [1]}))


def test_new_data_missing_a_column(frame):
    design = build("y ~ x + (1 | g)", frame)
    with pytest.raises(MixedModelError, match="'g' is not in the new data"):
        design.model_matrices(frame[["x"]])


def test_population_level_matrices_need_no_grouping_columns(frame):
    design = build("y ~ x + (1 | g)", frame)
    X, codes, values, offset = design.model_matrices(frame[["x"]], random=False)
    assert X.shape == (len(frame), 2) and codes == [] and values == [] and offset is None
