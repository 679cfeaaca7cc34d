"""Data values never become markup: level names with HTML are shown as text everywhere."""

import pytest

import mixedwidgets as mw
from mixedwidgets.widgets import RanefInspector, VarianceTable, explore
from mixedwidgets.widgets.static_html import caterpillar_table_html

EVIL = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def evil_fit():
    data = mw.datasets.load("sleepstudy")
    subject = data["Subject"].astype(str)
    data["Subject"] = subject.where(subject != "308", EVIL)
    return mw.fit("Reaction ~ Days + (Days | Subject)", data)


def test_level_name_arrives_unchanged_in_the_model(evil_fit):
    assert EVIL in evil_fit.design.terms[0].levels


def test_tooltip_caption_and_static_table_escape_the_name(evil_fit):
    view = RanefInspector(evil_fit)
    pos = view.plot.data.position(EVIL)
    view.plot.points._handle_custom_msgs(None, {"event": "hover", "data": {"index": pos}})
    assert "&lt;img src=x onerror=alert(1)&gt;" in view.plot.tooltip.value
    assert "<img" not in view.plot.tooltip.value
    view.selected_level = EVIL
    assert "<img" not in view.panel.caption.value and "&lt;img" in view.panel.caption.value
    table = caterpillar_table_html(view.plot.data)
    assert "<img" not in table and "&lt;img" in table


def test_axis_labels_carry_plain_text(evil_fit):
    # bqplot draws tick labels with d3's .text(), so the raw name is shown as text
    view = RanefInspector(evil_fit)
    assert EVIL in view.plot.y_axis.tick_labels.values()


def test_explorer_sends_names_as_bytes(evil_fit):
    dash = explore(evil_fit)
    names = dash.covariance.explorer.levels_utf8.decode("utf-8").split("\0")
    assert EVIL in names
    assert "<img" not in dash._repr_mimebundle_()["text/html"]


def test_messages_and_notes_are_escaped(evil_fit):
    class Wrapped:
        def __init__(self, fit):
            self._fit = fit
            self.messages = ["<script>alert(1)</script> rows dropped"]
            self.singular, self.converged = False, True

        def __getattr__(self, name):
            return getattr(self._fit, name)

    html = VarianceTable(Wrapped(evil_fit)).value
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_name_with_nul_and_newline_survives_the_byte_encoding():
    from mixedwidgets.widgets.covariance_data import names_to_bytes

    raw = names_to_bytes(["a\0b", "c\nd", "é"]).decode("utf-8").split("\0")
    assert raw == ["a\ufffdb", "c\nd", "é"]
