"""lme4 formula semantics on top of formulaic: R expressions become checked Python.

formulaic evaluates the calls of a formula (``I(k^2)``, ``factor(k)``, ``log(x)``) as
Python. :func:`python_rhs` rewrites each of them the way R reads it (``^`` is a power,
``as.factor``, ``!``/``&``/``|`` are logical, numbers are doubles, ``Q('odd name')`` is a
column), checks it against the whitelist (:mod:`.safety`) and hands formulaic plain Python.
The formula-level operators (``+ - * / : ^ ( )``) are formulaic's own and mean what they
mean in R.
"""

from __future__ import annotations

import ast
from functools import lru_cache

from formulaic import Formula
from formulaic.errors import FormulaicError

from ..errors import MixedModelError
from .allowed import LOGICAL_HELPERS
from .rtokens import PARENTHESES, Aliases, python_source
from .safety import check_tree, refused
from .scan import Scan, scan_text

_LOGICAL_OPERATORS = {ast.BitAnd: "r_and", ast.BitOr: "r_or"}
_ARITHMETIC = (ast.BinOp, ast.UnaryOp, ast.Compare)


def python_expression(text: str, formula: str | None = None) -> str:
    """Checked Python source for one expression, such as an offset or a response.

    ``formula`` is the text errors show (the whole formula), ``text`` by default.
    """
    return _python_piece(text, formula or text)


def python_rhs(rhs: str, formula: str | None = None) -> str:
    """A formula right-hand side with every call rewritten as checked Python for formulaic."""
    return _cached_rhs(rhs, formula or rhs)


@lru_cache(maxsize=1024)
def _cached_rhs(rhs: str, formula: str) -> str:
    scan = scan_text(rhs)
    pieces, last = [], 0
    for start, end, inner in _python_spans(scan):
        pieces.append(rhs[last:start])
        if inner:
            pieces.append("{" + _python_piece(rhs[start + 1 : end - 1], formula) + "}")
        else:
            pieces.append(_python_piece(rhs[start:end], formula))
        last = end
    pieces.append(rhs[last:])
    translated = "".join(pieces)
    _check_formulaic_factors(translated, formula)
    return translated


def _python_spans(scan: Scan) -> list[tuple[int, int, bool]]:
    """Spans of the outermost calls ``name(...)`` and braces ``{...}``; True for braces."""
    spans, index, text = [], 0, scan.text
    while index < len(text):
        char = text[index]
        if not scan.quoted[index] and char == "{":
            end = scan.partner[index] + 1
            spans.append((index, end, True))
            index = end
        elif not scan.quoted[index] and char == "(" and scan.is_call(index):
            start = _call_start(scan, index)
            end = scan.partner[index] + 1
            spans.append((start, end, False))
            index = end
        else:
            index += 1
    return _merged(spans)


def _call_start(scan: Scan, open_index: int) -> int:
    """Where the callee of the call opened at ``open_index`` starts (``np.log(`` -> ``n``)."""
    start = open_index
    while start > 0 and scan.text[start - 1].isspace():
        start -= 1
    while start > 0 and (scan.text[start - 1].isalnum() or scan.text[start - 1] in "_.") and not scan.quoted[start - 1]:
        start -= 1
    return start


def _merged(spans: list[tuple[int, int, bool]]) -> list[tuple[int, int, bool]]:
    """Calls chained onto a call (``f(x)(y)``) belong to one span."""
    merged: list[tuple[int, int, bool]] = []
    for span in spans:
        if merged and span[0] < merged[-1][1] and not span[2]:
            merged[-1] = (merged[-1][0], span[1], False)
        else:
            merged.append(span)
    return merged


@lru_cache(maxsize=1024)
def _python_piece(piece: str, formula: str) -> str:
    source, aliases = python_source(piece)
    tree = parse_python(source, aliases, formula)
    check_tree(tree, aliases, formula)
    tree = ast.fix_missing_locations(_RSemantics(aliases, formula).visit(tree))
    return aliases.restore(ast.unparse(tree))


