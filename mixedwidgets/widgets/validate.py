"""Validation of messages that come from the browser: types and ranges, nothing is evaluated."""

from __future__ import annotations

import math
from typing import Any


def valid_index(value: Any, size: int) -> int | None:
    """`value` as an index into a sequence of `size`, or None (bools, floats, strings rejected)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value < size else None


def valid_number(value: Any, low: float, high: float) -> float | None:
    """`value` as a finite float clamped to [low, high], or None when it is not a real number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    if not math.isfinite(number):
        return None
    return min(high, max(low, number))


def element_index(content: Any, key: str, size: int) -> int | None:
    """Index of the element named in a bqplot event message (`content[key]["index"]`), validated.

    bqplot's Scatter sends hovers and clicks as `{"event": ..., "data": {"index": i, ...}}`, other
    marks use "point" for hovers; the other key is tried when `key` is absent.
    """
    if not isinstance(content, dict):
        return None
    for name in (key, "data", "point"):
        payload = content.get(name)
        if isinstance(payload, dict):
            return valid_index(payload.get("index"), size)
    return None
