"""A formula is data, not code (issue 15): attacks are refused before anything runs.

Each attack tries to write a file (or start a debugger, or import a module); the test checks
the MixedModelError that names the disallowed part AND that nothing happened.
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from formulaic import model_matrix

import mixedwidgets as mw
from mixedwidgets.design.rfunctions import EVAL_CONTEXT
from mixedwidgets.errors import MixedModelError
from mixedwidgets.formula import parse_formula

WRITE = "open(TARGET, 'w').write('x')"
ATTACKS = {
    "globals_exec": "Reaction ~ np.log(Days + 1) + I(globals()['__builtins__']['exec'](\""
    + WRITE.replace("'", "\\'")
    + '") or Days) + (1 | Subject)',
    "exec": 'Reaction ~ I(exec("' + WRITE + '") or Days) + (1 | Subject)',
    "eval": 'Reaction ~ I(eval("' + WRITE + '") or Days) + (1 | Subject)',
    "compile": 'Reaction ~ I(exec(compile("' + WRITE + "\", 'f', 'exec')) or Days) + (1 | Subject)",
    "open": "Reaction ~ I(" + WRITE + " * 0 + Days) + (1 | Subject)",
    "import": "Reaction ~ I(__import__('pathlib').Path(TARGET).write_text('x') * 0 + Days) + (1 | Subject)",
    "getattr_builtins": (
        "Reaction ~ I(getattr(__builtins__, 'open')(TARGET, 'w').write('x') * 0 + Days) + (1 | Subject)"
    ),
    "dunder_walk_popen": "Reaction ~ I([c for c in ().__class__.__bases__[0].__subclasses__() if c.__name__ == "
    "'Popen'][0](['touch', TARGET]) and Days) + (1 | Subject)",
    "dunder_subclasses": "Reaction ~ I(().__class__.__bases__[0].__subclasses__()) + (1 | Subject)",
    "lambda": "Reaction ~ I((lambda: " + WRITE + ")() * 0 + Days) + (1 | Subject)",
    "breakpoint": "Reaction ~ I(breakpoint() or Days) + (1 | Subject)",
    "numpy_save": "Reaction ~ I(np.save(TARGET, Days) or Days) + (1 | Subject)",
    "numpy_dunder": "Reaction ~ I(np.__dict__['save'](TARGET, Days) or Days) + (1 | Subject)",
    "function_globals": "Reaction ~ I(within.__globals__['__builtins__']) + (1 | Subject)",
    "column_method": "Reaction ~ I(Days.to_csv(TARGET) or Days) + (1 | Subject)",
    "numpy_out": "Reaction ~ np.log(Days + 1, out=Days) + (1 | Subject)",
    "walrus": "Reaction ~ I((f := open(TARGET, 'w')) and Days) + (1 | Subject)",
    "braces": "Reaction ~ {" + WRITE + " * 0 + Days} + (1 | Subject)",
    "random_term": "Reaction ~ Days + (1 + I(" + WRITE + " * 0 + Days) | Subject)",
    "offset": "Reaction ~ Days + offset(" + WRITE + " * 0 + Days) + (1 | Subject)",
    "response": "I(" + WRITE + " * 0 + Reaction) ~ Days + (1 | Subject)",
    "contrast_argument": "Reaction ~ C(Subject, " + WRITE + ") + (1 | Subject)",
    "subscript": "Reaction ~ I(Days[0]) + (1 | Subject)",
    "comprehension": "Reaction ~ I([" + WRITE + " for i in [1]]) + (1 | Subject)",
}


@pytest.fixture
def sleepstudy():
    return mw.datasets.load("sleepstudy")


@pytest.fixture
def no_debugger(monkeypatch):
    calls = []
    monkeypatch.setattr(sys, "breakpointhook", lambda *a, **k: calls.append(a))
    return calls


def _formula(template: str, target) -> str:
    return template.replace("TARGET", repr(str(target)))


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_is_refused_by_fit_and_has_no_effect(name, sleepstudy, tmp_path, no_debugger):
    target = tmp_path / "written"
    before = sleepstudy.copy()
    with pytest.raises(MixedModelError) as caught, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mw.fit(_formula(ATTACKS[name], target), sleepstudy)
    assert "not allowed" in str(caught.value) or "not supported" in str(caught.value)
    assert not target.exists()
    assert not list(tmp_path.iterdir())
    assert not no_debugger
    pd.testing.assert_frame_equal(sleepstudy, before)


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_is_refused_when_the_formula_is_read_before_any_data(name, tmp_path, no_debugger):
    with pytest.raises(MixedModelError):
        parse_formula(_formula(ATTACKS[name], tmp_path / "written"))
    assert not list(tmp_path.iterdir()) and not no_debugger


@pytest.mark.parametrize(
    ("formula", "named"),
    [
        ("y ~ I(exec('1') or x) + (1 | g)", "'exec' is not a function"),
        ("y ~ I(open('f') or x) + (1 | g)", "'open' is not a function"),
        ("y ~ I(x.__class__) + (1 | g)", "'x.__class__' is not allowed"),
        ("y ~ I((lambda: 1)()) + (1 | g)", "lambda"),
        ("y ~ I(x[0]) + (1 | g)", "indexing"),
        ("y ~ np.save('f', x) + (1 | g)", "np.save is not one of numpy's math functions"),
        ("y ~ I(x.clip(0)) + (1 | g)", "attribute access is not allowed"),
        ("y ~ I(x if x else 1) + (1 | g)", "ifelse"),
    ],
)
def test_the_error_names_the_disallowed_part(formula, named):
    with pytest.raises(MixedModelError, match="not allowed in a formula") as caught:
        parse_formula(formula)
    assert named in str(caught.value)


def test_the_evaluation_context_has_no_builtins(tmp_path):
    """Second line of defence: formulaic evaluating on its own, without our check, finds no open()."""
    target = tmp_path / "written"
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    with pytest.raises(Exception, match="not allowed"):
        model_matrix(f"I(open({str(target)!r}, 'w').write('x') * 0 + x)", frame, context=EVAL_CONTEXT)
    with pytest.raises(Exception, match="save"):  # formulaic's own error: np has no attribute 'save'
        model_matrix(f"I(np.save({str(target)!r}, x))", frame, context=EVAL_CONTEXT)
    with pytest.raises(Exception, match="not subscriptable"):
        model_matrix(f"I(__builtins__['open']({str(target)!r}, 'w'))", frame, context=EVAL_CONTEXT)
    assert not target.exists()
    assert not hasattr(EVAL_CONTEXT["np"], "save") and not hasattr(EVAL_CONTEXT["np"], "load")


@pytest.mark.parametrize(
    "formula",
    ["y ~ I(x ** 10 ** 10 ** 10) + (1 | g)", "y ~ I(x ^ 9 ^ 9 ^ 9) + (1 | g)", "y ~ I('a' * 10 ** 10) + (1 | g)"],
)
def test_huge_powers_fail_fast_instead_of_running_forever(formula):
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"y": rng.normal(size=40), "x": rng.uniform(1, 2, 40), "g": np.repeat(list("abcd"), 10)})
    start = time.perf_counter()
    with pytest.raises(MixedModelError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mw.fit(formula, data)
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("formula", ["y ~ poly(x, 1000000) + (1 | g)", "y ~ bs(x, df=100000) + (1 | g)"])
def test_a_basis_cannot_ask_for_millions_of_columns(formula):
    with pytest.raises(MixedModelError, match="degrees of freedom up to 100"):
        parse_formula(formula)


def test_a_column_named_like_a_builtin_is_still_data():
    rng = np.random.default_rng(1)
    data = pd.DataFrame(
        {"close": rng.normal(size=60), "open": rng.uniform(1, 2, 60), "g": np.repeat(list("abcdef"), 10)}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = mw.fit("close ~ open + log(open) + (1 | g)", data)
    assert list(m.fixef.index) == ["(Intercept)", "open", "log(open)"]


def test_contrast_classes_by_name_are_not_columns():
    """C(f, Sum) names formulaic's contrast class, as C(f, Sum()) calls it (not a column named Sum)."""
    import numpy as np
    import pandas as pd

    import mixedwidgets as mw

    rng = np.random.default_rng(1)
    data = pd.DataFrame(
        {"y": rng.normal(size=120), "f": rng.choice(list("abc"), 120), "g": rng.integers(0, 10, 120).astype(str)}
    )
    by_name = mw.fit("y ~ C(f, Sum) + (1 | g)", data)
    called = mw.fit("y ~ C(f, Sum()) + (1 | g)", data)
    np.testing.assert_allclose(by_name.fixef.to_numpy(), called.fixef.to_numpy())
    assert by_name.objective == called.objective
