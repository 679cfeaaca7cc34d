"""Checking an expression of a formula against the whitelist, before anything is evaluated.

Every node of the expression's syntax tree must be one of a few harmless kinds (names,
numbers, strings, arithmetic, comparisons, calls of whitelisted functions); anything else
(lambda, comprehensions, subscripts, attribute access other than ``np.log``-style math,
dunder names, builtins such as ``open`` or ``exec``) is refused with a MixedModelError that
names the part. Names that are not called are data columns; the design layer checks that
they exist.
"""

from __future__ import annotations

import ast
import copy

from ..errors import MixedModelError
from .allowed import (
    CONTRASTS,
    FUNCTIONS,
    NUMPY_CONSTANTS,
    NUMPY_MODULES,
    UNSUPPORTED_R_FUNCTIONS,
    numpy_call_limit,
)
from .rtokens import PARENTHESES, Aliases

_OPERATORS = (
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.BitAnd, ast.BitOr,
    ast.UAdd, ast.USub, ast.Not, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Load,
)  # fmt: skip
_REASONS = {
    ast.Lambda: "lambda functions are not allowed in a formula",
    ast.ListComp: "comprehensions are not allowed in a formula",
    ast.SetComp: "comprehensions are not allowed in a formula",
    ast.DictComp: "comprehensions are not allowed in a formula",
    ast.GeneratorExp: "generator expressions are not allowed in a formula",
    ast.NamedExpr: "assignment (':=') is not allowed in a formula",
    ast.Subscript: "indexing ('[...]') is not allowed in a formula",
    ast.Starred: "unpacking ('*') is not allowed in a formula",
    ast.IfExp: "'a if c else b' is not allowed in a formula: write ifelse(c, a, b)",
    ast.Dict: "dictionaries are not allowed in a formula",
    ast.Set: "sets are not allowed in a formula",
    ast.JoinedStr: "f-strings are not allowed in a formula",
    ast.Invert: "'~' is not allowed inside an expression: write '!' for 'not'",
    ast.BitXor: "bitwise xor is not allowed in a formula",
}
_NO_ATTRIBUTES = "attribute access is not allowed in a formula; call a function instead, e.g. np.clip(x, 0, None)"
BASIS_FUNCTIONS = ("poly", "bs", "cr", "cs", "cc")
MAX_BASIS = 100
DOCS = "see docs/formulas.md for the functions a formula may use"


def check_tree(tree: ast.Expression, aliases: Aliases, text: str) -> None:
    """Raise MixedModelError for a node of ``tree`` outside the whitelist (lambdas,
    comprehensions and the like are named first, being the most telling)."""
    found = [(node, _problem(node)) for node in ast.walk(tree)]
    problems = [
        (type(node) not in _REASONS, index, node, problem)
        for index, (node, problem) in enumerate(found)
        if problem is not None
    ]
    if problems:
        _, _, node, problem = min(problems, key=lambda item: item[:2])
        raise refused(_shown(node, aliases), problem, text)


def refused(part: str, reason: str, text: str) -> MixedModelError:
    """The error for a refused part of a formula (raised on its own, without a chained cause)."""
    error = MixedModelError(f"'{part}' is not allowed in a formula: {reason}\n    {text}")
    error.__suppress_context__ = True
    return error


def _shown(node: ast.AST, aliases: Aliases) -> str:
    if isinstance(node, (ast.expr, ast.keyword)):
        return aliases.restore(ast.unparse(_WithoutParentheses().visit(copy.deepcopy(node))))
    return type(node).__name__  # an operator has no source of its own


