"""The catalogue of planted bugs, one file per layer; names starting "fresh:" are the red team's of issue 16."""

from __future__ import annotations

from .bug import Bug
from .engine import ENGINE
from .fitting import FITTING
from .inference import INFERENCE
from .results import RESULTS

BUGS: list[Bug] = [*RESULTS, *ENGINE, *INFERENCE, *FITTING]

__all__ = ["BUGS", "Bug"]
