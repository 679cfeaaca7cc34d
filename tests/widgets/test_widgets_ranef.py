"""Random-effect inspector: sorted caterpillar data, intervals, in-place updates, clicks and hovers."""

from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from traitlets import TraitError

import mixedwidgets as mw
from mixedwidgets.widgets import RanefInspector
from mixedwidgets.widgets.pictures import CHOSEN, MODE
from mixedwidgets.widgets.ranef_data import caterpillar_data, segments, z_value

FORMULA = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="module")
def many_groups_fit():
    rng = np.random.default_rng(7)
    groups, per = 2000, 5
    code = np.repeat(np.arange(groups), per)
    x = np.tile(np.arange(per, dtype=float), groups)
    u = rng.normal(size=(groups, 2)) * [10.0, 2.0]
    y = 100 + 5 * x + u[code, 0] + u[code, 1] * x + rng.normal(size=code.size) * 5
    data = pd.DataFrame({"y": y, "x": x, "g": [f"g{i:04d}" for i in code]})
    return mw.fit("y ~ x + (x | g)", data)


def test_caterpillar_is_sorted_with_normal_intervals(sleep_fit):
    view = RanefInspector(sleep_fit)
    data = view.plot.data
    ranef = sleep_fit.ranef()
    rows = ranef[(ranef.group == "Subject") & (ranef.term == "(Intercept)")]
    assert list(data.condval) == sorted(rows.condval)
    assert set(data.labels) == set(rows.level.astype(str))
    z = NormalDist().inv_cdf(0.975)
    np.testing.assert_allclose(data.upper - data.condval, z * data.condsd)
    np.testing.assert_allclose(view.plot.points.x, data.condval)
    np.testing.assert_allclose(view.plot.points.y, np.arange(18))


def test_every_interval_is_drawn_alike_and_only_the_chosen_group_stands_out(sleep_fit):
    view = RanefInspector(sleep_fit)
    data = view.plot.data
    strong = (data.lower > 0) | (data.upper < 0)
    assert strong.any() and not strong.all()  # some would have been red before: none is now
    assert view.plot.points.colors == [MODE]
    assert np.isnan(view.plot.intervals.x).sum() == len(data.labels) - 1
    assert len(view.plot.chosen_interval.x) == 0
    view.selected_level = data.labels[3]
    np.testing.assert_allclose(view.plot.chosen_interval.x, [data.lower[3], data.upper[3]])
    assert view.plot.chosen_interval.colors == [CHOSEN]
    svg = view._repr_mimebundle_()["image/svg+xml"]
    assert svg.count(CHOSEN) == 2 and "#d62728" not in svg


def test_interval_level_control_updates_marks_in_place(sleep_fit):
    view = RanefInspector(sleep_fit)
    figure, points, plain = view.plot.figure, view.plot.points, view.plot.intervals
    width95 = view.plot.data.upper - view.plot.data.lower
    view.level_choice.value = 0.5
    assert view.interval_level == 0.5
    width50 = view.plot.data.upper - view.plot.data.lower
    np.testing.assert_allclose(width50 / width95, z_value(0.5) / z_value(0.95))
    assert view.plot.figure is figure and view.plot.points is points and view.plot.intervals is plain
    assert figure.marks == [view.plot.zero, plain, view.plot.chosen_interval, points, view.plot.selected]
    view.term_choice.value = "Days"
    assert view.plot.data.term == "Days" and view.plot.figure is figure
    assert "Days" in view.plot.x_axis.label


def test_unusual_interval_level_is_added_and_bad_ones_refused(sleep_fit):
    view = RanefInspector(sleep_fit, interval_level=0.89)
    assert view.interval_level == 0.89 and 0.89 in [v for _, v in view.level_choice.options]
    with pytest.raises(TraitError):
        view.interval_level = 1.0


