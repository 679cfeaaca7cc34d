"""Parse lme4-style formulas: ``y ~ x + (1 + x | g) + (1 | a/b)``.

The fixed part is left to formulaic; this module finds the random-effect terms
with a scanner that respects nested brackets and quotes, expands ``a/b`` nesting,
and pulls ``offset(...)`` terms out of the fixed part.
"""

from __future__ import annotations

import re
from functools import lru_cache

from formulaic import Formula

from ..errors import MixedModelError
from .caret import formula_error
from .groups import expand_nesting, parse_group
from .scan import Scan, call_arguments, column_name, scan_text
from .translate import python_expression, python_rhs
from .types import ParsedFormula, RandomTerm

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
BACKTICK_HINT = "(a column name with spaces or other special characters goes in backticks, like `my col`)"
_NO_RANDOM = (
    "the formula has no random-effect term such as (1 | group), so it is not a mixed "
    "model. For a model without random effects use a GLM, e.g. statsmodels "
    "(statsmodels.formula.api.ols or .glm)."
)


def parse_formula(text: str) -> ParsedFormula:
    """Split an lme4 formula into response, fixed part, offsets and random terms."""
    if not isinstance(text, str):
        raise MixedModelError(f"a formula must be a string like 'y ~ x + (1 | g)', not {type(text).__name__}")
    return _parse(text)


@lru_cache(maxsize=256)
def _parse(text: str) -> ParsedFormula:
    """The parse of one formula text (a pure function of it, and its result is immutable: a refit of the
    same formula, on a slider or in a bootstrap, does not scan it again). Errors are not cached."""
    if not text.strip():
        raise MixedModelError("the formula is empty; write it like 'y ~ x + (1 | g)'")
    scan = scan_text(text)
    tilde = _find_tilde(scan)
    response = _read_response(scan, tilde)
    fixed: list[tuple[str, str]] = []
    offsets: list[str] = []
    random: list[RandomTerm] = []
    for op, start, end in _split_terms(scan, tilde + 1, len(text)):
        _classify_term(scan, op, start, end, fixed, offsets, random)
    if not random:
        raise formula_error(text, None, _NO_RANDOM)
    parsed = ParsedFormula(text, response, _join_fixed(fixed), tuple(random), tuple(offsets))
    _check_expressions(parsed)
    return parsed


def _check_expressions(parsed: ParsedFormula) -> None:
    """Every expression of the formula passes the whitelist (translate.py), before any is evaluated."""
    text = parsed.text
    python_rhs(parsed.fixed, text)
    for term in parsed.random:
        python_rhs(term.expr, text)
    for expression in parsed.offsets:
        python_expression(expression, text)
    for expression in call_arguments(parsed.response, "cbind") or [parsed.response]:
        if column_name(expression) is None:
            python_expression(expression, text)


def _find_tilde(scan: Scan) -> int:
    tildes = scan.find_all(0, len(scan.text), "~", 0)
    if not tildes:
        raise formula_error(
            scan.text,
            len(scan.text),
            "missing '~': a formula needs the response left of '~', e.g. 'y ~ x + (1 | g)'",
        )
    if len(tildes) > 1:
        raise formula_error(scan.text, tildes[1], "only one '~' is allowed in a formula")
    return tildes[0]


def _read_response(scan: Scan, tilde: int) -> str:
    start, end = scan.strip(0, tilde)
    if start == end:
        raise formula_error(scan.text, tilde, "nothing left of '~': the response is missing")
    bars = scan.bars_outside_calls(start, end)
    if bars:
        raise formula_error(scan.text, bars[0], "'|' in the response: random-effect terms go right of '~'")
    response = scan.text[start:end]
    arguments = call_arguments(response, "cbind")
    if arguments is not None and (len(arguments) != 2 or not all(arguments)):
        raise formula_error(scan.text, start, "cbind() needs two arguments: cbind(successes, failures)")
    return response


def _split_terms(scan: Scan, start: int, end: int) -> list[tuple[str, int, int]]:
    """Split text[start:end] at top-level '+' and '-' into (operator, start, end)."""
    stray = scan.find_all(start, end, "|", 0)
    if stray:
        raise formula_error(
            scan.text,
            stray[0],
            "stray '|': write random-effect terms in parentheses, like (1 + x | g)",
        )
    terms: list[tuple[str, int, int]] = []
    op, piece_start = "+", start
    operators = scan.find_all(start, end, "+-", 0)
    for position in [*operators, end]:
        a, b = scan.strip(piece_start, position)
        if a < b:
            terms.append((op, a, b))
        elif terms or position == end:
            _raise_missing_term(scan, start, end, position)
        if position < end:
            op, piece_start = scan.text[position], position + 1
    return terms


