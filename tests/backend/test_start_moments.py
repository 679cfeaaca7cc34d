"""The moment start of θ (backend/start.py) against its definition, computed level by level with plain numpy.

The start only decides where BOBYQA begins (the optimum does not depend on it on these data), so a wrong
start goes unseen by the reference fits: these tests pin the start itself. The oracle follows the
module's description with one least-squares fit per level (np.linalg.lstsq on that level's rows of Z):
β from OLS; per term, the levels with more rows than columns and a well-conditioned Z_g'Z_g are usable;
σ² = Σ residual SS / (Σ rows − q · usable levels); Σ/σ² = (cov of the coefficients − σ² mean (Z_g'Z_g)⁻¹)/σ²,
zero across uncorrelated blocks, its eigenvalues clipped to [MIN_RATIO² max(λ_max, 1), MAX_RATIO²]; θ₀ from
its Cholesky factor. With several terms: two backfitting sweeps, coarse terms first, each term fitted to
the residuals less the other terms' shrunken effects (Z_g'Z_g + (Σ/σ²)⁻¹)⁻¹ Z_g'r_g.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mixedwidgets.backend.reterms import build_structure
from mixedwidgets.backend.start import MAX_RATIO, MIN_RATIO, starting_theta
from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula


def frame(seed: int, n: int = 300, group_sd: float = 1.0, slope_sd: float = 0.4, noise: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 17, size=n)
    h = rng.integers(0, 7, size=n)
    x = rng.normal(size=n) * 1.5 + 0.5
    y = (
        2.0
        + 0.3 * x
        + group_sd * rng.normal(size=17)[g]
        + slope_sd * rng.normal(size=17)[g] * x
        + 0.7 * rng.normal(size=7)[h]
        + noise * rng.normal(size=n)
    )
    return pd.DataFrame({"x": x, "z": rng.uniform(-1, 2, size=n), "g": g.astype(str), "h": h.astype(str), "y": y})


def level_fits(codes, values, residuals, n_levels):
    """(coefficients, Z_g'Z_g, usable, residual SS after the level's fit) per level, by lstsq on its rows."""
    q = values.shape[1]
    coef, gram = np.zeros((n_levels, q)), np.zeros((n_levels, q, q))
    usable, rss = np.zeros(n_levels, bool), np.zeros(n_levels)
    for level in range(n_levels):
        rows = codes == level
        z, r = values[rows], residuals[rows]
        gram[level] = z.T @ z
        if rows.sum() > q and np.linalg.cond(gram[level]) < 1e8:
            usable[level] = True
            coef[level] = np.linalg.lstsq(z, r, rcond=None)[0]
            rss[level] = np.sum((r - z @ coef[level]) ** 2)
    return coef, gram, usable, rss


def moment_ratio(codes, values, residuals, n_levels, blocks):
    coef, gram, usable, rss = level_fits(codes, values, residuals, n_levels)
    q = values.shape[1]
    if usable.sum() < 3:
        return None, gram
    counts = np.bincount(codes, minlength=n_levels)
    sigma2 = rss[usable].sum() / (counts[usable].sum() - q * usable.sum())
    spread = np.atleast_2d(np.cov(coef[usable].T))
    sampling = sigma2 * np.mean([np.linalg.inv(gram[g]) for g in np.flatnonzero(usable)], axis=0)
    ratio = (spread - sampling) / sigma2
    mask = np.zeros((q, q), bool)
    for members in blocks:
        mask[np.ix_(members, members)] = True
    ratio[~mask] = 0.0
    vals, vecs = np.linalg.eigh(ratio)
    vals = np.clip(vals, MIN_RATIO**2 * max(vals.max(), 1.0), MAX_RATIO**2)
    return vecs @ np.diag(vals) @ vecs.T, gram


def oracle_theta(formula: str, data: pd.DataFrame) -> np.ndarray:
    design = build_design(parse_formula(formula), data)
    structure = build_structure(design.terms)
    X, y = np.asarray(design.X), np.asarray(design.y)
    theta = structure.theta0.copy()
    residuals = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    layouts = sorted(structure.terms, key=lambda t: t.n_levels)
    effects = {id(t): np.zeros(len(y)) for t in layouts}
    for _ in range(2 if len(layouts) > 1 else 1):
        for layout in layouts:
            term = design.terms[layout.design_position]
            codes = np.asarray(term.codes)
            values = np.asarray(term.values, dtype=float).reshape(len(y), layout.q)
            partial = residuals + effects[id(layout)]
            ratio, gram = moment_ratio(codes, values, partial, layout.n_levels, term.blocks)
            if ratio is None:
                continue
            factor = np.linalg.cholesky(ratio + 1e-10 * np.eye(layout.q))
            theta[layout.theta_slice] = factor[layout.rows, layout.cols]
            if len(layouts) > 1:
                b = np.zeros((layout.n_levels, layout.q))
                for level in range(layout.n_levels):
                    rows = codes == level
                    rhs = values[rows].T @ partial[rows]
                    b[level] = np.linalg.solve(gram[level] + np.linalg.inv(ratio), rhs)
                effects[id(layout)] = np.sum(values * b[codes], axis=1)
                residuals = partial - effects[id(layout)]
    return theta


def engine_theta(formula: str, data: pd.DataFrame) -> np.ndarray:
    design = build_design(parse_formula(formula), data)
    return starting_theta(build_structure(design.terms), design.terms, np.asarray(design.X), np.asarray(design.y))


CASES = {
    "intercept": ("y ~ x + (1 | g)", {}),
    "slope": ("y ~ x + (1 + x | g)", {}),
    "uncorrelated": ("y ~ x + (x || g)", {}),
    "crossed": ("y ~ x + (1 | g) + (1 | h)", {}),
    "slope_and_crossed": ("y ~ x + z + (1 + x | g) + (1 | h)", {}),
    "no_group_variation": ("y ~ x + (1 | g)", {"group_sd": 0.0, "slope_sd": 0.0}),  # the floor
    "huge_group_variation": ("y ~ x + (1 | g)", {"group_sd": 50.0, "noise": 0.2}),  # the ceiling
    "few_rows_per_level": ("y ~ x + (1 + x | g)", {"n": 40}),  # levels with ≤ 2 rows are not usable
    "few_rows_intercept": ("y ~ x + (1 | g)", {"n": 30}),  # levels of one row: Z_g'Z_g = 1 is well conditioned
    "big_intercept_no_slope": ("y ~ x + (1 + x | g)", {"group_sd": 3.0, "slope_sd": 0.0}),  # floor 0.0025 λ_max
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("seed", [2, 9])  # 2: every eigenvalue floored; 9: one of two (slope)
def test_moment_start_equals_the_level_by_level_definition(name, seed):
    formula, shape = CASES[name]
    data = frame(seed, **shape)
    np.testing.assert_allclose(engine_theta(formula, data), oracle_theta(formula, data), rtol=1e-7, atol=1e-9)


def test_the_cases_reach_the_floor_the_ceiling_and_unusable_levels():
    # the oracle's branches are taken: otherwise the clip and the usable-level rule would be unchecked
    assert engine_theta("y ~ x + (1 | g)", frame(2, group_sd=0.0, slope_sd=0.0))[0] == pytest.approx(MIN_RATIO)
    assert engine_theta("y ~ x + (1 | g)", frame(2, group_sd=50.0, noise=0.2))[0] == pytest.approx(MAX_RATIO)
    few = frame(2, n=40)
    assert np.bincount(few["g"].astype(int)).min() <= 2


def test_too_few_usable_levels_keep_lme4s_start():
    data = frame(3, n=300)
    data["g"] = np.where(np.arange(300) < 297, "big", data["g"])  # one big level and 3 of one row each
    theta = engine_theta("y ~ x + (1 + x | g)", data)
    np.testing.assert_array_equal(theta, [1.0, 0.0, 1.0])


def test_three_usable_levels_are_enough_for_the_moments():
    data = frame(3, n=300)
    data["g"] = np.where(np.arange(300) < 294, data["g"].astype(int) % 3, 10 + np.arange(300)).astype(str)
    # three big levels (0, 1, 2) and six levels of one row each (not usable: a slope needs more than 2 rows)
    theta = engine_theta("y ~ x + (1 + x | g)", data)
    assert not np.array_equal(theta, [1.0, 0.0, 1.0])
    np.testing.assert_allclose(theta, oracle_theta("y ~ x + (1 + x | g)", data), rtol=1e-7, atol=1e-9)
