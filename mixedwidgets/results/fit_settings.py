"""The arguments a model was fitted with: what a refit repeats and what a summary reports."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class FitSettings:
    """The arguments of `mw.fit` after checking (family as its registry name)."""

    reml: bool = True
    family: str = "gaussian"
    link: str | None = None
    nagq: int = 1
    weights: Any = None  # a column name, an array, or None, as the caller gave it

    def as_arguments(self) -> dict[str, Any]:
        """Keyword arguments that repeat this fit through `mw.fit`."""
        return asdict(self)
