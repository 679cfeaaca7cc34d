"""Warnings that point at the user's code, not at mixedwidgets internals."""

from __future__ import annotations

import sys
import warnings
from types import FrameType

from ..errors import MixedModelWarning

_PACKAGE = __name__.split(".")[0]


def warn_user(message: str, skip: tuple[str, ...] = ()) -> None:
    """Emit a MixedModelWarning attributed to the first caller outside the package
    (and outside the top-level modules named in ``skip``, e.g. formulaic)."""
    warnings.warn(message, MixedModelWarning, stacklevel=_levels_to_caller((_PACKAGE, *skip)))


def _levels_to_caller(packages: tuple[str, ...]) -> int:
    frame: FrameType | None = sys._getframe(2)
    level = 2
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] in packages:
        frame, level = frame.f_back, level + 1
    return level
