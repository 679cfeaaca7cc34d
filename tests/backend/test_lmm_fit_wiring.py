"""The LMM fit's own wiring, checked by value: prior weights, an offset, and the progress callback.

The fit's objective, β and σ at its θ must equal the dense textbook formulas for the weighted problem
with the offset taken off y (−2 log L = log|A| + dof(1 + log(2π r²/dof)) − Σ log w, + log|R_X|² for
REML); the progress callback must see every evaluation once, numbered 1, 2, ….
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_engine_dense_reference import dense_answers, random_frame

from mixedwidgets.backend.lmm import fit_lmm
from mixedwidgets.backend.reterms import build_structure
from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula


def _design(weighted: bool, offset: bool):
    frame = random_frame(11)
    rng = np.random.default_rng(11)
    frame["w"] = rng.uniform(0.3, 3.0, len(frame))
    frame["o"] = rng.normal(size=len(frame)) * 2
    formula = "y ~ x + (1 | g) + (1 + x | h)" if not offset else "y ~ x + offset(o) + (1 | g) + (1 + x | h)"
    return build_design(parse_formula(formula), frame, weights="w" if weighted else None)


@pytest.mark.parametrize(("weighted", "offset"), [(True, False), (False, True), (True, True)])
@pytest.mark.parametrize("reml", [True, False])
def test_weighted_lmm_with_an_offset_equals_the_dense_formula_at_its_optimum(weighted, offset, reml):
    design = _design(weighted, offset)
    assert (design.weights is not None) == weighted and (design.offset is not None) == offset
    fit = fit_lmm(design, reml=reml)
    structure = build_structure(design.terms)
    y = design.y - design.offset if offset else design.y
    d = dense_answers(dataclasses.replace(design, y=y), structure, fit.theta, design.weights)
    dof = d["n"] - d["p"] if reml else d["n"]
    log_w = float(np.log(design.weights).sum()) if weighted else 0.0
    expected = d["logdet_random"] + dof * (1 + np.log(2 * np.pi * d["pwrss"] / dof)) - log_w
    expected += d["logdet_fixed"] if reml else 0.0
    assert fit.objective == pytest.approx(expected, rel=1e-10)
    np.testing.assert_allclose(fit.beta, d["beta"], rtol=1e-8)
    assert fit.residual_sd == pytest.approx(np.sqrt(d["pwrss"] / dof), rel=1e-9)


def test_progress_sees_every_evaluation_once_in_order():
    design = _design(True, False)
    calls = []
    fit = fit_lmm(design, reml=True, progress=lambda n, value: calls.append((n, value)))
    assert [n for n, _ in calls] == list(range(1, len(calls) + 1))
    assert len(calls) == fit.optsummary.evaluations
    assert min(v for _, v in calls) == pytest.approx(fit.objective, abs=1e-9)
    quiet = fit_lmm(design, reml=True)
    assert quiet.objective == fit.objective and quiet.optsummary.evaluations == fit.optsummary.evaluations
