"""Argument parsing for %mixedmodel / %%mixedmodel: text in, a plain MagicRequest out.

Formula text may contain anything (spaces, `-`, `|`, `||`), so only the known options are taken
out of the line; everything else is formula text. Nothing here touches the user's namespace.
"""

from __future__ import annotations

import argparse
import keyword
from dataclasses import dataclass

from ..backend.family import FAMILY_NAMES, LINKS

VIEWS = ("summary", "ranef", "varcomp", "covariance", "all")
DDF_METHODS = ("satterthwaite", "kenward-roger", "asymptotic")
VALUE_OPTIONS = {
    "-d": "data",
    "--data": "data",
    "-o": "out",
    "--out": "out",
    "--family": "family",
    "--nagq": "nagq",
    "--weights": "weights",
    "--view": "view",
    "--ddf": "ddf",
    "--link": "link",
}
FLAG_OPTIONS = {"--ml": "ml", "--quiet": "quiet", "-q": "quiet"}


class MagicArgumentError(ValueError):
    """A mistake in the magic's options or formula text (shown to the user as a UsageError)."""


@dataclass(frozen=True)
class MagicRequest:
    formula: str
    data: str
    out: str | None = None
    family: str = "gaussian"
    ml: bool = False
    nagq: int = 1
    weights: str | None = None
    view: str | None = None  # None: the configured default view
    quiet: bool = False
    ddf: str | None = None  # df of the summary's t tests (LMMs); None: Satterthwaite
    link: str | None = None  # None: the family's default link


def strip_comments(text: str) -> str:
    """Drop `#` comments and join the remaining lines with spaces."""
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return " ".join(line for line in lines if line)


def split_options(line: str) -> tuple[list[str], str]:
    """Separate known option tokens (with their values) from formula tokens."""
    tokens = line.split()
    options, formula = [], []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        name = token.split("=", 1)[0]
        if name in VALUE_OPTIONS:
            takes_next = "=" not in token
            if takes_next and i + 1 >= len(tokens):
                raise MagicArgumentError(f"option {token} needs a value")
            options += [name, token.split("=", 1)[1]] if not takes_next else [token, tokens[i + 1]]
            i += 2 if takes_next else 1
        elif token in FLAG_OPTIONS:
            options.append(token)
            i += 1
        elif token.startswith("--"):
            raise MagicArgumentError(f"unknown option {token}")
        else:
            formula.append(token)
            i += 1
    return options, " ".join(formula)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print and exit the kernel process
        raise MagicArgumentError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="%%mixedmodel", add_help=False)
    p.add_argument("-d", "--data")
    p.add_argument("-o", "--out")
    p.add_argument("--family", choices=FAMILY_NAMES, default="gaussian", type=str.lower)
    p.add_argument("--link", choices=tuple(LINKS), type=str.lower)
    p.add_argument("--ml", action="store_true")
    p.add_argument("--nagq", type=int, default=1)
    p.add_argument("--weights")
    p.add_argument("--view", choices=VIEWS, type=str.lower)
    p.add_argument("-q", "--quiet", action="store_true")
    p.add_argument("--ddf", choices=DDF_METHODS, type=str.lower)
    return p


def _check_name(value: str | None, option: str) -> None:
    if value is not None and (not value.isidentifier() or keyword.iskeyword(value)):
        raise MagicArgumentError(f"{option} needs a Python variable name, not {value!r}")


def _check_ddf(ns) -> None:
    if ns.ddf in (None, "asymptotic"):
        return
    if ns.family != "gaussian":
        raise MagicArgumentError(
            f"--ddf {ns.ddf} applies to linear mixed models: a {ns.family} model's fixed "
            "effects are tested by z tests, as glmer does (leave --ddf out)"
        )
    if ns.ddf == "kenward-roger" and ns.ml:
        raise MagicArgumentError("--ddf kenward-roger needs a REML fit (as lmerTest and pbkrtest): drop --ml")


def parse_magic(line: str, cell: str | None = None) -> MagicRequest:
    """Parse the magic line (options, and the formula for the line magic) and the cell (formula)."""
    options, line_formula = split_options(strip_comments(line))
    ns = _parser().parse_args(options)
    formula = " ".join(part for part in (line_formula, strip_comments(cell or "")) if part).strip()
    if not formula:
        raise MagicArgumentError("no model formula given, e.g. Reaction ~ Days + (Days | Subject)")
    if "~" not in formula:
        raise MagicArgumentError(f"a model formula needs '~' between response and predictors: {formula!r}")
    if ns.data is None:
        raise MagicArgumentError("say which DataFrame to use with --data NAME")
    for value, option in ((ns.data, "--data"), (ns.out, "--out"), (ns.weights, "--weights")):
        _check_name(value, option)
    if ns.nagq < 1:
        raise MagicArgumentError("--nagq must be a positive whole number")
    _check_ddf(ns)
    return MagicRequest(
        formula=formula,
        data=ns.data,
        out=ns.out,
        family=ns.family,
        ml=ns.ml,
        nagq=ns.nagq,
        weights=ns.weights,
        view=ns.view,
        quiet=ns.quiet,
        ddf=ns.ddf,
        link=ns.link,
    )
