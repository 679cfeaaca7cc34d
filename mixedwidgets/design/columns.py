"""Checking that the columns a formula reads exist, with close-match suggestions."""

from __future__ import annotations

import difflib
import re

import pandas as pd

from ..errors import MixedModelError
from ..formula import formula_error
from ..formula.scan import is_plain_name


def require_columns(names, data: pd.DataFrame, formula_text: str, where: str = "the data") -> None:
    """Raise MixedModelError for the first of ``names`` that ``data`` lacks."""
    available = set(data.columns)
    for name in names:
        if name not in available:
            raise unknown_column_error(name, data.columns, formula_text, where)
    if data.columns.is_unique:
        return
    duplicated = [name for name in dict.fromkeys(names) if (data.columns == name).sum() > 1]
    if duplicated:
        raise MixedModelError(f"column '{duplicated[0]}' appears more than once in {where}")


def unknown_column_error(name: str, columns, formula_text: str, where: str) -> MixedModelError:
    """An error naming the missing column, suggesting close matches and pointing at it."""
    message = f"column '{name}' is not in {where}"
    suggestions = close_matches(name, [str(column) for column in columns])
    if suggestions:
        message += "; did you mean " + " or ".join(_shown(s) for s in suggestions) + "?"
        if any(not is_plain_name(s) for s in suggestions):
            message += " (names with spaces or other special characters go in backticks in a formula)"
    elif len(columns) <= 20:
        message += f"; its columns are {', '.join(repr(str(c)) for c in columns)}"
    position = _position_in(formula_text, name)
    if position is None:
        return MixedModelError(f"{message}\n    {formula_text}")
    return formula_error(formula_text, position, message)


def close_matches(name: str, candidates: list[str]) -> list[str]:
    """Candidates spelled like ``name`` (same letters ignoring case first)."""
    same_case_insensitive = [c for c in candidates if c.lower() == name.lower()]
    lowered = {c.lower(): c for c in candidates}
    fuzzy = [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)]
    containing = [c for c in candidates if not is_plain_name(c) and name in _name_pieces(c)]
    return list(dict.fromkeys(same_case_insensitive + fuzzy + containing))[:3]


def _name_pieces(column: str) -> list[str]:
    """The words of an unusual name: ``"my col"`` and ``"my-col"`` -> ["my", "col"]."""
    return [piece for piece in re.split(r"[^\w.]+", column) if piece]


def _shown(name: str) -> str:
    """A name as it would be written in a formula: plain, or in backticks."""
    return repr(name) if is_plain_name(name) else f"`{name}`"


def _position_in(text: str, name: str) -> int | None:
    for pattern in (f"`{re.escape(name)}`", rf"(?<![\w.`]){re.escape(name)}(?![\w.`])"):
        match = re.search(pattern, text)
        if match:
            return match.start()
    return None
