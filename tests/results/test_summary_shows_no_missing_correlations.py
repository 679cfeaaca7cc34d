"""Summaries never print `nan` for a correlation the model does not have (issue 9, item 4)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets.results import tables


def _fit(formula, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mw.fit(formula, data)


@pytest.fixture(scope="module")
def sleepstudy():
    return mw.datasets.load("sleepstudy")


@pytest.fixture(scope="module")
def three_slopes():
    rng = np.random.default_rng(2)
    n = 600
    frame = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n), "g": rng.integers(0, 30, n)})
    u = rng.normal(size=(3, 30))
    frame["y"] = frame.x + u[0, frame.g] + u[1, frame.g] * frame.x + u[2, frame.g] * frame.z + rng.normal(size=n)
    return frame


def _random_effects_block(text: str) -> str:
    return text[text.index("Random effects:") : text.index("Number of obs")]


@pytest.mark.parametrize(
    "formula", ["Reaction ~ Days + (Days || Subject)", "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)"]
)
def test_uncorrelated_terms_print_no_correlation_at_all(sleepstudy, formula):
    model = _fit(formula, sleepstudy)
    block = _random_effects_block(model.summary())
    assert "nan" not in block.lower() and "Corr" not in block
    html = model._repr_html_()
    assert "nan" not in html.lower() and ">Corr<" not in html
    assert all(corr == [] for corr in tables.random_effects_table(model).Corr)


def test_a_correlated_term_still_prints_its_correlation(sleepstudy):
    model = _fit("Reaction ~ Days + (Days | Subject)", sleepstudy)
    block = _random_effects_block(model.summary())
    correlation = model.varcorr.dropna(subset=["var2"]).sdcor.iloc[0]
    assert "Corr" in block and f"{correlation:5.2f}".strip() in block


def test_a_term_outside_the_correlated_block_shows_blanks_not_nan(three_slopes):
    model = _fit("y ~ x + z + (1 + x | g) + (0 + z | g)", three_slopes)
    block = _random_effects_block(model.summary())
    assert "nan" not in block.lower()
    z_line = next(line for line in block.splitlines() if re.match(r"^\s+z\s", line))
    assert len(z_line.split()) == 3  # name, variance, standard deviation: no correlations
    assert [len(c) for c in tables.random_effects_table(model).Corr] == [0, 1, 0, 0]
