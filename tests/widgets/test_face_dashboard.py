"""The dashboard's layout, notes, static pictures, shrinkage view, sorting, search and saved page."""

import re

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets.widgets import explore
from mixedwidgets.widgets.covariance_data import per_group_least_squares
from mixedwidgets.widgets.notes import gather_notes
from mixedwidgets.widgets.ranef_data import caterpillar_data, natural_key


@pytest.fixture(scope="module")
def sleep_fit():
    return mw.fit("Reaction ~ Days + (Days | Subject)", mw.datasets.load("sleepstudy")).named("sleep")


@pytest.fixture(scope="module")
def cbpp_fit():
    return mw.fit(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", mw.datasets.load("cbpp"), family="binomial"
    )


def test_own_least_squares_fits_are_each_subjects_own_line(sleep_fit):
    dash = explore(sleep_fit)
    own0, own1 = dash.covariance.explorer.own_fits
    data = mw.datasets.load("sleepstudy")
    names = dash.covariance.explorer.level_names
    beta = sleep_fit.fixef
    for i, name in enumerate(names):
        rows = data[data["Subject"].astype(str) == name]
        slope, intercept = np.polyfit(rows["Days"], rows["Reaction"], 1)
        assert own0[i] == pytest.approx(intercept - beta["(Intercept)"], abs=1e-8)
        assert own1[i] == pytest.approx(slope - beta["Days"], abs=1e-8)
    # shrinkage: the conditional modes are closer to zero than the groups' own fits, on the whole
    modes = sleep_fit.ranef()
    slopes = modes[modes["term"] == "Days"].set_index("level")["condval"].reindex(list(names)).to_numpy(float)
    assert np.sum(slopes**2) < np.sum(own1**2)


def test_own_fits_take_other_fixed_effects_out_and_mark_collinear_groups():
    rng = np.random.default_rng(3)
    g = np.repeat(np.arange(12), 6)
    x, z = rng.normal(size=g.size), rng.normal(size=g.size)
    x[g == 0] = 1.0  # one distinct x in group 0: no own slope
    y = 1 + 2 * x + 3 * z + rng.normal(size=12)[g] + rng.normal(size=12)[g] * x + rng.normal(size=g.size) * 0.3
    fit = mw.fit("y ~ x + z + (x | g)", pd.DataFrame({"y": y, "x": x, "z": z, "g": g}))
    own0, own1 = explore(fit).covariance.explorer.own_fits
    assert np.isnan(own0[0]) and np.isnan(own1[0])
    r = y - fit.fixef["(Intercept)"] - fit.fixef["x"] * x - fit.fixef["z"] * z
    for k in range(1, 12):
        b1, b0 = np.polyfit(x[g == k], r[g == k], 1)
        assert (own0[k], own1[k]) == pytest.approx((b0, b1), abs=1e-8)


def test_per_group_least_squares_matches_lstsq():
    rng = np.random.default_rng(8)
    codes = rng.integers(0, 5, 80)
    z = np.column_stack([np.ones(80), rng.normal(size=80), rng.normal(size=80)])
    r = rng.normal(size=80)
    got = per_group_least_squares(z, r, codes, 6)
    for k in range(5):
        expected = np.linalg.lstsq(z[codes == k], r[codes == k], rcond=None)[0]
        np.testing.assert_allclose(got[k], expected, atol=1e-10)
    assert np.isnan(got[5]).all()  # a group without rows


def test_glmm_gets_curves_and_no_own_fits_and_intercept_only_no_explorer(cbpp_fit):
    dash = explore(cbpp_fit)
    assert dash.covariance is None and dash.curves is not None
    bundle = dash._repr_mimebundle_()
    assert "Typical group vs population average" in bundle["text/html"]
    assert "π²/3" in bundle["text/html"]  # the latent-scale ICC is explained


def test_each_widget_carries_a_static_picture(sleep_fit, cbpp_fit):
    dash = explore(sleep_fit)
    views = [dash, dash.inspector, dash.covariance, dash.covariance.explorer, dash.varcomp, explore(cbpp_fit).curves]
    for view in views:
        bundle = data_of(view._repr_mimebundle_())
        assert "application/vnd.jupyter.widget-view+json" in bundle
        assert "<svg" in bundle["text/html"], type(view).__name__
    assert all("image/svg+xml" in data_of(v._repr_mimebundle_()) for v in views if v is not dash.varcomp)


def data_of(bundle):
    """anywidget returns (data, metadata), ipywidgets the data alone."""
    return bundle[0] if isinstance(bundle, tuple) else bundle


def test_the_chosen_group_and_the_shrinkage_switch_reach_the_picture(sleep_fit):
    dash = explore(sleep_fit)
    before = dash.covariance.explorer.picture()
    assert "own least squares" not in before
    dash.selected_level = "309"
    dash.covariance.explorer.show_own = True
    after = dash.covariance.explorer.picture()
    assert "own least squares" in after and "#e08a00" in after
    assert "#e08a00" in dash.picture()


