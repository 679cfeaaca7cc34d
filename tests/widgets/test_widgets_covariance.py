"""Covariance explorer: binary payload, centring formulas, ESM lookup, validation of browser messages."""

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import mixedwidgets as mw
from mixedwidgets.widgets import CovarianceExplorer, CovariancePanel
from mixedwidgets.widgets._esm import explorer_esm, inline_module, js_directory
from mixedwidgets.widgets.covariance import NO_SLOPE_NOTE

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def explorer(sleep_fit):
    return CovarianceExplorer(sleep_fit)


def decode(explorer):
    names = explorer.levels_utf8.decode("utf-8").split("\0")
    return names, np.frombuffer(explorer.u0, "<f8"), np.frombuffer(explorer.u1, "<f8")


def test_payload_travels_as_bytes_and_matches_ranef(sleep_fit, explorer):
    assert isinstance(explorer.u0, bytes) and isinstance(explorer.levels_utf8, bytes)
    names, u0, u1 = decode(explorer)
    assert explorer.n_levels == 18 and names == list(sleep_fit.design.terms[0].levels)
    ranef = sleep_fit.ranef().assign(level=lambda f: f.level.astype(str)).set_index(["term", "level"])
    np.testing.assert_allclose(u0, ranef.loc["(Intercept)"].loc[names, "condval"])
    np.testing.assert_allclose(u1, ranef.loc["Days"].loc[names, "condval"])
    state = explorer.get_state()
    assert isinstance(state["u0"], (bytes, memoryview))


def test_covariance_and_ranges_come_from_the_fit(sleep_fit, explorer):
    cov = sleep_fit.covariance("Subject")
    assert explorer.tau == pytest.approx([cov.iloc[0, 0], cov.iloc[0, 1], cov.iloc[1, 1]])
    assert explorer.beta == pytest.approx(list(sleep_fit.fixef))
    assert explorer.x_range == [0.0, 9.0] and explorer.centre_range == [0.0, 9.0]
    assert (explorer.group, explorer.slope_name, explorer.note) == ("Subject", "Days", "")
    assert explorer.response_label == "Reaction"


def test_centring_formulas(explorer):
    t00, t01, t11 = explorer.tau
    explorer._front_end_message(None, {"kind": "centre", "value": 4.5})
    assert explorer.centre == 4.5
    assert explorer.centred()["intercept_variance"] == pytest.approx(t00 + 9 * t01 + 20.25 * t11)
    assert explorer.centred()["tau01"] == pytest.approx(t01 + 4.5 * t11)


@pytest.mark.parametrize(
    "value, expected",
    [
        (100.0, 9.0),
        (-3, 0.0),
        ("4", 0.0),
        (float("nan"), 0.0),
        (float("inf"), 0.0),
        (True, 0.0),
        ([1], 0.0),
        ({"__class__": 1}, 0.0),
        (None, 0.0),
        ("__import__('os')", 0.0),
    ],
)
def test_centre_messages_are_validated(explorer, value, expected):
    explorer._front_end_message(None, {"kind": "centre", "value": value})
    assert explorer.centre == expected


def test_select_messages_are_validated(explorer):
    names = explorer.level_names
    explorer._front_end_message(None, {"kind": "select", "index": 3})
    assert explorer.selected_level == names[3]
    for bad in (18, -2, True, 2.0, "3", None, [3]):
        explorer._front_end_message(None, {"kind": "select", "index": bad})
        assert explorer.selected_level == names[3]
    explorer._front_end_message(None, {"kind": "select", "index": -1})
    assert explorer.selected_level == ""
    for junk in ("select", ["select", 3], {"kind": "eval", "code": "1"}, {"index": 3}):
        explorer._front_end_message(None, junk)
        assert explorer.selected_level == ""


def test_model_without_random_slope_gets_a_note():
    fit = mw.fit("Yield ~ 1 + (1 | Batch)", mw.datasets.load("dyestuff"))
    panel = CovariancePanel(fit)
    assert panel.explorer.note == NO_SLOPE_NOTE and panel.explorer.n_levels == 0
    assert panel.children == (panel.explorer,)


def test_uncorrelated_slopes_have_zero_tau01():
    fit = mw.fit("Reaction ~ Days + (Days || Subject)", mw.datasets.load("sleepstudy"))
    explorer = CovarianceExplorer(fit)
    assert explorer.tau[1] == 0.0 and explorer.tau[2] > 0


def test_esm_is_one_self_contained_module():
    source = explorer_esm()
    assert "export default" in source and "centredCovariance" in source
    assert not re.search(r"^\s*import\s", source, re.MULTILINE)
    assert js_directory() == REPO / "js"


def test_esm_is_found_in_an_installed_layout(tmp_path, monkeypatch):
    package = tmp_path / "mixedwidgets"
    shutil.copytree(REPO / "js", package / "_js")
    (package / "widgets").mkdir()
    fake_module = package / "widgets" / "_esm.py"
    fake_module.write_text("")
    monkeypatch.setattr("mixedwidgets.widgets._esm.__file__", str(fake_module))
    assert js_directory() == package / "_js"
    assert inline_module("covariance_explorer.js", package / "_js") == explorer_esm()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_combined_module_parses_in_node(tmp_path):
    path = tmp_path / "explorer.mjs"
    path.write_text(explorer_esm())
    done = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_front_end_never_writes_html_from_data():
    for path in (REPO / "js").glob("*.js"):
        text = path.read_text()
        assert "innerHTML" not in text and "outerHTML" not in text and "insertAdjacentHTML" not in text
        assert "eval(" not in text and "new Function" not in text
