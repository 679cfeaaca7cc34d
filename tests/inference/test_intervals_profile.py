"""Profile and Wald intervals against lme4's confint (stored answers), and the profile's zeta curves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from intervals_cases import as_array, fitted, reference, widths

import mixedwidgets as mw
from mixedwidgets.errors import MixedModelError

LMM_CASES = ["sleepstudy", "unbalanced", "cake"]
FRESH_CASES = ["fresh_penicillin", "fresh_uncorrelated", "fresh_q3", "fresh_nested", "fresh_poisson", "fresh_binary"]


@pytest.mark.parametrize("name", LMM_CASES + ["cbpp"] + FRESH_CASES)
def test_profile_intervals_within_one_percent_of_the_width_of_lme4s(name):
    ci = fitted(name).confint("profile")
    ref = reference(name)["profile"]
    assert list(ci.index) == ref["names"]
    w = widths(name)
    assert np.max(np.abs(ci["lower"].to_numpy() - as_array(ref["lower"])) / w) < 0.01
    assert np.max(np.abs(ci["upper"].to_numpy() - as_array(ref["upper"])) / w) < 0.01


#: LMM standard errors agree with lme4's to about 1e-5; a Laplace GLMM's come from a finite-difference
#: Hessian (ours and lme4's use different steps: cbpp differs by 0.5–1.3%), held to the tolerance of the
#: engine's own golden test (tests/test_glmm_reference.py: 2% for Laplace SEs)
SE_TOLERANCE = {"sleepstudy": 1e-4, "unbalanced": 1e-4, "cake": 1e-4, "cbpp": 2e-2}


@pytest.mark.parametrize("name", LMM_CASES + ["cbpp"])
def test_wald_intervals_match_lme4_and_leave_variance_parameters_empty(name):
    ci = fitted(name).confint("wald")
    ref = reference(name)["wald"]
    assert list(ci.index) == ref["names"]
    lower, upper = as_array(ref["lower"]), as_array(ref["upper"])
    fixed = np.isfinite(lower)
    ref_se = (upper - lower)[fixed] / 2
    se = (ci["upper"] - ci["lower"]).to_numpy()[fixed] / 2
    np.testing.assert_allclose(se, ref_se, rtol=SE_TOLERANCE[name])
    centre = (ci["upper"] + ci["lower"]).to_numpy()[fixed] / 2
    assert np.max(np.abs(centre - ((upper + lower) / 2)[fixed]) / ref_se) < SE_TOLERANCE[name]
    n_var = len(ci) - len(fitted(name).fixef)
    assert ci.iloc[:n_var].isna().all().all() and ci.iloc[n_var:].notna().all().all()


def test_profile_curves_are_zero_at_the_ml_estimates_and_increasing():
    m = fitted("sleepstudy")
    curves = m.profile()
    assert list(curves.columns) == ["parameter", "value", "zeta"]
    assert list(dict.fromkeys(curves.parameter)) == reference("sleepstudy")["profile"]["names"]
    ml = m.refit(reml=False)
    at_zero = curves[curves.zeta == 0].set_index("parameter").value
    assert at_zero["Days"] == pytest.approx(ml.fixef["Days"], rel=1e-6)
    assert at_zero["sigma"] == pytest.approx(ml.sigma, rel=1e-4)
    for _, c in curves.groupby("parameter"):
        assert np.all(np.diff(c.zeta.to_numpy()) > 0)
        assert c.zeta.min() < -2.5 and c.zeta.max() > 2.5


def test_profile_curve_points_agree_with_lme4s_zeta_curve():
    """Our ζ at a value equals lme4's ζ interpolated there (both are √(deviance − min) with the rest optimized)."""
    curves = fitted("sleepstudy").profile()
    ref = pd.DataFrame(reference("sleepstudy")["curves"])
    for name, c in curves.groupby("parameter"):
        r = ref[ref.parameter == name].sort_values("value")
        inside = (c.value > r.value.min()) & (c.value < r.value.max())
        expected = np.interp(c.value[inside], r.value, r.zeta)
        np.testing.assert_allclose(c.zeta[inside], expected, atol=0.02)


def test_a_singular_fit_profiles_down_to_zero():
    d = mw.datasets.load("sleepstudy")
    rng = np.random.default_rng(5)
    d = d.assign(Reaction=250 + 10 * d.Days + rng.normal(0, 30, len(d)))  # no subject effect at all
    m = mw.fit("Reaction ~ Days + (1 | Subject)", d)
    ci = m.confint("profile")
    assert ci.loc["sd_(Intercept)|Subject", "lower"] == 0.0
    assert ci.loc["sd_(Intercept)|Subject", "upper"] > 0.0
    assert ci.loc["sigma"].between(20, 40).all()


def test_a_higher_level_gives_a_wider_profile_interval():
    m = fitted("sleepstudy")
    a, b = m.confint("profile", level=0.9), m.confint("profile", level=0.99)
    assert ((b.upper - b.lower) > (a.upper - a.lower)).all()


@pytest.mark.parametrize("kwargs", [{"method": "exact"}, {"level": 1.5}, {"level": 0}, {"level": "0.9"}])
def test_bad_arguments_name_the_problem(kwargs):
    with pytest.raises(MixedModelError):
        fitted("sleepstudy").confint(**kwargs)


def test_weights_and_offset():
    """Variance rows against lme4; lme4's fixed-effect profile with an offset is broken (its note), so those
    rows are checked by an identity: offset(0.5·Days) shifts the Days interval by exactly −0.5."""
    ref = json.loads((Path(__file__).parent / "reference" / "intervals_weights_offset.json").read_text())
    data = pd.read_csv(Path(__file__).parent / "data" / "intervals_weights_offset.csv").astype({"Subject": str})
    with_offset = mw.fit("Reaction ~ Days + offset(off) + (Days | Subject)", data, weights=data.w)
    plain = mw.fit("Reaction ~ Days + (Days | Subject)", data, weights=data.w)
    ci, ci_plain = with_offset.confint("profile"), plain.confint("profile")
    assert list(ci.index) == ref["names"]
    width = np.array(ref["upper"][:4]) - np.array(ref["lower"][:4])
    assert np.max(np.abs(ci.lower.to_numpy()[:4] - ref["lower"][:4]) / width) < 0.01
    assert np.max(np.abs(ci.upper.to_numpy()[:4] - ref["upper"][:4]) / width) < 0.01
    np.testing.assert_allclose(ci.loc["Days"] + 0.5, ci_plain.loc["Days"], atol=1e-3)
    np.testing.assert_allclose(ci.loc["(Intercept)"], ci_plain.loc["(Intercept)"], atol=1e-2)