def _raise_missing_term(scan: Scan, start: int, end: int, position: int) -> None:
    if scan.strip(start, end)[0] == end:
        raise formula_error(scan.text, end, "nothing right of '~': add terms such as 1 + (1 | g)")
    if position == end:
        last = scan.find_all(start, end, "+-", 0)[-1]
        raise formula_error(scan.text, last, f"'{scan.text[last]}' at the end needs a term after it")
    raise formula_error(scan.text, position, f"a term is missing before '{scan.text[position]}'")


def _classify_term(scan, op, start, end, fixed, offsets, random) -> None:
    inner_start, inner_end, depth = _unwrap(scan, start, end)
    if depth and inner_start == inner_end:
        raise formula_error(scan.text, start, "empty parentheses")
    if depth:
        bars = [i for i in scan.bars_outside_calls(inner_start, inner_end) if scan.depth[i] == depth]
        if bars:
            if op == "-":
                raise formula_error(scan.text, start, "a random-effect term cannot be subtracted")
            random.extend(_random_terms(scan, inner_start, inner_end, bars))
            return
    nested = scan.bars_outside_calls(start, end)
    if nested:
        raise formula_error(
            scan.text,
            nested[0],
            "a random-effect term must stand on its own, added with '+', like '+ (1 | g)'",
        )
    piece = scan.text[start:end]
    offset_arguments = call_arguments(piece, "offset")
    if offset_arguments is not None:
        offsets.append(_offset_expression(scan, op, start, offset_arguments))
        return
    _check_syntax(scan, start, end)
    fixed.append((op, piece))


def _unwrap(scan: Scan, start: int, end: int) -> tuple[int, int, int]:
    """Strip plain parentheses around a whole term; return the inner span and depth."""
    depth = 0
    while scan.wraps(start, end):
        start, end = scan.strip(start + 1, end - 1)
        depth += 1
    return start, end, depth


def _offset_expression(scan: Scan, op: str, start: int, arguments: list[str]) -> str:
    if op == "-":
        raise formula_error(scan.text, start, "an offset cannot be subtracted; write offset(-x)")
    if len(arguments) != 1 or not arguments[0]:
        raise formula_error(scan.text, start, "offset() takes one expression, like offset(log(exposure))")
    return arguments[0]


def _random_terms(scan: Scan, start: int, end: int, bars: list[int]) -> list[RandomTerm]:
    bar, width = _single_bar(scan, bars)
    expr_start, expr_end = scan.strip(start, bar)
    group_start, group_end = scan.strip(bar + width, end)
    if expr_start == expr_end:
        raise formula_error(scan.text, bar, "nothing left of '|': write (1 | g) for a random intercept")
    if group_start == group_end:
        raise formula_error(scan.text, end, "nothing right of '|': the grouping factor is missing")
    nested = scan.bars_outside_calls(expr_start, expr_end)
    if nested:
        raise formula_error(scan.text, nested[0], "random-effect terms cannot be nested inside each other")
    _check_syntax(scan, expr_start, expr_end)
    groups = expand_nesting(parse_group(scan.text, group_start, group_end))
    expr = scan.text[expr_start:expr_end]
    return [RandomTerm(expr, group, width == 1) for group in groups]


def _single_bar(scan: Scan, bars: list[int]) -> tuple[int, int]:
    """The one '|' or '||' of a random term, as (position, width)."""
    operators: list[tuple[int, int]] = []
    index = 0
    while index < len(bars):
        double = index + 1 < len(bars) and bars[index + 1] == bars[index] + 1
        operators.append((bars[index], 2 if double else 1))
        index += 2 if double else 1
    if len(operators) > 1:
        raise formula_error(scan.text, operators[1][0], "only one '|' or '||' is allowed in a random-effect term")
    return operators[0]


def _check_syntax(scan: Scan, start: int, end: int) -> None:
    """Let formulaic read a piece of the formula; point at the problem if it cannot."""
    piece = scan.text[start:end]
    translated = python_rhs(piece, scan.text)  # refuses what the whitelist does not allow
    try:
        Formula(translated)
    except Exception as exc:  # formulaic raises several exception types
        summary, offset = _formulaic_problem(exc, translated)
        offset = offset if translated == piece else 0
        if summary.startswith("Missing operator"):
            summary += f" {BACKTICK_HINT}"
        raise formula_error(scan.text, start + offset, f"cannot read '{piece}': {summary}") from None


def _formulaic_problem(exc: Exception, piece: str) -> tuple[str, int]:
    """The first line of a formulaic error and the offset it marks within ``piece``."""
    summary, _, shown = str(exc).partition("\n\n")
    shown = _ANSI.sub("", shown)
    offset = shown.find("⧛")
    if offset < 0 or shown.replace("⧛", "").replace("⧚", "") != piece:
        offset = 0
    return summary.strip() or type(exc).__name__, offset


def _join_fixed(fixed: list[tuple[str, str]]) -> str:
    if not fixed:
        return "1"
    first_op, first = fixed[0]
    parts = [first if first_op == "+" else f"-{first}"]
    parts.extend(f" {op} {piece}" for op, piece in fixed[1:])
    return "".join(parts)