def test_click_selects_a_level_and_shows_its_data(sleep_fit):
    view = RanefInspector(sleep_fit)
    data = view.plot.data
    view.plot.points._handle_custom_msgs(None, {"event": "element_click", "data": {"index": 0, "x": 1.0}})
    label = data.labels[0]
    assert view.selected_level == label
    np.testing.assert_allclose(view.plot.selected.x, data.condval[:1])
    rows = (sleep_fit.data["Subject"].astype(str) == label).to_numpy()
    panel = view.panel
    np.testing.assert_allclose(np.sort(panel.points.y), np.sort(sleep_fit.data["Reaction"][rows]))
    np.testing.assert_allclose(panel.fitted.y, sleep_fit.predict(kind="conditional")[rows])
    np.testing.assert_allclose(panel.population.y, sleep_fit.predict(kind="typical")[rows])
    assert list(panel.fitted.x) == list(range(10)) and panel.x_axis.label == "Days"
    view.plot.points._handle_custom_msgs(None, {"event": "element_click", "data": {"index": 0}})
    assert view.selected_level == "" and len(view.plot.selected.x) == 0


@pytest.mark.parametrize(
    "content",
    [
        {"event": "element_click", "data": {"index": 18}},
        {"event": "element_click", "data": {"index": -1}},
        {"event": "element_click", "data": {"index": True}},
        {"event": "element_click", "data": {"index": "0"}},
        {"event": "element_click", "data": {"index": 1.0}},
        {"event": "element_click", "data": "__import__('os').system('true')"},
        {"event": "element_click"},
    ],
)
def test_bad_click_messages_are_ignored(sleep_fit, content):
    view = RanefInspector(sleep_fit)
    view.plot.points._handle_custom_msgs(None, content)
    assert view.selected_level == ""


def test_hover_fills_the_tooltip(sleep_fit):
    view = RanefInspector(sleep_fit)
    view.plot.points._handle_custom_msgs(None, {"event": "hover", "data": {"index": 17, "x": 0, "y": 17}})
    data = view.plot.data
    assert f"Subject {data.labels[17]}" in view.plot.tooltip.value
    assert "95% interval" in view.plot.tooltip.value
    view.plot.points._handle_custom_msgs(None, {"event": "hover", "point": {"index": 99}})
    assert f"Subject {data.labels[17]}" in view.plot.tooltip.value
    view.plot.points._handle_custom_msgs(None, {"event": "hover", "point": {"index": 2}})
    assert f"Subject {data.labels[2]}" in view.plot.tooltip.value
    view.plot.points._handle_custom_msgs(None, {"event": "hover", "data": "<b>"})
    assert f"Subject {data.labels[2]}" in view.plot.tooltip.value


def test_small_factors_are_labelled_large_ones_ranked(sleep_fit, many_groups_fit):
    small = RanefInspector(sleep_fit)
    assert small.plot.y_axis.tick_labels == {str(i): s for i, s in enumerate(small.plot.data.labels)}
    large = RanefInspector(many_groups_fit)
    assert large.plot.y_axis.tick_labels is None
    assert large.plot.y_axis.label == "2000 g groups, in order"
    assert len(large.plot.points.x) == 2000 and large.plot.points.default_size == 8


def test_thousands_of_levels_update_in_place(many_groups_fit):
    view = RanefInspector(many_groups_fit)
    marks = list(view.plot.figure.marks)
    view.selected_level = "g1234"
    pos = view.plot.data.position("g1234")
    assert view.plot.selected.y.tolist() == [float(pos)]
    view.term_choice.value = "x"
    assert view.plot.figure.marks == marks
    assert view.plot.selected.y.tolist() == [float(view.plot.data.position("g1234"))]
    assert len(view.panel.points.x) == 5


def test_segments_have_no_trailing_gap(sleep_fit):
    data = caterpillar_data(RanefInspector(sleep_fit).reader.ranef, "Subject", "Days", 0.95)
    x, y = segments(data, np.ones(18, dtype=bool))
    assert len(x) == 3 * 18 - 1 and np.isfinite(x[-1]) and np.isnan(x[2])
    empty_x, _ = segments(data, np.zeros(18, dtype=bool))
    assert empty_x.size == 0
