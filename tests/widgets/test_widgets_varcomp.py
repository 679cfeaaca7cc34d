"""Variance-component table: numbers, correlations, residual, ICC, share bar, singular-fit flag."""

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets.widgets import VarianceTable
from mixedwidgets.widgets.varcomp_html import SINGULAR_TEXT, component_rows, status_notes


def test_rows_hold_variance_sd_and_correlation(sleep_fit):
    rows = component_rows(sleep_fit.varcorr)
    assert [(r["group"], r["term"]) for r in rows] == [
        ("Subject", "(Intercept)"),
        ("Subject", "Days"),
        ("Residual", ""),
    ]
    assert rows[0]["variance"] == pytest.approx(612.09, rel=1e-3)
    assert rows[1]["corr"][0][0] == "(Intercept)"
    assert rows[1]["corr"][0][1] == pytest.approx(0.0656, abs=1e-3)
    assert rows[2]["sd"] == pytest.approx(sleep_fit.sigma)


def test_table_html_shows_everything(sleep_fit):
    html = VarianceTable(sleep_fit).value
    for text in (
        "612.09",
        "24.740",
        "35.07",
        "5.922",
        "0.07 with (Intercept)",
        "Residual",
        "654.94",
        "ICC",
        "0.483",
        "depends on Days",
        "Share of variance",
        "residual 51.7%",
    ):
        assert text in html, text
    assert "mw-share-bar" in html and "Singular" not in html


def test_static_fallback_is_the_same_html(sleep_fit):
    table = VarianceTable(sleep_fit)
    bundle = table._repr_mimebundle_()
    assert bundle["text/html"] == table.value
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_singular_fit_is_flagged_in_plain_words():
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"y": rng.normal(size=200), "g": np.repeat([f"s{i}" for i in range(40)], 5)})
    fit = mw.fit("y ~ 1 + (1 | g)", data)
    assert fit.singular
    html = VarianceTable(fit).value
    assert "≈ 0" in html
    assert "ingular" in html and "simplif" in html


def test_singular_text_used_when_the_fit_gives_no_message(sleep_fit):
    class Singular:
        singular, converged, messages = True, False, []

    notes = status_notes(Singular())
    assert "Singular fit" in notes and "did not report convergence" in notes
    assert SINGULAR_TEXT.split(":")[0] in notes


def test_two_grouping_factors_and_residual():
    fit = mw.fit("diameter ~ 1 + (1 | plate) + (1 | sample)", mw.datasets.load("penicillin"))
    html = VarianceTable(fit).value
    assert "plate" in html and "sample" in html and "Residual" in html
    assert html.count("<tr") >= 4
