"""Names from the data reach the widgets as text: in HTML they are escaped, in traits the front-end
sets with textContent they arrive raw (escaping them there would show '&lt;' to the user).

The model uses hostile names everywhere a name can come from: grouping column, levels, predictor
and random-slope column, fixed-effect factor levels, and the formula text that contains them.
"""

import re
from pathlib import Path

import ipywidgets as ipw
import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets.widgets import CovariancePanel, MarginalCurves, RanefInspector, VarianceTable, explore

EVIL = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
GROUP = "<b>grp</b>"
PREDICTOR = "<i>dose</i>"
RAW = (EVIL, SCRIPT, GROUP, PREDICTOR)
JS = Path(__file__).resolve().parents[2] / "js"


def hostile_frame(n_groups: int = 14, size: int = 10, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), size)
    x = rng.normal(size=n_groups * size)
    b0, b1 = rng.normal(scale=0.8, size=n_groups), rng.normal(scale=0.4, size=n_groups)
    eta = 0.2 + 0.7 * x + b0[g] + b1[g] * x
    levels = np.array([EVIL, SCRIPT] + [f"L{k}" for k in range(2, n_groups)], dtype=object)
    return pd.DataFrame(
        {
            "y": eta + rng.normal(scale=0.5, size=len(g)),
            "hit": (rng.random(len(g)) < 1 / (1 + np.exp(-eta))).astype(int),
            PREDICTOR: x,
            GROUP: levels[g],
        }
    )


FORMULA_RHS = f"`{PREDICTOR}` + (1 + `{PREDICTOR}` | `{GROUP}`)"


@pytest.fixture(scope="module")
def lmm():
    return mw.fit(f"y ~ {FORMULA_RHS}", hostile_frame())


@pytest.fixture(scope="module")
def glmm():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mw.MixedModelWarning)
        return mw.fit(f"hit ~ {FORMULA_RHS}", hostile_frame(), family="binomial")


def html_values(widget, seen=None) -> list[str]:
    """Every HTML string a widget tree renders as markup (HTML widgets, HTML descriptions, tooltips)."""
    seen = set() if seen is None else seen
    if id(widget) in seen:
        return []
    seen.add(id(widget))
    found = []
    if isinstance(widget, (ipw.HTML, ipw.HTMLMath)):
        found.append(widget.value)
    if getattr(widget, "description_allow_html", False):
        found.append(widget.description)
    for name in ("children", "marks", "tooltip"):
        value = getattr(widget, name, None)
        for child in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(child, ipw.Widget):
                found += html_values(child, seen)
    for child in vars(widget).values():
        if isinstance(child, ipw.Widget) and id(child) not in seen:
            found += html_values(child, seen)
    return found


def assert_no_markup_from_data(fragments) -> None:
    text = "\n".join(fragments)
    for raw in RAW:
        assert raw not in text, f"{raw!r} reached HTML unescaped"


def test_the_names_reach_the_model_unchanged(lmm):
    assert {EVIL, SCRIPT} <= set(lmm.design.terms[0].levels)
    assert lmm.design.terms[0].columns == ("(Intercept)", PREDICTOR)


def test_variance_table_escapes_group_and_term_names(lmm):
    html = VarianceTable(lmm).value
    assert_no_markup_from_data([html])
    assert "&lt;b&gt;grp&lt;/b&gt;" in html and "&lt;i&gt;dose&lt;/i&gt;" in html


def test_inspector_html_is_escaped_for_every_level(lmm):
    view = RanefInspector(lmm)
    for level in (EVIL, SCRIPT):
        view.selected_level = level
        pos = view.plot.data.position(level)
        view.plot.points._handle_custom_msgs(None, {"event": "hover", "data": {"index": pos}})
        assert_no_markup_from_data(html_values(view))
    assert "&lt;script&gt;" in view.panel.caption.value


def test_inspector_dropdowns_carry_plain_names(lmm):
    view = RanefInspector(lmm)
    assert f"`{GROUP}`" in view.group_choice.options
    assert PREDICTOR in view.term_choice.options


def test_covariance_explorer_traits_carry_raw_text_for_textcontent(lmm):
    panel = CovariancePanel(lmm)
    assert panel.explorer.slope_name == PREDICTOR
    assert GROUP in panel.explorer.group
    names = panel.explorer.levels_utf8.decode("utf-8").split("\0")
    assert EVIL in names and SCRIPT in names
    assert_no_markup_from_data(html_values(panel))


def test_front_end_never_parses_data_as_markup():
    for path in JS.glob("*.js"):
        source = path.read_text()
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", source), path.name


def test_marginal_curves_escape_predictor_and_level_names(glmm):
    view = MarginalCurves(glmm)
    assert PREDICTOR in [label for label, _ in view.chooser.options]
    view.group = f"`{GROUP}`"
    view.selected_level = EVIL
    assert_no_markup_from_data(html_values(view))


def test_dashboard_and_its_static_html_escape_everything(glmm):
    dash = explore(glmm)
    dash.selected_level = SCRIPT
    assert_no_markup_from_data(html_values(dash))
    static = dash._repr_mimebundle_()["text/html"]
    assert_no_markup_from_data([static])
    assert "&lt;img src=x onerror=alert(1)&gt;" in static


def test_hybrid_view_escapes_names():
    frame = hostile_frame()
    m = mw.fit(f"y ~ within(`{PREDICTOR}`, `{GROUP}`) + between(`{PREDICTOR}`, `{GROUP}`) + (1 | `{GROUP}`)", frame)
    view = mw.hybrid_view(m, PREDICTOR)
    view.centres._handle_custom_msgs(None, {"event": "hover", "data": {"index": 0}})
    assert_no_markup_from_data(html_values(view))


def test_magic_summary_and_notes_are_escaped(lmm):
    from mixedwidgets.magic.display import Notes, Summary

    bundle = Summary(lmm)._repr_mimebundle_()
    assert_no_markup_from_data([bundle["text/html"]])
    assert GROUP in bundle["text/plain"]
    notes = Notes([f"level {EVIL} dropped"])._repr_mimebundle_()
    assert_no_markup_from_data([notes["text/html"]])


def test_hover_messages_from_the_browser_are_validated(lmm):
    view = RanefInspector(lmm)
    before = view.plot.tooltip.value
    for bad in (
        {"event": "hover", "data": {"index": "0; alert(1)"}},
        {"event": "hover", "data": {"index": 10**9}},
        {"event": "hover", "data": {"index": True}},
        {"event": "hover"},
        {"event": "hover", "data": None},
    ):
        view.plot.points._handle_custom_msgs(None, bad)
    assert view.plot.tooltip.value == before


def test_hybrid_view_accepts_an_unusual_group_name_without_backticks():
    frame = hostile_frame()
    m = mw.fit(f"y ~ within(`{PREDICTOR}`, `{GROUP}`) + between(`{PREDICTOR}`, `{GROUP}`) + (1 | `{GROUP}`)", frame)
    mw.hybrid_view(m, PREDICTOR, GROUP)


def test_reader_keeps_one_row_per_observation_when_index_labels_repeat():
    from mixedwidgets.widgets.reader import ModelReader

    frame = hostile_frame().set_axis(np.zeros(140, dtype=int), axis=0)
    m = mw.fit(f"y ~ {FORMULA_RHS}", frame)
    assert len(ModelReader(m).used_data) == m.nobs