class _WithoutParentheses(ast.NodeTransformer):
    """Shows ``r_paren(x)`` (the parentheses a user wrote) as plain Python again."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == PARENTHESES:
            return node.args[0] if len(node.args) == 1 and not node.keywords else ast.Tuple(node.args, ast.Load())
        return node


def _problem(node: ast.AST) -> str | None:
    if type(node) in _REASONS:
        return _REASONS[type(node)]
    if isinstance(node, ast.Name):
        return _dunder(node.id)
    if isinstance(node, ast.Attribute):
        return _attribute_problem(node)
    if isinstance(node, ast.Call):
        return _call_problem(node)
    if isinstance(node, ast.Constant):
        return _constant_problem(node.value)
    if isinstance(node, ast.Compare):
        return _compare_problem(node)
    if isinstance(node, ast.keyword):
        return _keyword_problem(node)
    if isinstance(
        node, (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.UnaryOp, ast.List, ast.Tuple, *_OPERATORS)
    ):
        return None
    return f"{type(node).__name__} is not a kind of expression a formula may hold"


def _dunder(name: str) -> str | None:
    if name.startswith(("__", "_FORMULAIC")):
        return "names starting with '__' are not allowed in a formula"
    return None


def _attribute_problem(node: ast.Attribute) -> str | None:
    if node.attr.startswith("_"):
        return "attribute access to names starting with '_' is not allowed in a formula"
    base = node.value
    if isinstance(base, ast.Name) and base.id in NUMPY_MODULES:
        if node.attr in NUMPY_CONSTANTS or numpy_call_limit(node.attr) is not None:
            return None
        return f"np.{node.attr} is not one of numpy's math functions a formula may use ({DOCS})"
    if isinstance(base, ast.Name) and base.id == "contr" and node.attr in CONTRASTS:
        return None
    return _NO_ATTRIBUTES


def _call_problem(node: ast.Call) -> str | None:
    function = node.func
    if isinstance(function, ast.Name):
        if function.id in BASIS_FUNCTIONS:
            return _basis_size_problem(node, function.id)
        if function.id in FUNCTIONS:
            return None
        hint = UNSUPPORTED_R_FUNCTIONS.get(function.id)
        if hint:
            return f"'{function.id}()' is not supported; {hint}"
        return f"'{function.id}' is not a function a formula may call ({DOCS})"
    if isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name):
        if function.value.id in NUMPY_MODULES:
            return _numpy_call_problem(node, function.attr)
        if function.value.id == "contr":
            return None
    if isinstance(function, ast.Attribute):
        return _attribute_problem(function) or _NO_ATTRIBUTES
    return "only named functions may be called in a formula"


def _basis_size_problem(node: ast.Call, name: str) -> str | None:
    """poly(x, 10**6) would build a million columns: numbers given to a basis stay small."""
    values = [*node.args[1:], *(k.value for k in node.keywords)]
    for value in values:
        if isinstance(value, ast.Constant) and isinstance(value.value, (int, float)) and abs(value.value) > MAX_BASIS:
            return f"{name}() takes degrees of freedom up to {MAX_BASIS}, not {value.value}"
    return None


def _numpy_call_problem(node: ast.Call, name: str) -> str | None:
    limit = numpy_call_limit(name)
    if limit is None:
        return None  # reported for the attribute itself
    if len(node.args) > limit or node.keywords:
        return f"np.{name} takes at most {limit} argument(s) here, and no keywords"
    return None


def _constant_problem(value) -> str | None:
    if value is None or isinstance(value, (bool, int, float, str)):
        return None
    return f"constants of type {type(value).__name__} are not allowed in a formula"


def _compare_problem(node: ast.Compare) -> str | None:
    if len(node.ops) > 1:
        return "chained comparisons are not allowed; write (a < b) & (b < c)"
    if not isinstance(node.ops[0], (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)):
        return "only ==, !=, <, <=, > and >= compare values in a formula"
    return None


def _keyword_problem(node: ast.keyword) -> str | None:
    if node.arg is None:
        return "'**' unpacking is not allowed in a formula"
    if node.arg.startswith("_") or node.arg == "out":
        return f"the keyword argument '{node.arg}' is not allowed in a formula"
    return None
