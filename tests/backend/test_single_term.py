"""The one-term LMM objective's algebra (backend/single_term.py, used by lmm.make_objective for q ≤ 2)
against plain dense numpy, and its refusal of what it does not handle."""

from __future__ import annotations

import numpy as np
import pytest
from test_engine_dense_reference import dense_answers, random_frame, random_theta

from mixedwidgets.backend.crossprod import build_cross_products
from mixedwidgets.backend.lmm import make_objective, profiled_deviance
from mixedwidgets.backend.reterms import build_structure
from mixedwidgets.backend.single_term import SingleTermSystem, applies
from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula


@pytest.mark.parametrize("formula", ["y ~ x + (1 | g)", "y ~ x + z + (1 + x | g)", "y ~ x + (0 + x | g)"])
@pytest.mark.parametrize("seed", [3, 4, 5])
@pytest.mark.parametrize("weighted", [False, True])
def test_single_term_factor_equals_dense_linear_algebra(formula, seed, weighted):
    design = build_design(parse_formula(formula), random_frame(seed))
    structure = build_structure(design.terms)
    rng = np.random.default_rng(200 + seed)
    weights = rng.uniform(0.5, 2.0, size=len(design.y)) if weighted else None
    cp = build_cross_products(
        structure, design.terms, design.X, design.y, None if weights is None else np.sqrt(weights)
    )
    assert applies(cp, structure)
    for _ in range(3):
        theta = random_theta(structure, rng)
        expected = dense_answers(design, structure, theta, weights)
        f = SingleTermSystem.from_cross_products(cp, structure).factor(theta)
        assert f.logdet_random == pytest.approx(expected["logdet_random"], rel=1e-10, abs=1e-10)
        assert f.logdet_fixed == pytest.approx(expected["logdet_fixed"], rel=1e-10, abs=1e-10)
        assert f.pwrss == pytest.approx(expected["pwrss"], rel=1e-10)
        for reml in (True, False):
            objective = make_objective(cp, structure, reml, 0.0)
            assert objective(theta) == pytest.approx(profiled_deviance(f, len(design.y), reml), rel=1e-12)


def test_models_the_single_term_algebra_does_not_cover_use_the_blocked_factor():
    frame = random_frame(6)
    for formula in ("y ~ x + (1 | g) + (1 | h)", "y ~ x + z + (1 + x + z | g)"):
        design = build_design(parse_formula(formula), frame)
        structure = build_structure(design.terms)
        cp = build_cross_products(structure, design.terms, design.X, design.y)
        assert not applies(cp, structure)
