"""A character scanner for formula text that respects quotes and nested brackets.

All positions are indices into the full formula text, so errors can point at the
exact character the user wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

from .caret import formula_error

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {close: open_ for open_, close in OPENERS.items()}
QUOTES = ("`", "'", '"')


@dataclass(frozen=True)
class Scan:
    """Structure of a formula text: quoting, bracket nesting and bracket partners."""

    text: str
    quoted: tuple[bool, ...]  # inside a quoted string (delimiters included)
    depth: tuple[int, ...]  # number of open brackets around each character
    parent: tuple[int, ...]  # index of the innermost enclosing open bracket, -1 for none
    partner: dict[int, int]  # bracket index -> index of its matching bracket

    def is_structural(self, index: int, char: str, depth: int) -> bool:
        """True if ``text[index]`` is ``char``, unquoted and at nesting ``depth``."""
        return self.text[index] == char and not self.quoted[index] and self.depth[index] == depth

    def find_all(self, start: int, end: int, chars: str, depth: int) -> list[int]:
        """Positions in [start, end) of unquoted ``chars`` at nesting ``depth``."""
        return [i for i in range(start, end) if self.text[i] in chars and not self.quoted[i] and self.depth[i] == depth]

    def strip(self, start: int, end: int) -> tuple[int, int]:
        """Shrink the span [start, end) so it has no surrounding whitespace."""
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return start, end

    def is_call(self, open_index: int) -> bool:
        """True if the '(' at ``open_index`` opens a function call like ``f(x)``."""
        before = open_index - 1
        while before >= 0 and self.text[before].isspace():
            before -= 1
        if before < 0:
            return False
        char = self.text[before]
        return char.isalnum() or char in "_.)]`"

    def wraps(self, start: int, end: int) -> bool:
        """True if [start, end) is one plain parenthesised group ``( ... )``."""
        return (
            end - start >= 2
            and self.text[start] == "("
            and not self.quoted[start]
            and self.partner.get(start) == end - 1
            and not self.is_call(start)
        )

    def bars_outside_calls(self, start: int, end: int) -> list[int]:
        """Unquoted '|' in [start, end) whose enclosing brackets inside the span are
        all plain parentheses (a bar inside ``I(a | b)`` is Python's 'or')."""
        return [
            i for i in range(start, end) if self.text[i] == "|" and not self.quoted[i] and self._plain_chain(i, start)
        ]

    def _plain_chain(self, index: int, start: int) -> bool:
        opener = self.parent[index]
        while opener >= start:
            if self.text[opener] != "(" or self.is_call(opener):
                return False
            opener = self.parent[opener]
        return True


def scan_text(text: str) -> Scan:
    """Scan ``text``; raise MixedModelError with a caret for bad quotes or brackets."""
    size = len(text)
    quoted, depth, parent = [False] * size, [0] * size, [-1] * size
    partner: dict[int, int] = {}
    stack: list[int] = []
    index = 0
    while index < size:
        char = text[index]
        depth[index], parent[index] = len(stack), (stack[-1] if stack else -1)
        if char in QUOTES:
            end = _quote_end(text, index)
            if char == "`" and end == index + 1:
                raise formula_error(text, index, "empty `` name: put a column name between the backticks")
            for k in range(index, end + 1):
                quoted[k], depth[k], parent[k] = True, depth[index], parent[index]
            index = end + 1
            continue
        if char in OPENERS:
            stack.append(index)
        elif char in CLOSERS:
            opener = _close(text, stack, index)
            partner[opener], partner[index] = index, opener
            depth[index], parent[index] = len(stack), (stack[-1] if stack else -1)
        index += 1
    if stack:
        opener = stack[-1]
        raise formula_error(text, opener, f"'{text[opener]}' is never closed")
    return Scan(text, tuple(quoted), tuple(depth), tuple(parent), partner)


def _close(text: str, stack: list[int], index: int) -> int:
    char = text[index]
    if not stack:
        raise formula_error(text, index, f"unmatched '{char}': no '{CLOSERS[char]}' opens it")
    opener = stack.pop()
    if OPENERS[text[opener]] != char:
        raise formula_error(text, index, f"'{char}' does not match the '{text[opener]}' it closes")
    return opener


def _quote_end(text: str, start: int) -> int:
    quote = text[start]
    index = start + 1
    while index < len(text):
        if text[index] == "\\" and quote != "`":
            index += 2
            continue
        if text[index] == quote:
            return index
        index += 1
    raise formula_error(text, start, f"the quote {quote} is never closed")


def call_arguments(text: str, name: str) -> list[str] | None:
    """If ``text`` is exactly ``name(arg, ...)``, return the stripped arguments."""
    stripped = text.strip()
    if not stripped.startswith(name):
        return None
    rest = stripped[len(name) :].lstrip()
    if not rest.startswith("("):
        return None
    scan = scan_text(rest)
    if scan.partner.get(0) != len(rest) - 1:
        return None
    commas = scan.find_all(1, len(rest) - 1, ",", 1)
    bounds = [0, *commas, len(rest) - 1]
    return [rest[a + 1 : b].strip() for a, b in zip(bounds, bounds[1:], strict=False)]


def column_name(text: str) -> str | None:
    """The column a bare name (``Days`` or ```my col```) refers to, else None."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] == "`":
        inner = stripped[1:-1]
        return inner if inner and "`" not in inner else None
    return stripped if is_plain_name(stripped) else None


def is_plain_name(text: str) -> bool:
    """True for names usable without backticks: letters, digits, '_' and '.'."""
    if not text or text[0].isdigit():
        return False
    return all(char.isalnum() or char in "_." for char in text)
