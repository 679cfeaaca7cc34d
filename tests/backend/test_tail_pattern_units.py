"""Small worked examples of backend/tail_pattern.py's helpers: the perfect-elimination test that decides
whether the tail fills in (Rose, Tarjan & Lueker), the sort-based unique, and the refusal to locate an entry
outside the pattern."""

from __future__ import annotations

import numpy as np
import pytest

from mixedwidgets.backend.tail_pattern import TailPattern, eliminates_without_fill, sorted_unique


def _edges(pairs, n_units):
    diagonal = [(u, u) for u in range(n_units)]
    big, small = np.array([p for p in pairs + diagonal]).T
    return big, small


@pytest.mark.parametrize(
    ("pairs", "n_units", "expected"),
    [
        ([], 3, True),  # no off-diagonal entries
        ([(2, 0), (2, 1)], 3, True),  # nested: 0 and 1 inside 2
        ([(2, 0), (3, 0), (2, 1), (3, 1)], 4, False),  # crossed: eliminating 0 joins 2 and 3, which are not joined
        ([(2, 0), (3, 0), (2, 1), (3, 1), (3, 2)], 4, True),  # ... unless they are
        ([(2, 0), (3, 0), (4, 1)], 5, False),  # the missing (3, 2) sorts between stored entries
    ],
)
def test_perfect_elimination_order(pairs, n_units, expected):
    big, small = _edges(pairs, n_units)
    assert eliminates_without_fill(big, small, n_units) is expected


def test_sorted_unique():
    np.testing.assert_array_equal(sorted_unique(np.array([2, 2, 7, 1, 7])), [1, 2, 7])
    np.testing.assert_array_equal(sorted_unique(np.array([4, 4])), [4])
    assert sorted_unique(np.zeros(0, dtype=np.int64)).size == 0


def test_locate_refuses_an_entry_outside_the_pattern():
    # lower entries of a 3 × 3 block: (0,0) (1,0) (1,1) (2,1) (2,2) — (2,0) is not stored
    rows, cols = np.array([0, 1, 1, 2, 2]), np.array([0, 0, 1, 1, 2])
    pattern = TailPattern(rows, cols, np.array([0, 1, 3, 5]), 3)
    np.testing.assert_array_equal(pattern.locate(np.array([2, 1]), np.array([1, 0])), [3, 1])
    with pytest.raises(AssertionError, match="outside"):
        pattern.locate(np.array([2]), np.array([0]))
    np.testing.assert_array_equal(pattern.diagonal, [0, 2, 4])
