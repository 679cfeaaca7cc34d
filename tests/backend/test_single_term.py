"""The one-term LMM objective's algebra (backend/single_term.py, used by lmm.make_objective for q ≤ 2)
against plain dense numpy, and its refusal of what it does not handle."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_engine_dense_reference import dense_answers, random_frame, random_theta

from mixedwidgets.backend.crossprod import build_cross_products
from mixedwidgets.backend.factor import factorize
from mixedwidgets.backend.lmm import make_objective, profiled_deviance
from mixedwidgets.backend.reterms import build_structure
from mixedwidgets.backend.single_term import SingleTermSystem, applies
from mixedwidgets.backend.solve import fixed_effects
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


@pytest.mark.parametrize("formula", ["y ~ x + (1 | g)", "y ~ x + z + (1 + x | g)"])
def test_a_new_response_row_gives_the_system_built_from_the_new_response(formula):
    # inference (bootstrap refits) swaps y in place: Z'y per level and [X y]'y must land where a fresh build puts them
    frame = random_frame(6)
    design = build_design(parse_formula(formula), frame)
    structure = build_structure(design.terms)
    system = SingleTermSystem.from_cross_products(
        build_cross_products(structure, design.terms, design.X, design.y, None), structure
    )
    y_new = np.random.default_rng(7).normal(size=len(design.y)) * 3 + 2
    fresh_cp = build_cross_products(structure, design.terms, design.X, y_new, None)
    fresh = SingleTermSystem.from_cross_products(fresh_cp, structure)
    q = structure.terms[0].q
    z_y = fresh_cp.tail0[-1].reshape(-1, q)
    swapped = system.with_response_row(z_y, fresh.c[-1])
    for mine, theirs in zip(swapped.b, fresh.b):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)
    np.testing.assert_allclose(swapped.c, fresh.c, rtol=1e-12)
    theta = random_theta(structure, np.random.default_rng(8))
    expected = dense_answers(dataclasses.replace(design, y=y_new), structure, theta, None)
    f = swapped.factor(theta)
    assert f.pwrss == pytest.approx(expected["pwrss"], rel=1e-10)
    assert f.logdet_fixed == pytest.approx(expected["logdet_fixed"], rel=1e-10)


def test_the_slope_on_its_bound_and_the_fixed_factor_equal_dense_linear_algebra():
    # θ with the slope's column of T zero (a boundary the optimizer visits): T'A_gT + I has a Schur pivot of
    # exactly 1 there; and R_X, R_X β = fixed_rhs, as backend.factor gives them (solve.fixed_effects reads them)
    design = build_design(parse_formula("y ~ x + z + (1 + x | g)"), random_frame(4))
    structure = build_structure(design.terms)
    cp = build_cross_products(structure, design.terms, design.X, design.y, None)
    system = SingleTermSystem.from_cross_products(cp, structure)
    for theta in (np.array([0.8, 0.0, 0.0]), np.array([0.8, 0.3, 0.5])):
        expected = dense_answers(design, structure, theta, None)
        f, blocked = system.factor(theta), factorize(cp, structure, theta)
        assert f.logdet_random == pytest.approx(expected["logdet_random"], rel=1e-10)
        assert f.pwrss == pytest.approx(expected["pwrss"], rel=1e-10)
        np.testing.assert_allclose(f.fixed_factor, blocked.fixed_factor, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(f.fixed_rhs, blocked.fixed_rhs, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(fixed_effects(f), expected["beta"], rtol=1e-9)
