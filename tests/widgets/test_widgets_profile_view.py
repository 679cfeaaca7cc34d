"""Profile view: the curve and interval of the chosen parameter, linking by group, escaped labels."""

import numpy as np
import pandas as pd
import pytest
import traitlets as tl

import mixedwidgets as mw
from mixedwidgets.widgets.profile_view import group_of, interval_table


@pytest.fixture(scope="module")
def view():
    m = mw.fit("Reaction ~ Days + (Days | Subject)", mw.datasets.load("sleepstudy"))
    return mw.profile_view(m)


def test_the_view_draws_the_chosen_parameters_curve_and_interval(view):
    view.parameter = "Days"
    lower, upper = view.intervals.loc["Days"]
    assert view.bounds.x[0][0] == pytest.approx(lower) and view.bounds.x[1][0] == pytest.approx(upper)
    curve = view.curves[view.curves.parameter == "Days"]
    np.testing.assert_allclose(view.curve.x, curve.value)
    assert np.min(view.curve.y) < -view.z and np.max(view.curve.y) > view.z
    assert "Days: 95% profile interval" in view.caption.value
    assert lower == pytest.approx(7.3587, abs=0.01) and upper == pytest.approx(13.5759, abs=0.01)


def test_choosing_a_group_shows_its_first_variance_parameter_and_links(view):
    class Other(tl.HasTraits):
        group = tl.Unicode("")

    other = Other()
    view.parameter = "sigma"
    link = view.link_to(other)
    other.group = "Subject"
    assert view.parameter == "sd_(Intercept)|Subject"
    link.unlink()
    assert group_of("cor_Days.(Intercept)|Subject") == "Subject" and group_of("(Intercept)") == ""


def test_static_html_lists_every_interval_escaped(view):
    html = view._repr_mimebundle_()["text/html"]
    for name in view.intervals.index:
        assert name.replace("|", "|") in html
    bad = interval_table(pd.DataFrame({"lower": [1.0], "upper": [2.0]}, index=["sd_<b>x</b>|g"]), 0.95)
    assert "<b>" not in bad and "&lt;b&gt;" in bad


def test_link_to_the_dashboard_follows_its_group(view):
    dashboard = mw.explore(view_model := mw.fit("Reaction ~ Days + (Days | Subject)", mw.datasets.load("sleepstudy")))
    assert dashboard.group == "Subject" and view_model.ngroups == {"Subject": 18}
    view.parameter = "Days"
    link = view.link_to(dashboard)  # the link copies the dashboard's group at once
    assert view.group == "Subject" and view.parameter == "sd_(Intercept)|Subject"
    link.unlink()
