"""The numeric fast path of evaluate_rhs (design/evaluate.py): a right-hand side of the intercept and numeric
columns evaluated a second time reuses formulaic's ModelSpec and builds the matrix itself. Every result is
compared with formulaic's own model matrix of the same formula and data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix

import mixedwidgets as mw
from mixedwidgets.design import evaluate
from mixedwidgets.design.evaluate import evaluate_rhs
from mixedwidgets.design.rfunctions import EVAL_CONTEXT
from mixedwidgets.formula.translate import python_rhs


def _frame(seed: int, n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    x[3] = np.nan
    return pd.DataFrame(
        {
            "x": x,
            "k": rng.integers(-5, 50, n),  # int64
            "u": rng.integers(0, 9, n).astype(np.uint8),
            "f32": rng.normal(size=n).astype(np.float32),
            "b": rng.random(n) < 0.5,
            "g": pd.Categorical(rng.choice(["a", "b", "c"], n)),
            "a b": rng.normal(size=n),
        }
    )


def _formulaic(rhs: str, frame: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model_matrix(python_rhs(rhs), frame, context=EVAL_CONTEXT, na_action="ignore")


RHS = [
    "x",
    "1 + x + k",
    "0 + k + x",
    "x + u + f32",
    "k - 1",
    "`a b` + x",
    "x + b",
    "x + g",
    "x * k",
    "log(k + 10) + x",
    "1",
]


@pytest.mark.parametrize("rhs", RHS)
def test_every_evaluation_equals_formulaic(rhs):
    evaluate._PLAIN.clear()
    for seed in (1, 2, 3):  # the first call fills the cache, the next two may take the fast path
        frame = _frame(seed)
        got = evaluate_rhs(rhs, frame, "the fixed part")
        want = _formulaic(rhs, frame)
        assert got.values.dtype == np.float64 and got.values.flags.c_contiguous
        np.testing.assert_array_equal(got.values, want.to_numpy(dtype=np.float64))
        assert len(got.names) == want.shape[1]
        assert got.spec.column_names == want.model_spec.column_names


def test_only_plain_numeric_right_hand_sides_are_remembered_without_their_rows():
    evaluate._PLAIN.clear()
    frame = _frame(4, n=5000)
    for rhs in RHS:
        evaluate_rhs(rhs, frame, "the fixed part")
    remembered = {key[0] for key in evaluate._PLAIN}
    plain = {"x", "1 + x + k", "0 + k + x", "x + u + f32", "k - 1", "`a b` + x", "1"}
    assert remembered == {python_rhs(r) for r in plain}
    assert all(entry.template.values.shape[0] == 0 for entry in evaluate._PLAIN.values())


def test_a_column_whose_type_changes_is_evaluated_afresh():
    evaluate._PLAIN.clear()
    frame = _frame(5)
    evaluate_rhs("x + k", frame, "the fixed part")
    changed = frame.assign(k=pd.Categorical(frame["k"] % 3))
    got = evaluate_rhs("x + k", changed, "the fixed part")
    np.testing.assert_array_equal(got.values, _formulaic("x + k", changed).to_numpy(dtype=np.float64))
    assert got.values.shape[1] == 4  # intercept, x, two treatment columns of k


def test_fits_and_predictions_agree_with_and_without_the_fast_path():
    data = mw.datasets.load("sleepstudy")
    evaluate._PLAIN.clear()
    first = mw.fit("Reaction ~ Days + (Days | Subject)", data)  # formulaic
    second = mw.fit("Reaction ~ Days + (Days | Subject)", data)  # the remembered spec
    assert second.objective == first.objective
    np.testing.assert_array_equal(second.fixef.to_numpy(), first.fixef.to_numpy())
    new = data.iloc[::7].assign(Days=lambda d: d["Days"] + 0.5)
    np.testing.assert_array_equal(second.predict(new), first.predict(new))
