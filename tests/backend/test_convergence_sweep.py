"""A seeded set of the convergence sweep's cases (benchmarks/sweep_lme4.py), with lme4's answers stored.

Each case is a CSV (the data both engines fitted) and a JSON with the formula and lme4's result
(objective, θ, fixed effects and their SEs, warnings). Our fit must reach lme4's optimum or a lower one
(LMMs within 1e-6 relative, GLMMs within 1e-3 on −2 log L), agree with lme4's estimates where both
reached the same optimum, never break down, and not warn about convergence. The set holds 10 LMMs and
10 GLMMs of seed 11 (6 shaped like the GLMM failures of issue 9) and three LMMs from other seeds that
needed the bound escape (seed 1 lmm007), the snap to a bound (seed 4 lmm019, where lme4 stops 1.5 higher
without a warning) and the fine restart (seed 6 lmm017).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw
from mixedwidgets.backend.scaling import scaled_terms, theta_factors

FOLDER = Path(__file__).resolve().parents[1] / "reference" / "sweep"
CASES = sorted(p.stem for p in FOLDER.glob("*.json"))
LMM_RELATIVE = 1e-6
GLMM_ABSOLUTE = 1e-3
SAME_OPTIMUM = 1e-4  # objectives this close: the estimates must agree too


def load(name: str) -> tuple[dict, pd.DataFrame]:
    case = json.loads((FOLDER / f"{name}.json").read_text())
    data = pd.read_csv(FOLDER / f"{name}.csv")
    for column in case["factors"]:
        data[column] = data[column].astype(str)
    return case, data


@pytest.fixture(scope="module", params=CASES)
def fitted(request):
    case, data = load(request.param)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = mw.fit(case["formula"], data, reml=case["reml"], family=case["family"])
    doubts = [str(w.message) for w in caught if "converge" in str(w.message)]
    return case, model, doubts


def lme4_doubts(case: dict) -> list[str]:
    return [w for w in case["lme4"]["warnings"] if not w.startswith("boundary (singular)")]


def tolerance(case: dict) -> float:
    if case["family"] == "gaussian":
        return LMM_RELATIVE * abs(case["lme4"]["objective"])
    return GLMM_ABSOLUTE


def test_the_set_is_there():
    kinds = [json.loads((FOLDER / f"{name}.json").read_text())["family"] for name in CASES]
    assert kinds.count("gaussian") >= 10 and len(kinds) - kinds.count("gaussian") >= 10


def test_objective_at_or_below_lme4(fitted):
    case, model, _ = fitted
    assert model.objective <= case["lme4"]["objective"] + tolerance(case)


def test_no_convergence_warning(fitted):
    # where lme4 warns here, it is about its own stopping point (its optimum is higher than ours, or
    # its unscaled slope parameters); each of these models has a proper optimum, which we reach
    _, model, doubts = fitted
    assert model.converged, model.messages
    assert doubts == []


def test_singular_as_lme4(fitted):
    case, model, _ = fitted
    if not lme4_doubts(case) and abs(model.objective - case["lme4"]["objective"]) <= tolerance(case):
        assert model.singular == case["lme4"]["singular"]


def test_estimates_agree_where_the_optimum_is_the_same(fitted):
    case, model, _ = fitted
    answer = case["lme4"]
    if abs(model.objective - answer["objective"]) > SAME_OPTIMUM:
        pytest.skip("lme4 stopped at a higher optimum than ours (it warns about it)")
    se = np.asarray(answer["se"])
    share = 0.01 if case["family"] == "gaussian" else 0.02  # GLMM: lme4's PIRLS stops less tightly
    assert np.all(np.abs(model.fixef.to_numpy() - np.asarray(answer["fixef"])) <= share * se)
    # θ compared on the scale where a slope's entries are near 1 (a slope on x in hundreds has θ ~ 0.01)
    to_unit = 1.0 / theta_factors(model.engine_fit.structure, scaled_terms(model.design.terms)[1])
    ours, theirs = model.theta * to_unit, np.asarray(answer["theta"]) * to_unit
    assert np.all(np.abs(ours - theirs) <= 2e-3 + 1e-2 * np.abs(theirs))
