"""Grouping expressions right of the bar: ``g``, ``a:b`` (interaction), ``a/b`` (nesting)."""

from __future__ import annotations

from .caret import formula_error
from .scan import is_plain_name

GROUP_HINT = "a grouping factor is column names joined by ':' (interaction) or '/' (nesting)"


def parse_group(text: str, start: int, end: int) -> list[list[str]]:
    """Read the grouping expression in text[start:end].

    Returns the '/'-separated segments, each a list of column names joined by ':'.
    """
    segments: list[list[str]] = [[]]
    expect_name, index = True, start
    while index < end:
        char = text[index]
        if char.isspace():
            index += 1
        elif expect_name:
            name, index = _read_name(text, index, end)
            segments[-1].append(name)
            expect_name = False
        elif char in ":/":
            if char == "/":
                segments.append([])
            expect_name, index = True, index + 1
        else:
            raise formula_error(text, index, f"unexpected '{char}' in grouping factor: {GROUP_HINT}")
    if expect_name:
        raise formula_error(text, end, f"grouping factor ends without a name: {GROUP_HINT}")
    return segments


def _read_name(text: str, index: int, end: int) -> tuple[str, int]:
    if text[index] == "`":
        close = text.find("`", index + 1, end)
        name = text[index + 1 : close] if close > index else ""
        if close < 0 or not name:
            raise formula_error(text, index, "empty or unclosed `name` in grouping factor")
        return name, close + 1
    stop = index
    while stop < end and (text[stop].isalnum() or text[stop] in "_."):
        stop += 1
    if stop == index or not is_plain_name(text[index:stop]):
        raise formula_error(text, index, f"expected a column name here: {GROUP_HINT}")
    return text[index:stop], stop


def expand_nesting(segments: list[list[str]]) -> list[str]:
    """Named as lme4 names them: ``a/b/c`` -> ["a", "b:a", "c:(b:a)"]; ``a:b`` -> ["a:b"].

    The first factor of a name varies slowest in its levels (``b:a`` has levels ``b1:a1``,
    ``b1:a2``, ...), as in R's ``b:a``.
    """
    groups: list[str] = []
    for segment in segments:
        inner = join_group(segment)
        if not groups:
            groups.append(inner)
        else:
            outer = groups[-1]
            groups.append(f"{inner}:({outer})" if len(group_factor_names(outer)) > 1 else f"{inner}:{outer}")
    return groups


def join_group(names: list[str]) -> str:
    """Join column names into a group expression, backticking unusual names."""
    return ":".join(name if is_plain_name(name) else f"`{name}`" for name in names)


def group_factor_names(group: str) -> tuple[str, ...]:
    """The column names in a group expression, first varying slowest:
    ``"a:`my b`"`` -> ("a", "my b"); ``"c:(b:a)"`` -> ("c", "b", "a")."""
    flat = "".join(" " if char in "()" and not quoted else char for char, quoted in _quoted_chars(group))
    segments = parse_group(flat, 0, len(flat))
    if len(segments) != 1:
        raise formula_error(group, group.find("/"), "expand '/' nesting before use")
    return tuple(segments[0])


def _quoted_chars(text: str):
    """Each character with whether it lies inside backticks."""
    inside = False
    for char in text:
        if char == "`":
            inside = not inside
            yield char, True
        else:
            yield char, inside
