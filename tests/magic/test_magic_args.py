"""Parsing of %mixedmodel / %%mixedmodel arguments (no shell, no fit)."""

import pytest

from mixedwidgets.magic.args import MagicArgumentError, parse_magic, split_options, strip_comments


def test_cell_formula_with_comments_and_line_breaks():
    cell = "# a comment line\nReaction ~ Days  # trailing comment\n    + (Days | Subject)\n\n"
    request = parse_magic("--data sleep --out fit", cell)
    assert request.formula == "Reaction ~ Days + (Days | Subject)"
    assert (request.data, request.out, request.family, request.ml, request.nagq) == (
        "sleep",
        "fit",
        "gaussian",
        False,
        1,
    )
    assert request.view is None and request.quiet is False


def test_line_magic_takes_formula_and_options_in_any_order():
    request = parse_magic("--ml -d sleep Reaction ~ Days - 1 + (Days || Subject) -o m --view=varcomp")
    assert request.formula == "Reaction ~ Days - 1 + (Days || Subject)"
    assert (request.data, request.out, request.ml, request.view) == ("sleep", "m", True, "varcomp")


def test_all_options():
    request = parse_magic(
        "-d cbpp --family Binomial --nagq 25 --weights w --view ranef --quiet",
        "cbind(incidence, size - incidence) ~ period + (1 | herd)",
    )
    assert request.formula == "cbind(incidence, size - incidence) ~ period + (1 | herd)"
    assert (request.family, request.nagq, request.weights, request.view, request.quiet) == (
        "binomial",
        25,
        "w",
        "ranef",
        True,
    )


@pytest.mark.parametrize(
    "line, cell, words",
    [
        ("--data sleep", "", "no model formula"),
        ("--data sleep", "# only a comment", "no model formula"),
        ("", "y ~ x + (1 | g)", "--data NAME"),
        ("--data", "y ~ x", "needs a value"),
        ("--data 1x", "y ~ x", "variable name"),
        ("--data sleep --out class", "y ~ x", "variable name"),
        ("--data sleep --view pretty", "y ~ x", "invalid choice"),
        ("--data sleep --family weibull", "y ~ x", "invalid choice"),
        ("--data sleep --nagq 0", "y ~ x", "positive"),
        ("--data sleep --nagq two", "y ~ x", "invalid int"),
        ("--data sleep --colour red", "y ~ x", "unknown option --colour"),
        ("--data sleep", "y x + z", "needs '~'"),
    ],
)
def test_mistakes_raise_short_errors(line, cell, words):
    with pytest.raises(MagicArgumentError, match=words.replace("(", r"\(")):
        parse_magic(line, cell)


def test_helpers():
    assert strip_comments("a # b\n\n c\n#d") == "a c"
    assert split_options("y ~ x - 1 -o out --ml") == (["-o", "out", "--ml"], "y ~ x - 1")
