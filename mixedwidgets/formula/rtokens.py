"""Tokens of the Python expressions inside a formula, read with R's eyes.

Inside a call such as ``I(k^2)`` or ``factor(k)`` a formula holds an expression that is
evaluated on the data. lme4 users write R there (``^`` is a power, ``as.factor``, ``%%``,
``!``, ``TRUE``); Python users write Python (``**``, ``np.log``). :func:`python_source`
turns either into Python source that :mod:`ast` can parse, with every quoted or dotted
column name replaced by a placeholder identifier (``Aliases`` maps them back).
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

from .allowed import UNSUPPORTED_R_FUNCTIONS
from .caret import formula_error

# R functions whose names are not Python identifiers: R spelling -> name in the evaluation context
R_FUNCTION_ALIASES = {
    "as.factor": "as_factor",
    "as.numeric": "as_numeric",
    "as.double": "as_double",
    "as.integer": "as_integer",
    "as.logical": "as_logical",
}
PYTHON_TO_R_FUNCTION = {python: r for r, python in R_FUNCTION_ALIASES.items()}
MODULE_PREFIXES = ("np.", "numpy.", "contr.")
R_CONSTANTS = {"TRUE": "True", "FALSE": "False", "NULL": "None", "Inf": "np.inf"}

# R operators and spellings that cannot be supported, with the Python spelling to use instead
R_HINTS = {
    "%in%": "'%in%' is not supported in a formula; add the column first, e.g. "
    "data.assign(in_set=data['f'].isin(['a', 'b'])), and use in_set",
    "&&": "'&&' is R's scalar 'and'; write '&' (element by element)",
    "||": "'||' inside a call is R's scalar 'or'; write '|' (element by element)",
    "$": "'$' (R's data$column) is not supported; write the column name alone",
    "NA": "NA is not supported inside a formula; missing values are dropped from the data",
    "<-": "assignment ('<-') is not allowed in a formula",
}

_R_LOGICAL = {"!": " not ", "&": " and ", "|": " or "}
_TIGHT_R_OPERATORS = ("%%", "%/%")  # R ranks these above * and /; Python does not
_CHAIN_BREAKS = (",", "==", "!=", "<", ">", "<=", ">=", "&", "|", "!", "~", "=")
PARENTHESES = "r_paren"  # stands for parentheses the user wrote (an identity function)

_TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    |(?P<backtick>`[^`]*`)
    |(?P<number>(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)L?)
    |(?P<name>(?:[^\W\d]|\.)[\w.]*)
    |(?P<special>%[^%\s]*%)
    |(?P<op>\*\*|//|==|!=|<=|>=|&&|\|\||<-|[-+*/^%<>!&|~(),\[\]{}:=$@;])
    |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)


@dataclass
class Aliases:
    """Placeholder identifiers standing for column names that are not Python identifiers."""

    prefix: str
    names: dict[str, str] = field(default_factory=dict)  # placeholder -> column name

    def placeholder(self, column: str) -> str:
        for key, value in self.names.items():
            if value == column:
                return key
        key = f"{self.prefix}{len(self.names)}_"
        self.names[key] = column
        return key

    def column(self, identifier: str) -> str:
        """The column an identifier stands for (itself unless it is a placeholder)."""
        return self.names.get(identifier, identifier)

    def restore(self, source: str) -> str:
        """Python source with placeholders turned back into ```column``` (formulaic's quoting)."""
        for key in sorted(self.names, key=len, reverse=True):
            source = source.replace(key, backticked(self.names[key]))
        return source


def backticked(column: str) -> str:
    """A column name as Python source: plain if it is an identifier, else in backticks."""
    return column if column.isidentifier() and not keyword.iskeyword(column) else f"`{column}`"


def tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) for every token of ``text``."""
    found = []
    for match in _TOKEN.finditer(text):
        found.append((match.lastgroup or "other", match.group(), match.start()))
    return found


def python_source(text: str, *, r_syntax: bool = True) -> tuple[str, Aliases]:
    """Python source for an expression written in R or Python, and its column placeholders."""
    prefix = "_mwcol"
    while prefix in text:
        prefix += "_"
    aliases = Aliases(prefix)
    pieces = tokens(text)
    if r_syntax:
        _refuse_ambiguous_modulo(pieces, text)
    out: list[str] = []
    previous = ("space", "")
    for index, (kind, token, position) in enumerate(pieces):
        following = _next_token(pieces, index)
        if r_syntax and token == "(" and not _calls(previous):
            out.append(f"{PARENTHESES}(")  # R keeps the parentheses a user writes, in names too
        else:
            out.append(_translate(kind, token, position, following, text, aliases, r_syntax))
        previous = (kind, token) if kind != "space" else previous
    return "".join(out), aliases


def _calls(previous: tuple[str, str]) -> bool:
    """True if a '(' after this token opens the arguments of a call."""
    kind, token = previous
    return (kind == "name" and not keyword.iskeyword(token)) or kind == "backtick" or token in (")", "]")


def _refuse_ambiguous_modulo(pieces, text: str) -> None:
    """``a * b %% c`` means ``a * (b %% c)`` in R but not in Python: ask for parentheses."""
    depth, previous = 0, ""
    seen: dict = {}
    for kind, token, position in pieces:
        if kind == "space":
            continue
        if token in ("(", "[", "{"):
            depth += 1
        elif token in (")", "]", "}"):
            seen.pop(depth, None)
            depth -= 1
        elif token in _CHAIN_BREAKS or (token in "+-" and _ends_operand(previous)):
            seen.pop(depth, None)  # a new product starts
        elif token in _TIGHT_R_OPERATORS or token in ("*", "/"):
            kinds = seen.setdefault(depth, set())
            kinds.add(token in _TIGHT_R_OPERATORS)
            if len(kinds) == 2:
                raise formula_error(
                    text, position, "R ranks %% and %/% above * and /: add parentheses to say which comes first"
                )
        previous = token


def _ends_operand(token: str) -> bool:
    """True if a '+' or '-' after ``token`` is binary (not a sign)."""
    return bool(token) and (token[-1].isalnum() or token[-1] in "_.)]`'\"")


def _next_token(pieces, index: int) -> str:
    for kind, token, _ in pieces[index + 1 :]:
        if kind != "space":
            return token
    return ""


def _translate(kind, token, position, following, text, aliases, r_syntax) -> str:
    if kind == "backtick":
        if len(token) == 2:
            raise formula_error(text, position, "empty `` name: put a column name between the backticks")
        return aliases.placeholder(token[1:-1])
    if kind == "name":
        return _translate_name(token, position, following, text, aliases, r_syntax)
    if kind == "number":
        return token.removesuffix("L")
    if kind == "special":
        return _translate_special(token, position, text)
    if kind == "op":
        return _translate_operator(token, position, following, text, r_syntax)
    if kind == "other":
        raise formula_error(text, position, f"unexpected character {token!r} in an expression")
    return token


def _translate_name(token, position, following, text, aliases, r_syntax) -> str:
    if r_syntax and following == "(" and token in R_FUNCTION_ALIASES:
        return R_FUNCTION_ALIASES[token]
    if r_syntax and following == "(" and token in UNSUPPORTED_R_FUNCTIONS:
        hint = UNSUPPORTED_R_FUNCTIONS[token]
        raise formula_error(text, position, f"'{token}()' is not supported in a formula; {hint}")
    if r_syntax and token in R_CONSTANTS:
        return R_CONSTANTS[token]
    if r_syntax and token in R_HINTS:
        raise formula_error(text, position, R_HINTS[token])
    if token.startswith(MODULE_PREFIXES) or keyword.iskeyword(token) or "__" in token or token.startswith("."):
        return token  # Python (attribute access is checked, and dunders refused, by safety.py)
    if "." in token and following != "(":
        return aliases.placeholder(token)  # an R column name such as age.c
    return token


def _translate_special(token: str, position: int, text: str) -> str:
    if token == "%%":
        return "%"
    if token == "%/%":
        return "//"
    message = R_HINTS.get(token, f"the R operator '{token}' is not supported in a formula")
    raise formula_error(text, position, message)


def _translate_operator(token, position, following, text, r_syntax) -> str:
    if r_syntax and token in R_HINTS:
        raise formula_error(text, position, R_HINTS[token])
    if token == "^":
        return "**"
    if r_syntax and token in _R_LOGICAL:
        return _R_LOGICAL[token]  # Python's and/or/not rank below comparisons, as R's &, |, ! do
    if token in ("@", ";"):
        raise formula_error(text, position, f"'{token}' is not allowed in a formula expression")
    return token
