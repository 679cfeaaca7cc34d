"""mw.compare: ML refits said in the table and HTML, boundary p-values, the parametric-bootstrap LRT."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mixedwidgets as mw
from mixedwidgets.errors import MixedModelError
from mixedwidgets.inference.boundary_lrt import boundary_mixture

REFERENCE = Path(__file__).parent / "reference"
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def sleep():
    d = mw.datasets.load("sleepstudy")
    return (
        mw.fit("Reaction ~ Days + (1 | Subject)", d),
        mw.fit("Reaction ~ Days + (Days | Subject)", d),
        mw.fit("Reaction ~ 1 + (1 | Subject)", d),
    )


def test_refits_by_ml_are_said_in_the_table_its_text_and_its_html(sleep):
    table = mw.compare(sleep[0], sleep[1])
    assert list(table["fit"]) == ["ML (refitted from REML)"] * 2
    assert "refitted with ML" in repr(table) and "refitted with ML" in table._repr_html_()
    ml = mw.compare(sleep[0].refit(reml=False), sleep[1].refit(reml=False))
    assert list(ml["fit"]) == ["ML", "ML"] and "refitted" not in ml._repr_html_()


def test_naive_and_boundary_p_values_beside_each_other(sleep):
    ref = json.loads((REFERENCE / "intervals_pbmodcomp_sleepstudy.json").read_text())
    row = mw.compare(sleep[0], sleep[1]).iloc[1]
    assert row["Chisq"] == pytest.approx(ref["chisq"], rel=1e-5) and row["Df"] == ref["df"]
    assert row["Pr(>Chisq)"] == pytest.approx(ref["p_chisq"], rel=1e-3)
    # a slope added to a correlated intercept term: one variance and one correlation, 50:50 χ²₁ : χ²₂
    expected = 0.5 * stats.chi2.sf(row["Chisq"], 1) + 0.5 * stats.chi2.sf(row["Chisq"], 2)
    assert row["Pr(>Chisq) boundary"] == pytest.approx(expected, rel=1e-12)
    assert row["Pr(>Chisq) boundary"] < row["Pr(>Chisq)"]


def test_no_boundary_p_value_when_fixed_effects_differ(sleep):
    table = mw.compare(sleep[2], sleep[0])
    assert np.isnan(table.iloc[1]["Pr(>Chisq) boundary"])
    assert "differ only in random effects" not in table._repr_html_()


def test_one_new_scalar_variance_is_half_the_chi2_1_tail():
    d = mw.datasets.load("penicillin")
    small = mw.fit("diameter ~ 1 + (1 | plate)", d, reml=False)
    big = mw.fit("diameter ~ 1 + (1 | plate) + (1 | sample)", d, reml=False)
    row = mw.compare(small, big).iloc[1]
    assert row["Pr(>Chisq) boundary"] == pytest.approx(0.5 * stats.chi2.sf(row["Chisq"], 1), rel=1e-12)


def test_mixture_weights_for_the_documented_cases(sleep):
    s = {name: m.engine_fit.structure for name, m in zip(("int", "slope"), sleep[:2])}
    mixture = boundary_mixture(s["int"], s["slope"])
    assert mixture.weights == {1: 0.5, 2: 0.5} and mixture.exact
    d = mw.datasets.load("sleepstudy")
    uncorrelated = mw.fit("Reaction ~ Days + (Days || Subject)", d).engine_fit.structure
    two_new = boundary_mixture(s["int"], uncorrelated)
    assert two_new.weights == {0: 0.5, 1: 0.5} and two_new.exact
    assert boundary_mixture(s["slope"], s["int"]) is None


def test_formulas_in_the_notes_are_escaped():
    d = mw.datasets.load("sleepstudy")
    small = mw.fit("Reaction ~ I(Days < 5) + (1 | Subject)", d)
    big = mw.fit("Reaction ~ I(Days < 5) + (Days | Subject)", d)
    html = mw.compare(small, big)._repr_html_()
    assert "I(Days &lt; 5)" in html and "I(Days < 5)" not in html


def test_bootstrap_lrt_agrees_with_pbmodcomp_under_the_null():
    ref = json.loads((REFERENCE / "intervals_pbmodcomp_null_slope.json").read_text())
    d = pd.read_csv(DATA / "intervals_null_slope.csv")
    small, big = mw.fit("y ~ x + (1 | g)", d, reml=False), mw.fit("y ~ x + (1 + x | g)", d, reml=False)
    table = mw.compare(small, big, method="boot", nsim=300, seed=12)
    row = table.iloc[1]
    assert row["Chisq"] == pytest.approx(ref["lrt"], rel=1e-4, abs=1e-6)
    # Monte Carlo: SE of our p (300 draws) and R's (1000) together about 0.03 at p near 0.3
    assert abs(row["Pr(boot)"] - ref["p_boot"]) < 0.1
    assert "PBmodcomp" in table._repr_html_()
    again = mw.compare(small, big, method="boot", nsim=300, seed=12, n_jobs=1)
    assert again.iloc[1]["Pr(boot)"] == row["Pr(boot)"]


def test_bad_method_is_refused(sleep):
    with pytest.raises(MixedModelError):
        mw.compare(sleep[0], sleep[1], method="exact")
