"""A planted bug: an exact text replacement in one file and the test files that must fail with it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Bug:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


R = "mixedwidgets/results/"
B = "mixedwidgets/backend/"
INF = "mixedwidgets/inference/"
F = "mixedwidgets/fitting/"
DENSE_REFERENCE = "tests/backend/test_engine_dense_reference.py"
