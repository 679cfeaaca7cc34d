"""Parsing lme4-style formulas: random terms, fixed part, offsets, errors with a caret."""

import pytest

from mixedwidgets.errors import MixedModelError
from mixedwidgets.formula import (
    ParsedFormula,
    RandomTerm,
    call_arguments,
    column_name,
    group_factor_names,
    parse_formula,
)


def caret_position(message: str) -> int:
    """Index into the formula text that the caret line of an error points at."""
    caret_line = message.splitlines()[-1]
    assert caret_line.strip() == "^"
    return caret_line.index("^") - 4  # both lines are indented by four spaces


# --- random terms ---------------------------------------------------------------------


def test_sleepstudy_formula_splits_into_response_fixed_and_random():
    parsed = parse_formula("Reaction ~ Days + (Days | Subject)")
    assert parsed == ParsedFormula(
        text="Reaction ~ Days + (Days | Subject)",
        response="Reaction",
        fixed="Days",
        random=(RandomTerm("Days", "Subject", True),),
    )


def test_explicit_intercept_and_slope_are_kept_as_written():
    parsed = parse_formula("y ~ 1 + x + (1 + x | g)")
    assert parsed.fixed == "1 + x"
    assert parsed.random == (RandomTerm("1 + x", "g", True),)


def test_double_bar_makes_an_uncorrelated_term():
    parsed = parse_formula("y ~ x + (x || g)")
    assert parsed.random == (RandomTerm("x", "g", False),)


def test_nesting_expands_to_outer_and_interaction_named_as_lme4():
    parsed = parse_formula("y ~ 1 + (1 | a/b)")
    assert parsed.random == (RandomTerm("1", "a", True), RandomTerm("1", "b:a", True))


def test_nesting_with_a_slope_repeats_the_expression():
    parsed = parse_formula("y ~ x + (x | a/b)")
    assert parsed.random == (RandomTerm("x", "a", True), RandomTerm("x", "b:a", True))


def test_three_level_nesting():
    groups = [term.group for term in parse_formula("y ~ (1 | a/b/c)").random]
    assert groups == ["a", "b:a", "c:(b:a)"]  # lme4's names


def test_uncorrelated_nesting_keeps_the_double_bar():
    parsed = parse_formula("y ~ (x || a/b)")
    assert all(not term.correlated for term in parsed.random)


def test_interaction_group_is_normalised():
    assert parse_formula("y ~ (1 | a : b)").random == (RandomTerm("1", "a:b", True),)


def test_crossed_terms_keep_formula_order():
    parsed = parse_formula("diameter ~ 1 + (1 | plate) + (1 | sample)")
    assert [term.group for term in parsed.random] == ["plate", "sample"]
    assert parsed.fixed == "1"


def test_random_terms_between_fixed_terms():
    parsed = parse_formula("y ~ (1 | g) + x + (0 + x | h) + z")
    assert parsed.fixed == "x + z"
    assert parsed.random == (RandomTerm("1", "g", True), RandomTerm("0 + x", "h", True))


def test_redundant_parentheses_around_a_random_term():
    assert parse_formula("y ~ x + ((1 | g))").random == (RandomTerm("1", "g", True),)


def test_nested_parentheses_inside_a_random_term():
    parsed = parse_formula("y ~ (1 + I((x - 1)**2) | g)")
    assert parsed.random == (RandomTerm("1 + I((x - 1)**2)", "g", True),)


# --- fixed part -----------------------------------------------------------------------


def test_fixed_part_without_terms_is_the_intercept():
    assert parse_formula("y ~ (1 | g)").fixed == "1"


def test_removed_intercept_is_kept():
    assert parse_formula("y ~ 0 + (1 | g)").fixed == "0"
    assert parse_formula("y ~ -1 + x + (1 | g)").fixed == "-1 + x"
    assert parse_formula("y ~ x - 1 + (1 | g)").fixed == "x - 1"
    assert parse_formula("y ~ (1 | g) - 1").fixed == "-1"


def test_wilkinson_operators_and_functions_pass_through():
    text = "y ~ 0 + x*z + a:b + C(f) + I(x**2) + np.log(x) + log(w) + (1 | g)"
    assert parse_formula(text).fixed == "0 + x*z + a:b + C(f) + I(x**2) + np.log(x) + log(w)"


def test_bar_inside_a_function_call_is_not_a_random_term():
    parsed = parse_formula("y ~ I(a | b) + (1 | g)")
    assert parsed.fixed == "I(a | b)"
    assert len(parsed.random) == 1


def test_quotes_may_hold_brackets_and_bars():
    parsed = parse_formula("y ~ C(f, contr.treatment(')|(')) + (1 | g)")
    assert parsed.fixed == "C(f, contr.treatment(')|('))"


def test_offset_is_taken_out_of_the_fixed_part():
    parsed = parse_formula("y ~ x + offset(log(exposure)) + (1 | g)")
    assert parsed.fixed == "x"
    assert parsed.offsets == ("log(exposure)",)


