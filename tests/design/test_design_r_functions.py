"""R idioms evaluated on data: factor(), as.numeric(), as.logical(), relevel(), Q(), logicals."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets.design import build_design
from mixedwidgets.design.rfunctions import as_integer, as_logical, as_numeric, factor, relevel
from mixedwidgets.errors import MixedModelError
from mixedwidgets.formula import parse_formula


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(7)
    n = 120
    k = rng.choice([1, 2, 10], n)
    data = pd.DataFrame(
        {
            "k": k,
            "x": rng.uniform(1, 3, n),
            "g": rng.integers(0, 12, n),
            "f": rng.choice(["a", "b", "c"], n),
            "x<script>": rng.normal(size=n),
        }
    )
    data["y"] = 0.5 * k + data.x + rng.normal(size=12)[data.g] + rng.normal(size=n)
    return data


def _build(formula, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_design(parse_formula(formula), data)


def _fit(formula, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mw.fit(formula, data)


def test_factor_levels_sort_numerically_and_print_as_r_does():
    assert list(factor(pd.Series([10, 2, 1, 2])).categories) == ["1", "2", "10"]
    assert list(factor(pd.Series([2.0, 1.0, 1.5])).categories) == ["1", "1.5", "2"]
    assert list(factor(pd.Series(["b", "a"])).categories) == ["a", "b"]
    assert list(factor(pd.Series([True, False])).categories) == ["FALSE", "TRUE"]


def test_factor_in_a_formula_names_columns_as_lme4(frame):
    design = _build("y ~ factor(k) + as.factor(k):x + (1 | g)", frame)
    assert design.fixed_names[:3] == ("(Intercept)", "factor(k)2", "factor(k)10")
    assert design.fixed_names[3:] == ("as.factor(k)1:x", "as.factor(k)2:x", "as.factor(k)10:x")


def test_as_numeric_of_a_factor_gives_level_numbers_as_in_r():
    codes = pd.Series(pd.Categorical(["10", "20", "10"], categories=["10", "20"]))
    np.testing.assert_array_equal(as_numeric(codes), [1.0, 2.0, 1.0])
    np.testing.assert_array_equal(as_numeric(pd.Series(["1.5", "2"])), [1.5, 2.0])
    np.testing.assert_array_equal(as_integer(pd.Series([-1.7, 1.7])), [-1.0, 1.0])
    with pytest.raises(MixedModelError, match="as.numeric"):
        as_numeric(pd.Series(["a"]))


def test_as_logical_reads_numbers_and_r_text():
    assert list(as_logical(pd.Series([0, 2, -1]))) == [False, True, True]
    assert list(as_logical(pd.Series(["TRUE", "F", "true"]))) == [True, False, True]
    with pytest.raises(MixedModelError, match="cannot read 'maybe'"):
        as_logical(pd.Series(["maybe"]))


def test_relevel_puts_the_reference_first():
    assert list(relevel(pd.Series(["a", "b", "c"]), "b").categories) == ["b", "a", "c"]
    with pytest.raises(MixedModelError, match="'z' is not a level"):
        relevel(pd.Series(["a", "b"]), "z")


def test_a_logical_is_a_false_true_factor(frame):
    design = _build("y ~ 0 + I(k > 2) + x + (1 | g)", frame)
    assert design.fixed_names == ("I(k > 2)FALSE", "I(k > 2)TRUE", "x")
    np.testing.assert_array_equal(design.X[:, 1], (frame.k > 2).to_numpy(dtype=float))


def test_integer_power_is_a_power_not_xor(frame):
    design = _build("y ~ I(k^2) + (1 | g)", frame)
    np.testing.assert_array_equal(design.X[:, 1], frame.k.to_numpy(dtype=float) ** 2)


def test_q_quotes_an_odd_name_and_the_column_is_found(frame):
    model = _fit("y ~ Q('x<script>') + (1 | g)", frame)
    same = _fit("y ~ `x<script>` + (1 | g)", frame)
    assert list(model.fixef.index) == ["(Intercept)", "x<script>"]
    np.testing.assert_allclose(model.fixef.to_numpy(), same.fixef.to_numpy(), rtol=1e-10)
    assert "x<script>" not in model._repr_html_()


def test_predictions_with_factor_reuse_the_fits_levels(frame):
    model = _fit("y ~ factor(k) + scale(x) + (1 | g)", frame)
    subset = frame[frame.k == 10].head(5)
    np.testing.assert_allclose(model.predict(subset), model.fitted()[subset.index], rtol=1e-10)
    with pytest.raises(MixedModelError, match="not seen in the fit"):
        model.predict(subset.assign(k=3))


def test_a_missing_q_column_is_reported_by_name(frame):
    with pytest.raises(MixedModelError, match="column 'nope' is not in the data"):
        _fit("y ~ Q('nope') + (1 | g)", frame)