def test_notes_are_gathered_once_most_important_first():
    class Fit:
        messages = ("boundary (singular) fit: see help('isSingular')", "Model failed to converge: gradient 0.03")
        converged, singular, n_dropped = False, True, 2

    notes = gather_notes(Fit(), ["Model failed to converge:  gradient 0.03", "a note from the magic"])
    assert notes[0].startswith("Model failed to converge") and "singular" in notes[1]
    assert notes[-1].startswith("2 row(s)") and "a note from the magic" in notes
    assert len(notes) == 4  # the repeated convergence message is said once


def test_a_note_appears_once_in_the_dashboard():
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(10), 5)
    y = rng.normal(size=50)  # no group variance: singular fit
    fit = mw.fit("y ~ 1 + (1 | g)", pd.DataFrame({"y": y, "g": g}))
    html = explore(fit, notes=list(fit.messages))._repr_mimebundle_()["text/html"]
    assert fit.singular
    assert len(re.findall("(?i)singular", html)) == 1


def test_sort_by_name_is_natural_and_find_selects(sleep_fit):
    dash = explore(sleep_fit)
    inspector = dash.inspector
    inspector.order_choice.value = "name"
    labels = list(inspector.plot.data.labels)
    assert labels == sorted(labels, key=natural_key)
    assert natural_key("clinic 2") < natural_key("clinic 10")
    inspector.find.value = "330"
    assert dash.selected_level == "330" == dash.covariance.explorer.selected_level
    assert "<b>Subject 330</b>" in inspector.panel.caption.value
    inspector.find.value = "no such subject"
    assert dash.selected_level == "330"
    with pytest.raises(ValueError):
        caterpillar_data(sleep_fit.ranef(), "Subject", "Days", 0.95, order="random")


def test_words_name_the_grouping_factor_not_level(sleep_fit):
    dash = explore(sleep_fit)
    text = dash.inspector.caption.value + dash.inspector.panel.caption.value
    assert "Subject" in text and " level" not in text
    assert "conditional mode" in dash.inspector.caption.value


def test_save_writes_one_self_contained_escaped_page(tmp_path):
    data = mw.datasets.load("sleepstudy")
    subject = data["Subject"].astype(str)
    data["Subject"] = subject.where(subject != "308", "<script>alert(1)</script>")
    dash = explore(mw.fit("Reaction ~ Days + (Days | Subject)", data))
    dash.selected_level = "<script>alert(1)</script>"
    path = dash.save(tmp_path / "dash.html")
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") >= 3
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "src=" not in page and "href=" not in page  # nothing loaded from elsewhere


def test_extra_panels_are_linked_and_exported(sleep_fit):
    import ipywidgets as ipw
    import traitlets as tl

    class Extra(ipw.HTML):
        group = tl.Unicode("")
        selected_level = tl.Unicode("")

        def picture(self):
            return "<svg xmlns='http://www.w3.org/2000/svg'><title>extra</title></svg>"

    dash = explore(sleep_fit)
    extra = Extra()
    dash.add_panel("Profile", extra)
    dash.selected_level = "331"
    assert extra.selected_level == "331" and extra.group == "Subject"
    assert "Profile" in dash.static_html() and "<title>extra</title>" in dash.static_html()


def test_hybrid_view_carries_a_picture():
    rng = np.random.default_rng(2)
    g = np.repeat(np.arange(15), 8)
    xbar = rng.normal(size=15)
    x = xbar[g] + rng.normal(size=g.size)
    y = 2 + 1.0 * (x - xbar[g]) + 0.2 * xbar[g] + rng.normal(size=15)[g] + rng.normal(size=g.size) * 0.5
    fit = mw.fit("y ~ within(x, g) + between(x, g) + (1 | g)", pd.DataFrame({"y": y, "x": x, "g": g}))
    bundle = mw.hybrid_view(fit, "x")._repr_mimebundle_()
    assert bundle["image/svg+xml"].startswith("<svg") and "between group means" in bundle["text/html"]


def test_curves_over_a_whole_number_predictor_are_smooth():
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(20), 30)
    hours = rng.integers(0, 17, g.size)
    p = 1 / (1 + np.exp(-(-1 + 0.2 * hours + rng.normal(size=20)[g])))
    data = pd.DataFrame({"y": (rng.uniform(size=g.size) < p).astype(int), "hours": hours, "g": g})
    curves = explore(mw.fit("y ~ hours + (1 | g)", data, family="binomial")).curves
    x, typical = curves.data.x, curves.data.typical
    assert np.any(np.mod(x, 1) != 0)
    assert np.all(np.diff(typical) > 0)  # strictly rising: no flat steps between whole hours
