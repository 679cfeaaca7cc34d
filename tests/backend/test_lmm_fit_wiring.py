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

from mixedwidgets.backend import lmm
from mixedwidgets.backend.lmm import LMM_POLISH_BELOW, fit_lmm, polish_threshold
from mixedwidgets.backend.polish import POLISH_BELOW
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


def _crossed(levels: int, seed: int = 3, n: int = 6000):
    import pandas as pd

    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, levels, n), rng.integers(0, levels, n)
    y = rng.normal(0, 1, levels)[a] + rng.normal(0, 0.7, levels)[b] + rng.normal(size=n)
    frame = pd.DataFrame({"y": y, "a": a.astype(str), "b": b.astype(str)})
    return build_design(parse_formula("y ~ 1 + (1 | a) + (1 | b)"), frame)


@pytest.mark.parametrize(("levels", "expected"), [(450, LMM_POLISH_BELOW), (500, POLISH_BELOW), (550, POLISH_BELOW)])
def test_the_polish_goes_to_1e_5_unless_the_tail_is_expensive(levels, expected, monkeypatch):
    """Below EXPENSIVE_TAIL random effects after the first term the fit polishes to ‖L⁻¹g‖ ≤ 1e-5, from
    there on to 1e-3 (each evaluation then factors a large tail)."""
    design = _crossed(levels)
    structure = build_structure(design.terms)
    assert sum(t.size for t in structure.terms[1:]) == levels  # every level drawn at n = 6000
    assert polish_threshold(structure) == expected
    seen = []
    real = lmm.polish_and_check
    monkeypatch.setattr(lmm, "polish_and_check", lambda *a, **k: seen.append(k["polish_below"]) or real(*a, **k))
    fit_lmm(design, reml=True)
    assert seen == [expected]


@pytest.mark.parametrize(("layout", "expected"), [("sparse", LMM_POLISH_BELOW), ("dense", POLISH_BELOW)])
def test_a_large_sparse_tail_keeps_the_fine_polish(layout, expected, monkeypatch):
    """Nested factors leave a tail without fill, factored sparsely and cheaply: 1e-5 whatever its size; the
    same tail forced dense costs m³/3 an evaluation and polishes to 1e-3."""
    import pandas as pd

    from mixedwidgets.backend import crossprod

    rng = np.random.default_rng(5)
    n, schools = 8000, 600
    school, klass = rng.integers(0, schools, n), rng.integers(0, 4, n)
    y = rng.normal(0, 1, schools)[school] + rng.normal(0, 0.5, (schools, 4))[school, klass] + rng.normal(size=n)
    frame = pd.DataFrame({"y": y, "school": school.astype(str), "class": klass.astype(str)})
    design = build_design(parse_formula("y ~ 1 + (1 | school/class)"), frame)
    monkeypatch.setattr(crossprod, "FORCE_TAIL", layout)
    seen = []
    real = lmm.polish_and_check
    monkeypatch.setattr(lmm, "polish_and_check", lambda *a, **k: seen.append(k["polish_below"]) or real(*a, **k))
    fit_lmm(design, reml=True)
    assert seen == [expected]