def test_several_offsets():
    parsed = parse_formula("y ~ offset(a) + offset(np.log(b + 1)) + (1 | g)")
    assert parsed.offsets == ("a", "np.log(b + 1)")
    assert parsed.fixed == "1"


# --- names and responses ---------------------------------------------------------------


def test_backtick_names_everywhere():
    parsed = parse_formula("`my y` ~ `my col` + (1 + `my col` | `my group`)")
    assert parsed.response == "`my y`"
    assert parsed.fixed == "`my col`"
    assert parsed.random == (RandomTerm("1 + `my col`", "`my group`", True),)
    assert group_factor_names(parsed.random[0].group) == ("my group",)


def test_backticks_hide_bars_and_parentheses():
    parsed = parse_formula("y ~ `a|b` + `c (d)` + (1 | `g|h`)")
    assert parsed.fixed == "`a|b` + `c (d)`"
    assert group_factor_names(parsed.random[0].group) == ("g|h",)


def test_backtick_group_in_nesting():
    parsed = parse_formula("y ~ (1 | `a b`/c)")
    assert [group_factor_names(t.group) for t in parsed.random] == [("a b",), ("c", "a b")]


def test_cbind_response():
    parsed = parse_formula("cbind(incidence, size - incidence) ~ period + (1 | herd)")
    assert parsed.response == "cbind(incidence, size - incidence)"
    assert call_arguments(parsed.response, "cbind") == ["incidence", "size - incidence"]


def test_expression_response():
    assert parse_formula("log(y) ~ x + (1 | g)").response == "log(y)"


def test_column_name_helper():
    assert column_name("Days") == "Days"
    assert column_name("`my col`") == "my col"
    assert column_name("log(x)") is None
    assert call_arguments("log(x)", "cbind") is None


def test_multiline_formula():
    parsed = parse_formula("y ~ x +\n    (1 | g)")
    assert parsed.random == (RandomTerm("1", "g", True),)


# --- errors ---------------------------------------------------------------------------

ERRORS = [
    ("y ~ x + (1 + x | g", "never closed", 8),
    ("y ~ x + 1 + x | g)", "unmatched ')'", 17),
    ("y ~ x | g", "stray '|'", 6),
    ("y x (1 | g)", "missing '~'", 11),
    ("y ~ x ~ z + (1 | g)", "only one '~'", 6),
    (" ~ x + (1 | g)", "response is missing", 1),
    ("y ~ ", "nothing right of '~'", 4),
    ("y ~ x + (| g)", "nothing left of '|'", 9),
    ("y ~ x + (1 | )", "grouping factor is missing", 12),
    ("y ~ x + (1 | g | h)", "only one '|'", 15),
    ("y ~ x + (1 ||| g)", "only one '|'", 13),
    ("y ~ x:(1 | g)", "must stand on its own", 9),
    ("y ~ x + + (1 | g)", "term is missing", 8),
    ("y ~ (1 | g) + x +", "at the end", 16),
    ("y ~ x + (1 | g + h)", "grouping factor", 15),
    ("y ~ x + (1 | factor(g))", "grouping factor", 19),
    ("y ~ (1 | g/)", "grouping factor", 11),
    ("y ~ x - (1 | g)", "cannot be subtracted", 8),
    ("y ~ ((1 | h) | g)", "cannot be nested", 8),
    ("y ~ x + (x + | g)", "cannot read 'x +'", 11),
    ("y ~ x * * z + (1 | g)", "cannot read", 10),
    ("y ~ `x + (1 | g)", "never closed", 4),
    ("y ~ x] + (1 | g)", "unmatched ']'", 5),
    ("y ~ (x] + (1 | g)", "does not match", 6),
    ("y | z ~ (1 | g)", "in the response", 2),
    ("cbind(a) ~ (1 | g)", "cbind() needs two arguments", 0),
    ("y ~ offset() + (1 | g)", "offset() takes one expression", 4),
    ("y ~ x + ()", "empty parentheses", 8),
]


@pytest.mark.parametrize(("text", "fragment", "position"), ERRORS)
def test_errors_show_the_formula_and_a_caret(text, fragment, position):
    with pytest.raises(MixedModelError) as caught:
        parse_formula(text)
    message = str(caught.value)
    assert fragment in message
    assert text.strip() in message
    assert caret_position(message) == position


def test_formula_without_random_terms_points_to_a_glm():
    with pytest.raises(MixedModelError, match="no random-effect term") as caught:
        parse_formula("y ~ x + z")
    assert "GLM" in str(caught.value) and "statsmodels" in str(caught.value)
    assert "y ~ x + z" in str(caught.value)


@pytest.mark.parametrize("text", ["", "   ", None, 3])
def test_empty_or_non_string_formulas(text):
    with pytest.raises(MixedModelError):
        parse_formula(text)


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        parse_formula("y ~ (1 | g")
