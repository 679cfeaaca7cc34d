"""The θ layout of backend/reterms.py on a worked example: terms sorted by levels (largest first), T's free
entries column by column (lme4's order), the bounds and start, which entries are diagonal, and the column of T
each θ entry belongs to (the boundary escape negates a whole column)."""

from __future__ import annotations

import numpy as np
from test_engine_dense_reference import random_frame

from mixedwidgets.backend.reterms import build_structure
from mixedwidgets.design import build_design
from mixedwidgets.formula import parse_formula


def test_layout_of_three_terms():
    # g: 23 levels, h: 9, a: 6 — sorted g, h, a whatever the formula's order
    design = build_design(parse_formula("y ~ x + (1 | a) + (1 + x + z | g) + (1 + z | h)"), random_frame(2))
    s = build_structure(design.terms)
    assert [t.group for t in s.terms] == ["g", "h", "a"]
    g, h, a = s.terms
    # (1 + x + z | g): T is 3 × 3, entries (0,0) (1,0) (2,0) (1,1) (2,1) (2,2)
    np.testing.assert_array_equal(g.rows, [0, 1, 2, 1, 2, 2])
    np.testing.assert_array_equal(g.cols, [0, 0, 0, 1, 1, 2])
    assert (g.theta_slice, h.theta_slice, a.theta_slice) == (slice(0, 6), slice(6, 9), slice(9, 10))
    diagonal = [True, False, False, True, False, True, True, False, True, True]
    np.testing.assert_array_equal(s.is_diagonal_entry(), diagonal)
    np.testing.assert_array_equal(s.lower, np.where(diagonal, 0.0, -np.inf))
    np.testing.assert_array_equal(s.theta0, np.where(diagonal, 1.0, 0.0))
    # columns of T: g's 0, 1, 2; h's 3, 4; a's 5
    np.testing.assert_array_equal(s.column_ids(), [0, 0, 0, 1, 1, 2, 3, 3, 4, 5])
    theta = np.arange(1.0, 11.0)
    np.testing.assert_array_equal(g.factor(theta), [[1, 0, 0], [2, 4, 0], [3, 5, 6]])
    np.testing.assert_array_equal(h.factor(theta), [[7, 0], [8, 9]])
    assert s.n_theta == 10 and s.q_total == 23 * 3 + 9 * 2 + 6
