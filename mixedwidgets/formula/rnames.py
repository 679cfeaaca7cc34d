"""Names of model-matrix columns as R writes them: ``I(k^2)``, ``exp(z/10)``, ``I(k > 2)TRUE``.

formulaic names a column after the Python it evaluated (``I(k ** 2.0)``); lme4 users read
(and index) R's deparsed expression. :func:`r_label` turns the Python source of a factor
back into R's spelling, with R's spacing and parentheses.
"""

from __future__ import annotations

import ast
from functools import lru_cache

import numpy as np

from ..errors import MixedModelError
from .allowed import LOGICAL_HELPERS
from .rtokens import PYTHON_TO_R_FUNCTION, Aliases, python_source

# R's operator precedence (higher binds tighter), and how R deparses each operator
_BINARY = {
    ast.Pow: ("^", 14), ast.Mod: ("%%", 11), ast.FloorDiv: ("%/%", 11),
    ast.Mult: (" * ", 10), ast.Div: ("/", 10), ast.Add: (" + ", 9), ast.Sub: (" - ", 9),
}  # fmt: skip
_COMPARE = {ast.Eq: " == ", ast.NotEq: " != ", ast.Lt: " < ", ast.LtE: " <= ", ast.Gt: " > ", ast.GtE: " >= "}
_LOGICAL = {"r_and": (" & ", 6), "r_or": (" | ", 5)}
_UNARY_MINUS, _COMPARISON, _NOT = 13, 8, 7


@lru_cache(maxsize=2048)
def r_label(python: str) -> str:
    """R's spelling of a Python expression from a formula; the input itself if unreadable."""
    try:
        source, aliases = python_source(python, r_syntax=False)
        tree = ast.parse(source.strip(), mode="eval")
        return _Deparser(aliases).text(tree.body)
    except (SyntaxError, ValueError, KeyError, RecursionError, MixedModelError):  # naming never fails a fit
        return python


def r_number(value: float) -> str:
    """A number as R deparses it: 2, 0.5, 0.001, 1e-04, 1e+05, 123456."""
    if not np.isfinite(value):
        return "Inf" if value > 0 else "-Inf" if value < 0 else "NaN"
    rounded = float(f"{value:.15g}")
    fixed = np.format_float_positional(rounded, trim="-")
    mantissa, exponent = f"{rounded:.14e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    scientific = f"{mantissa}e{int(exponent):+03d}"
    return fixed if len(fixed) <= len(scientific) else scientific


def r_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def r_name(column: str) -> str:
    """A column name as R writes it in an expression: plain if syntactic, else in backticks."""
    if column and (column[0].isalpha() or column[0] == ".") and all(c.isalnum() or c in "._" for c in column):
        return column
    return f"`{column}`"


class _Deparser:
    def __init__(self, aliases: Aliases) -> None:
        self.aliases = aliases

    def text(self, node: ast.AST) -> str:
        return self._text(node)[0]

    def _text(self, node: ast.AST) -> tuple[str, int]:
        """(R text, precedence of its outermost operator; 99 for atoms)."""
        if isinstance(node, ast.Constant):
            return self._constant(node.value), 99
        if isinstance(node, ast.Name):
            return r_name(self.aliases.column(node.id)), 99
        if isinstance(node, ast.Attribute):
            return f"{self.text(node.value)}.{node.attr}", 99
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.UnaryOp):
            symbol = "-" if isinstance(node.op, ast.USub) else "+"
            return symbol + self._wrapped(node.operand, _UNARY_MINUS), _UNARY_MINUS
        if isinstance(node, ast.Compare):
            left = self._wrapped(node.left, _COMPARISON + 1)
            return left + _COMPARE[type(node.ops[0])] + self._wrapped(node.comparators[0], _COMPARISON + 1), _COMPARISON
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, (ast.List, ast.Tuple)):
            return "c(" + ", ".join(self.text(e) for e in node.elts) + ")", 99
        return ast.unparse(node), 99

    def _constant(self, value) -> str:
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if value is None:
            return "NULL"
        if isinstance(value, (int, float)):
            return r_number(float(value))
        return r_string(str(value))

    def _binary(self, node: ast.BinOp) -> tuple[str, int]:
        symbol, precedence = _BINARY[type(node.op)]
        right_assoc = isinstance(node.op, ast.Pow)
        left = self._wrapped(node.left, precedence + (1 if right_assoc else 0))
        right_needed = _UNARY_MINUS if right_assoc and isinstance(node.right, ast.UnaryOp) else precedence
        right = self._wrapped(node.right, right_needed + (0 if right_assoc else 1))  # R writes 2^-x
        return f"{left}{symbol}{right}", precedence

    def _wrapped(self, node: ast.AST, needed: int) -> str:
        text, precedence = self._text(node)
        return text if precedence >= needed else f"({text})"

    def _call(self, node: ast.Call) -> tuple[str, int]:
        name = self.text(node.func)
        if name in _LOGICAL and len(node.args) == 2:
            symbol, precedence = _LOGICAL[name]
            left, right = (self._wrapped(a, precedence) for a in node.args)
            return f"{left}{symbol}{right}", precedence
        if name == "r_paren" and len(node.args) == 1:
            return f"({self.text(node.args[0])})", 99
        if name == "r_not" and len(node.args) == 1:
            return LOGICAL_HELPERS["r_not"] + self._wrapped(node.args[0], _NOT), _NOT
        arguments = [self.text(a) for a in node.args]
        arguments += [f"{k.arg} = {self.text(k.value)}" for k in node.keywords]
        return f"{PYTHON_TO_R_FUNCTION.get(name, name)}({', '.join(arguments)})", 99
