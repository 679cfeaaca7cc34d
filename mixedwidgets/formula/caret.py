"""Error messages that show the formula with a caret under the offending position."""

from __future__ import annotations

from ..errors import MixedModelError


def caret_display(text: str, position: int) -> str:
    """Return two indented lines: the formula, and a caret under ``position``."""
    flat = text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    position = max(0, min(position, len(flat)))
    return f"    {flat}\n    {' ' * position}^"


def formula_error(text: str, position: int | None, message: str) -> MixedModelError:
    """Build a MixedModelError whose message shows ``text`` and marks ``position``."""
    if position is None:
        return MixedModelError(f"{message}\n    {text}")
    return MixedModelError(f"{message}\n{caret_display(text, position)}")