def parse_python(source: str, aliases: Aliases, formula: str) -> ast.Expression:
    """The syntax tree of ``source``; a MixedModelError naming the piece if it is not valid."""
    try:
        return ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        shown = aliases.restore(source).strip()
        detail = getattr(exc, "msg", None) or type(exc).__name__
        raise MixedModelError(f"cannot read '{shown}' in the formula ({detail})\n    {formula}") from None


class _RSemantics(ast.NodeTransformer):
    """R's meaning: logical !, &, |; numbers in arithmetic are doubles; Q('name') is a column."""

    def __init__(self, aliases: Aliases, formula: str) -> None:
        self.aliases, self.formula = aliases, formula

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return _helper_call("r_not", [node.operand])
        node.operand = _as_double(node.operand)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if type(node.op) in _LOGICAL_OPERATORS:
            return _helper_call(_LOGICAL_OPERATORS[type(node.op)], [node.left, node.right])
        node.left, node.right = _as_double(node.left), _as_double(node.right)
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        helper = "r_and" if isinstance(node.op, ast.And) else "r_or"
        combined = node.values[0]
        for value in node.values[1:]:
            combined = _helper_call(helper, [combined, value])
        return combined

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        node.left, node.comparators = _as_double(node.left), [_as_double(c) for c in node.comparators]
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == PARENTHESES:
            if len(node.args) != 1 or node.keywords:
                return ast.Tuple(node.args, ast.Load())  # (1, 2) is a tuple, not parentheses
            node.args = [_as_double(node.args[0])]
            return node
        if isinstance(node.func, ast.Name) and node.func.id == "Q":
            return ast.Name(self.aliases.placeholder(_quoted_name(node, self.formula)), ast.Load())
        return node


def _quoted_name(node: ast.Call, formula: str) -> str:
    if len(node.args) == 1 and not node.keywords:
        argument = node.args[0]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str) and argument.value:
            return argument.value
    raise refused(ast.unparse(node), "Q() takes one column name in quotes, like Q('my col')", formula)


def _helper_call(name: str, arguments: list[ast.expr]) -> ast.Call:
    assert name in LOGICAL_HELPERS
    return ast.Call(ast.Name(name, ast.Load()), arguments, [])


def _as_double(node: ast.expr) -> ast.expr:
    """R's numbers are doubles: 2 -> 2.0 (also keeps 10**10**10 from running forever)."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        try:
            return ast.Constant(float(node.value))
        except OverflowError:
            raise MixedModelError(f"the number {str(node.value)[:20]}... is too large") from None
    return node


def _check_formulaic_factors(translated: str, rhs: str) -> None:
    """Every Python factor formulaic finds in the translated text passes the whitelist too."""
    try:
        formula = Formula(translated)
    except (FormulaicError, SyntaxError, ValueError, TypeError):  # reported where the piece is read or evaluated
        return
    for factor in _factors(formula):
        if factor.eval_method.value == "python":
            source, aliases = python_source(str(factor.expr), r_syntax=False)
            check_tree(parse_python(source, aliases, rhs), aliases, rhs)


def _factors(formula) -> list:
    """All factors of a formulaic formula, also of a structured one (``a ~ b``, ``a | b``)."""
    if hasattr(formula, "factors"):
        return list(formula.factors)
    return [factor for part in formula for factor in _factors(part)]


#: formulaic's contrast classes, which C() takes by name as well as called: C(f, Sum) is C(f, Sum())
CONTRAST_CLASSES = frozenset({"Treatment", "Sum", "Helmert", "Poly", "Diff"})


def columns_read(python: str) -> list[str]:
    """The data columns a checked Python expression reads, in order of appearance."""
    source, aliases = python_source(python, r_syntax=False)
    tree = ast.parse(source.strip(), mode="eval")
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    bases = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    names = [
        (node.col_offset, aliases.column(node.id))
        for node in ast.walk(tree)
        if isinstance(node, ast.Name)
        and id(node) not in called
        and id(node) not in bases
        and node.id not in CONTRAST_CLASSES
    ]
    return list(dict.fromkeys(name for _, name in sorted(names)))
