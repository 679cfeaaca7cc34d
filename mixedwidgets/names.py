"""Names every layer shares: the intercept's label and the lookup of a grouping factor by name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from .errors import MixedModelError

#: lme4's label of the intercept column, in X and in random-effect terms
INTERCEPT = "(Intercept)"


class Grouped(Protocol):
    @property
    def group(self) -> str: ...


T = TypeVar("T", bound=Grouped)


def unquoted(name: str) -> str:
    """A grouping factor's name without backticks: "`my g`" -> "my g"."""
    return str(name).replace("`", "")


def find_group(items: Iterable[T], group: str) -> T:
    """The item (a design term or an engine layout) for grouping factor `group`; backticks optional.

    A MixedModelError naming the grouping factors there are when none matches.
    """
    items = list(items)
    for item in items:
        if item.group == group:
            return item
    for item in items:
        if unquoted(item.group) == unquoted(group):
            return item
    names = ", ".join(repr(item.group) for item in items)
    raise MixedModelError(f"no grouping factor {group!r}; the model has {names}")
