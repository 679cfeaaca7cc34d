"""Which fixed-effect columns are `within(x, g)` or `between(x, g)`: found once, when the design is built.

The results layer (the contextual effect) and the hybrid view read this record instead of taking the
column names apart again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..formula import call_arguments, column_name
from ..formula.groups import join_group

Part = Literal["within", "between"]


@dataclass(frozen=True)
class SplitColumn:
    """One column of X made by within() or between()."""

    column: str  # the column's name in X, e.g. "within(A, g)"
    part: Part  # "within": x minus its group mean; "between": the group mean
    variable: str  # the variable split, e.g. "A"
    group: str  # the grouping factor as the design spells it, e.g. "g" or "a:b"


def split_column(name: str) -> SplitColumn | None:
    """The SplitColumn for a column name such as ``within(A, g)``; None for any other column."""
    for part in ("within", "between"):
        arguments = call_arguments(name, part)
        if arguments and len(arguments) >= 2:
            names = [column_name(a) or a for a in arguments]
            return SplitColumn(name, part, names[0], join_group(names[1:]))
    return None


def split_columns(fixed_names: tuple[str, ...]) -> tuple[SplitColumn, ...]:
    """Every within()/between() column among the fixed effects, in column order."""
    found = (split_column(name) for name in fixed_names)
    return tuple(column for column in found if column is not None)
