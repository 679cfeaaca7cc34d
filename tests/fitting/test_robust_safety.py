"""Nothing lost, nothing changed, nothing injected.

* The caller's DataFrame (values, dtypes, categories, index, column order) is the same after a fit,
  predictions, simulation, demean() and population-averaged effects.
* Level names, column names and formula text reach HTML escaped.
* A KeyboardInterrupt raised from the progress callback comes out as KeyboardInterrupt, leaves no
  state behind, and the next fit gives the same answer as before.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets import MixedModelWarning

EVIL = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"


def caller_frame(n_groups: int = 12, size: int = 8, seed: int = 3) -> pd.DataFrame:
    """Every kind of column a caller may hold, a string index and values the fits must skip."""
    rng = np.random.default_rng(seed)
    n = n_groups * size
    g = np.repeat(np.arange(n_groups), size)
    x = rng.normal(size=n)
    eta = 0.3 + 0.6 * x + rng.normal(scale=0.7, size=n_groups)[g]
    frame = pd.DataFrame(
        {
            "y": eta + rng.normal(size=n),
            "x": x,
            "count": rng.poisson(np.exp(eta / 2)).astype("int64"),
            "hit": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype("int64"),
            "g": pd.Categorical([f"G{k}" for k in g], categories=[f"G{k}" for k in range(n_groups + 2)]),
            "label": np.array([f"s{k}" for k in range(n)], dtype=object),
            "flag": rng.random(n) < 0.5,
            "dose": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "w": rng.uniform(0.5, 2.0, n),
        },
        index=pd.Index([f"r{k}" for k in range(n)], name="row"),
    )
    frame.loc["r5", "x"] = np.nan
    frame.loc["r9", "dose"] = pd.NA
    frame.attrs["source"] = "caller"
    return frame


def snapshot(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.copy(deep=True)


def assert_unchanged(frame: pd.DataFrame, before: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        frame, before, check_exact=True, check_categorical=True, check_index_type=True, check_column_type=True
    )
    assert list(frame.dtypes) == list(before.dtypes)
    assert list(frame["g"].cat.categories) == list(before["g"].cat.categories)
    assert frame.attrs == before.attrs


def quietly(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixedModelWarning)
        return function(*args, **kwargs)


@pytest.fixture
def frame():
    return caller_frame()


# --- the caller's DataFrame is never modified ---------------------------------------------------------


def test_linear_fit_leaves_the_data_unchanged(frame):
    before = snapshot(frame)
    m = quietly(mw.fit, "y ~ x + dose + (1 + x | g)", frame, weights="w")
    m.summary(), m._repr_html_(), m.ranef(), m.icc(), m.residuals()
    assert_unchanged(frame, before)
    assert m.data is frame


def test_binomial_and_poisson_fits_leave_the_data_unchanged(frame):
    before = snapshot(frame)
    quietly(mw.fit, "hit ~ x + flag + (1 | g)", frame, family="binomial")
    quietly(mw.fit, "count ~ x + (1 | g)", frame, family="poisson", nagq=5)
    quietly(
        mw.fit,
        "cbind(count, 6 - count) ~ x + (1 | g)",
        frame.assign(count=frame["count"].clip(upper=6)),
        family="binomial",
    )
    assert_unchanged(frame, before)


def test_predictions_leave_both_frames_unchanged(frame):
    m = quietly(mw.fit, "y ~ x + (1 + x | g)", frame)
    new = caller_frame(seed=8).iloc[:20]
    new_before, before = snapshot(new), snapshot(frame)
    for kind in ("conditional", "typical"):
        quietly(m.predict, new, kind=kind)
    m.predict()
    assert_unchanged(new, new_before)
    assert_unchanged(frame, before)


def test_glmm_predictions_and_marginal_effects_leave_the_data_unchanged(frame):
    m = quietly(mw.fit, "hit ~ x + (1 | g)", frame, family="binomial")
    new = caller_frame(seed=9).iloc[:15]
    new_before, before = snapshot(new), snapshot(frame)
    for kind in ("conditional", "typical", "marginal"):
        quietly(m.predict, new, kind=kind)
    m.marginal_coefs()
    m.average_effect("x")
    assert_unchanged(new, new_before)
    assert_unchanged(frame, before)


def test_simulation_leaves_the_data_unchanged(frame):
    m = quietly(mw.fit, "y ~ x + (1 | g)", frame)
    before = snapshot(frame)
    mw.simulate(m, nsim=3, seed=1)
    made = quietly(
        mw.simulate,
        "sim ~ x + (1 | g)",
        frame,
        fixed={"(Intercept)": 1.0, "x": 0.5},
        random={"g": {"(Intercept)": 0.5}},
        sigma=1.0,
        seed=2,
    )
    assert "sim" in made and "sim" not in frame
    assert_unchanged(frame, before)


def test_demean_and_within_between_leave_the_data_unchanged(frame):
    before = snapshot(frame)
    wide = mw.demean(frame, ["x", "y"], by="g")
    assert "x_within" in wide and "x_within" not in frame
    quietly(mw.fit, "y ~ within(x, g) + between(x, g) + (1 | g)", frame)
    assert_unchanged(frame, before)


def test_repeated_index_labels_are_neither_lost_nor_multiplied(frame):
    repeated = frame.set_axis(np.zeros(len(frame), dtype=int), axis=0)
    before = snapshot(repeated)
    m = quietly(mw.fit, "hit ~ x + (1 | g)", repeated, family="binomial")
    assert m.nobs == len(frame) - 1
    assert len(m.design.row_index) == m.nobs
    effect = m.average_effect("x")
    reference = quietly(mw.fit, "hit ~ x + (1 | g)", frame, family="binomial").average_effect("x")
    np.testing.assert_allclose(effect["average_difference"], reference["average_difference"], rtol=1e-6)
    assert_unchanged(repeated, before)


# --- names reach HTML as text ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def evil_fit():
    frame = caller_frame()
    groups = frame["g"].astype(str).replace({"G0": EVIL, "G1": SCRIPT})
    data = frame.assign(**{"g": groups, "<b>x</b>": frame["x"], "f": np.where(frame["flag"], EVIL, "0 plain")})
    return quietly(mw.fit, "y ~ `<b>x</b>` + f + (1 | g)", data)


def test_summary_html_shows_level_and_column_names_as_text(evil_fit):
    html = evil_fit._repr_html_()
    for raw in (EVIL, SCRIPT, "<b>x</b>"):
        assert raw not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "f&lt;img src=x onerror=alert(1)&gt;" in html


def test_the_names_themselves_are_kept_unchanged(evil_fit):
    assert {EVIL, SCRIPT} <= set(evil_fit.design.terms[0].levels)
    assert list(evil_fit.fixef.index) == ["(Intercept)", "<b>x</b>", f"f{EVIL}"]
    assert "<b>x</b>" in evil_fit.summary()


def test_pandas_tables_render_names_as_text(evil_fit):
    tables = [evil_fit.ranef(), evil_fit.coef_table(), evil_fit.varcorr, evil_fit.icc()]
    for table in tables:
        html = table.to_html()
        assert "<img" not in html and "<script>" not in html and "<b>x</b>" not in html


def test_formula_text_and_messages_are_escaped():
    frame = caller_frame()
    data = frame.assign(**{SCRIPT: frame["x"]})
    m = quietly(mw.fit, f"y ~ `{SCRIPT}` + (1 | g)", data)
    assert SCRIPT not in m._repr_html_() and "&lt;script&gt;" in m._repr_html_()


def test_comparison_table_escapes_names():
    frame = caller_frame()
    data = frame.assign(g=frame["g"].astype(str).replace({"G0": EVIL}))
    small = quietly(mw.fit, "y ~ x + (1 | g)", data)
    big = quietly(mw.fit, "y ~ x + (1 + x | g)", data)
    table = quietly(mw.compare, small, big)
    html = table._repr_html_() if hasattr(table, "_repr_html_") else str(table)
    assert "<img" not in html


# --- KeyboardInterrupt from the progress callback ------------------------------------------------------


def interrupt_at(count: int):
    seen = []

    def progress(evaluations, objective):
        seen.append(evaluations)
        if evaluations == count:
            raise KeyboardInterrupt

    return progress, seen


def process_state():
    return (list(warnings.filters), np.geterr(), np.get_printoptions()["precision"])


CASES = {
    "lmm": ("Reaction ~ Days + (Days | Subject)", "sleepstudy", {}),
    "glmm": ("cbind(incidence, size - incidence) ~ period + (1 | herd)", "cbpp", {"family": "binomial"}),
    "agq": ("cbind(incidence, size - incidence) ~ period + (1 | herd)", "cbpp", {"family": "binomial", "nagq": 7}),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("count", [1, 4, 25])
def test_keyboard_interrupt_propagates_and_leaves_nothing_behind(case, count):
    formula, dataset, options = CASES[case]
    data = mw.datasets.load(dataset)
    before_data, before_state = snapshot(data), process_state()
    reference = quietly(mw.fit, formula, data, **options)
    progress, seen = interrupt_at(count)
    with pytest.raises(KeyboardInterrupt):
        quietly(mw.fit, formula, data, progress=progress, **options)
    assert seen[-1] == count
    assert process_state() == before_state
    pd.testing.assert_frame_equal(data, before_data)
    again = quietly(mw.fit, formula, data, **options)
    assert again.objective == reference.objective
    np.testing.assert_array_equal(again.fixef.to_numpy(), reference.fixef.to_numpy())


@pytest.mark.parametrize("case", ["lmm", "glmm"])
def test_an_interrupt_at_any_evaluation_comes_out_as_keyboard_interrupt(case):
    # NLopt turns an exception raised during the last evaluation of a run into SystemError;
    # mw.fit must still hand the KeyboardInterrupt back, whichever evaluation it hits
    formula, dataset, options = CASES[case]
    data = mw.datasets.load(dataset)
    evaluations = []
    quietly(mw.fit, formula, data, progress=lambda n, v: evaluations.append(n), **options)
    for count in range(1, len(evaluations) + 1):
        progress, _ = interrupt_at(count)
        with pytest.raises(KeyboardInterrupt):
            quietly(mw.fit, formula, data, progress=progress, **options)


def test_the_optimizer_passes_an_exception_from_its_last_evaluation_through():
    from mixedwidgets.backend.optimizer import minimize_bounded

    calls = []

    def objective(x):
        calls.append(1)
        if len(calls) == 29:  # BOBYQA stops after 30 evaluations on this quadratic
            raise np.linalg.LinAlgError("raised by the objective")
        return float(((x - 3.0) ** 2).sum())

    with pytest.raises(np.linalg.LinAlgError):
        minimize_bounded(objective, np.ones(2), np.zeros(2))


def test_other_exceptions_from_the_callback_come_out_unchanged():
    data = mw.datasets.load("sleepstudy")
    problem = ZeroDivisionError("raised by the caller's callback")

    def progress(evaluations, objective):
        raise problem

    with pytest.raises(ZeroDivisionError) as info:
        mw.fit("Reaction ~ Days + (Days | Subject)", data, progress=progress)
    assert info.value is problem


def test_interrupt_inside_a_within_between_fit_keeps_later_predictions_right():
    frame = caller_frame()
    m = quietly(mw.fit, "y ~ within(x, g) + between(x, g) + (1 | g)", frame)
    progress, _ = interrupt_at(2)
    with pytest.raises(KeyboardInterrupt):
        quietly(mw.fit, "y ~ within(x, g) + (1 | g)", frame, progress=progress)
    np.testing.assert_allclose(quietly(m.predict, frame.drop(index="r5").iloc[:10]), m.predict()[:10])
