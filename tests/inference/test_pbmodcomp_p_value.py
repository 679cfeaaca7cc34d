"""The parametric-bootstrap LRT's p-value is pbkrtest's: (1 + #{LRT* > LRT}) / (1 + nsim) (PBrefdist.merMod's
pPB, pbkrtest 0.5), so it is never 0: the observed statistic counts as one draw.

sleepstudy's random slope is far beyond anything the null model simulates (LRT ≈ 42 against a χ̄² null
whose 99.99th percentile is 14), so with 19 draws the p-value is exactly 1/20.
"""

import warnings

import pytest

import mixedwidgets as mw


def test_a_strong_effect_gets_one_over_nsim_plus_one_not_zero():
    data = mw.datasets.load("sleepstudy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = mw.fit("Reaction ~ Days + (1 | Subject)", data, reml=False)
        big = mw.fit("Reaction ~ Days + (Days | Subject)", data, reml=False)
        table = mw.compare(small, big, method="boot", nsim=19, seed=5, n_jobs=1)
    row = table.iloc[1]
    assert row["Chisq"] > 40
    assert row["Pr(boot)"] == pytest.approx(1 / 20, rel=1e-12)
