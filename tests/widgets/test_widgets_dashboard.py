"""The linked dashboard: shared selection and grouping factor, static fallback, GLMM view guard."""

import pytest

import mixedwidgets as mw
from mixedwidgets.widgets import Dashboard, MarginalCurves, explore
from mixedwidgets.widgets.marginal import GAUSSIAN_NOTE


@pytest.fixture
def dash(sleep_fit):
    return explore(sleep_fit)


def test_explore_returns_the_dashboard_with_every_view(dash):
    assert isinstance(dash, Dashboard)
    assert dash.group == "Subject" and dash.inspector.group == "Subject"
    assert dash.covariance.explorer.group == "Subject"
    assert dash.curves is None  # Gaussian: typical and population-averaged curves coincide, panel left out


def test_mw_explore_is_the_same_function(sleep_fit):
    assert isinstance(mw.explore(sleep_fit), Dashboard)


def test_choosing_in_the_caterpillar_highlights_everywhere(dash):
    dash.inspector.plot.points._handle_custom_msgs(None, {"event": "element_click", "data": {"index": 0}})
    label = dash.inspector.plot.data.labels[0]
    assert dash.selected_level == label
    assert dash.covariance.explorer.selected_level == label


def test_choosing_in_the_explorer_highlights_the_caterpillar(dash):
    explorer = dash.covariance.explorer
    explorer._front_end_message(None, {"kind": "select", "index": 5})
    label = explorer.level_names[5]
    assert dash.selected_level == label and dash.inspector.selected_level == label
    pos = dash.inspector.plot.data.position(label)
    assert dash.inspector.plot.selected.y.tolist() == [float(pos)]
    assert f"<b>Subject {label}</b>" in dash.inspector.panel.caption.value
    explorer._front_end_message(None, {"kind": "select", "index": -1})
    assert dash.selected_level == "" and len(dash.inspector.plot.selected.x) == 0


def test_setting_the_shared_trait_from_python(dash):
    dash.selected_level = "309"
    assert dash.inspector.selected_level == "309" == dash.covariance.explorer.selected_level
    dash.selected_level = "not a level"
    assert len(dash.inspector.plot.selected.x) == 0


def test_grouping_factor_is_shared_and_resets_the_choice():
    fit = mw.fit("diameter ~ 1 + (1 | plate) + (1 | sample)", mw.datasets.load("penicillin"))
    dash = explore(fit)
    assert dash.group == "plate"
    dash.selected_level = "a"
    dash.inspector.group_choice.value = "sample"
    assert dash.group == "sample" and dash.covariance is None and dash.curves is None
    assert dash.selected_level == ""
    assert dash.inspector.plot.data.group == "sample" and len(dash.inspector.plot.data.labels) == 6
    assert "Intercept–slope" not in dash.static_html()  # no random slope: no explorer


def test_static_html_fallback_outside_a_live_kernel(dash):
    bundle = dash._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert "Variance components" in html and "612.09" in html and "Conditional modes" in html
    inspector_html = dash.inspector._repr_mimebundle_()["text/html"]
    assert "prediction intervals" in inspector_html and "<svg" in inspector_html


def test_gaussian_curves_alone_give_a_clean_note(sleep_fit):
    curves = MarginalCurves(sleep_fit)
    assert curves.children == (curves.note,)
    assert "Gaussian" in curves.note.value and GAUSSIAN_NOTE[:20] in curves.note.value


def glmm_or_skip():
    try:
        return mw.fit(
            "cbind(incidence, size - incidence) ~ period + (1 | herd)", mw.datasets.load("cbpp"), family="binomial"
        )
    except (mw.MixedModelError, NotImplementedError, ImportError) as exc:
        pytest.skip(f"GLMM fitting is not available yet: {exc}")


def test_glmm_curves_typical_vs_marginal():
    fit = glmm_or_skip()
    curves = MarginalCurves(fit)
    data = curves.data
    assert data.categorical and data.labels == ("1", "2", "3", "4")
    assert ((data.typical > 0) & (data.typical < 1)).all()
    assert (abs(data.marginal - 0.5) <= abs(data.typical - 0.5) + 1e-9).all()  # averaging pulls toward 1/2
    curves.group, curves.selected_level = "herd", "1"
    assert curves.data.selected is not None and len(curves.data.selected) == 4


def test_two_grouping_factors_with_slopes_share_the_chooser():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(5)
    n = 600
    g, h = rng.integers(0, 20, n), rng.integers(0, 15, n)
    x = rng.uniform(0, 4, n)
    ug, uh = rng.normal(size=(20, 2)) * [3, 1], rng.normal(size=(15, 2)) * [2, 0.5]
    y = 10 + x + ug[g, 0] + ug[g, 1] * x + uh[h, 0] + uh[h, 1] * x + rng.normal(size=n)
    data = pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g], "h": [f"h{i}" for i in h]})
    dash = explore(mw.fit("y ~ x + (x | g) + (x | h)", data))
    panel = dash.covariance
    assert panel.children[0] is panel.chooser and len(panel.pairs) == 2
    other = 1 - panel.chooser.value
    panel.chooser.value = other
    assert dash.group == panel.pairs[other].group == dash.inspector.group
    assert panel.explorer.n_levels == len(dash.inspector.plot.data.labels)
    dash.inspector.group_choice.value = panel.pairs[1 - other].group
    assert panel.explorer.group == dash.group
    panel.explorer._front_end_message(None, {"kind": "select", "index": 2})
    assert dash.inspector.selected_level == panel.explorer.level_names[2]
