"""The LMM's escape from a bound (polish.boundary_escape through lmm.fit_cross_products' `restart`) and its fine
restart, each pinned to lme4 on a case that needs it.

The convergence sweep's lmm007_slopes (seed 1, y ~ x + z + (1 + x | g), ML, 495 rows, x in hundreds): BOBYQA
from the moment start stops with the intercept's θ on its bound (−2 log L = 1269.21, a singular fit) and only
the restart from the interior reaches the optimum. lme4 on x as stored stops at 1270.72 with a convergence
warning; on x / 100 (the same model) three of its optimizers agree on 1268.2467, which is the reference
(tools/r/escape_lme4.R, tests/reference/escape/, θ and β converted back to x's units).

The sweep's lmm017_two_slopes (seed 6, y ~ x + z + (1 + x + z | g), REML, 5,717 rows): the Newton polish leaves a
doubtful gradient in a curved valley towards the bound of z's SD; without the fine restart the fit stops 4.8e-4
above the optimum and fails the convergence check. lme4 on x / 10 (REML criterion + 2 log 10, the change of
log|R_X|²) reaches the same singular optimum with Nelder-Mead, 23354.428192.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mixedwidgets.backend.lmm import fit_lmm
from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


@pytest.fixture(scope="module")
def case():
    answer = json.loads((REFERENCE / "escape" / "lmm007_slopes_rescaled.json").read_text())
    data = pd.read_csv(REFERENCE / "sweep" / "lmm007_slopes.csv")
    data["g"] = data["g"].astype(str)
    design = build_design(parse_formula(answer["formula"]), data)
    return answer, design, fit_lmm(design, reml=answer["reml"])


def test_the_fit_leaves_the_bound_and_reaches_lme4s_optimum(case):
    answer, _, fit = case
    assert max(answer["objectives"]) - min(answer["objectives"]) < 1e-7  # lme4's three optimizers agree
    assert fit.objective == pytest.approx(answer["objective"], abs=1e-6)
    assert fit.convergence.converged and not fit.convergence.singular and not answer["singular"]


def test_estimates_agree_with_lme4_at_that_optimum(case):
    answer, design, fit = case
    # θ on the scale where the slope's entries are near 1 (×100), within 0.2% + 1e-4
    to_unit = np.array([1.0, 100.0, 100.0])
    np.testing.assert_allclose(fit.theta * to_unit, np.asarray(answer["theta"]) * to_unit, rtol=2e-3, atol=1e-4)
    se = np.asarray(answer["se"])
    assert np.all(np.abs(fit.beta - np.asarray(answer["fixef"])) <= 0.01 * se)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov)), se, rtol=1e-3)


def test_progress_counts_the_restart_evaluations_once_in_order(case):
    answer, design, fit = case
    calls: list[tuple[int, float]] = []
    again = fit_lmm(design, reml=answer["reml"], progress=lambda n, value: calls.append((n, value)))
    assert [n for n, _ in calls] == list(range(1, len(calls) + 1))
    assert len(calls) == again.optsummary.evaluations == fit.optsummary.evaluations
    assert min(v for _, v in calls) == pytest.approx(fit.objective, abs=1e-9)


def test_the_fine_restart_reaches_lme4s_singular_optimum():
    answer = json.loads((REFERENCE / "escape" / "lmm017_two_slopes_rescaled.json").read_text())
    data = pd.read_csv(REFERENCE / "sweep" / "lmm017_two_slopes.csv")
    data["g"] = data["g"].astype(str)
    fit = fit_lmm(build_design(parse_formula(answer["formula"]), data), reml=answer["reml"])
    assert fit.objective == pytest.approx(answer["objective"], abs=1e-6)
    assert fit.convergence.converged and fit.convergence.singular and answer["singular"]
    se = np.asarray(answer["se"])
    assert np.all(np.abs(fit.beta - np.asarray(answer["fixef"])) <= 0.01 * se)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov)), se, rtol=1e-4)
