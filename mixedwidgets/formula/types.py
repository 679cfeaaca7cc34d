"""The parsed form of an lme4-style formula (see docs/internals.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RandomTerm:
    """One random-effect term ``(expr | group)`` after expanding nesting."""

    expr: str  # left of the bar, e.g. "1 + Days", "Days", "0 + x"
    group: str  # grouping expression: "Subject", "a:b" (interaction), "c:(b:a)" (from a/b/c, as lme4)
    correlated: bool  # False for (expr || g)


@dataclass(frozen=True)
class ParsedFormula:
    """A formula split into response, fixed part (for formulaic) and random terms."""

    text: str  # the formula as the user wrote it
    response: str  # left-hand side text ("Reaction", "cbind(incidence, size - incidence)")
    fixed: str  # right-hand side of the fixed part, for formulaic ("1 + Days", "0 + x")
    random: tuple[RandomTerm, ...]  # after expanding a/b -> a + b:a (lme4's names); in formula order
    offsets: tuple[str, ...] = ()  # expressions inside offset(...) terms of the fixed part
