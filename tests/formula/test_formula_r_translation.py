"""R expressions inside a formula become checked Python, and columns get R's names back."""

from __future__ import annotations

import pytest

from mixedwidgets.errors import MixedModelError
from mixedwidgets.formula import parse_formula
from mixedwidgets.formula.rnames import r_label, r_number
from mixedwidgets.formula.translate import columns_read, python_expression, python_rhs


@pytest.mark.parametrize(
    ("r", "python"),
    [
        ("I(k^2)", "I(k ** 2.0)"),
        ("I(x^2) + I(x^3)", "I(x ** 2.0) + I(x ** 3.0)"),
        ("(x + z + f)^2", "(x + z + f)^2"),  # formula-level ^ is crossing: left to formulaic
        ("f / x", "f / x"),
        ("as.factor(k) * z", "as_factor(k) * z"),
        ("as.numeric(k)", "as_numeric(k)"),
        ("exp(z/10)", "exp(z / 10.0)"),
        ("I(k > 2)", "I(k > 2.0)"),
        ("I(!(z > 0))", "I(r_not(r_paren(z > 0.0)))"),  # the parentheses are kept for the name
        ("I(x != 1 & z > 0)", "I(r_and(x != 1.0, z > 0.0))"),  # R's & ranks below comparisons
        ("I(x > 1 | z > 0 & k == 2)", "I(r_or(x > 1.0, r_and(z > 0.0, k == 2.0)))"),
        ("I(k %% 2) + I(k %/% 2)", "I(k % 2.0) + I(k // 2.0)"),
        ("Q('dose (mg)')", "`dose (mg)`"),
        ("log(Q('x<script>'))", "log(`x<script>`)"),
        ("I(age.c * 2L)", "I(`age.c` * 2.0)"),
        ("I(TRUE) + I(-Inf < x)", "I(True) + I(-np.inf < x)"),
        ("poly(x, 2)", "poly(x, 2)"),
        ("np.log(x) + {x**2}", "np.log(x) + {x ** 2.0}"),
    ],
)
def test_r_expressions_become_python(r, python):
    assert python_rhs(r) == python


@pytest.mark.parametrize(
    ("python", "r"),
    [
        ("I(k ** 2.0)", "I(k^2)"),
        ("exp(z / 10.0)", "exp(z/10)"),
        ("I(k > 2.0)", "I(k > 2)"),
        ("I(r_not(r_paren(z > 0.0)))", "I(!(z > 0))"),
        ("I(r_not(z > 0.0))", "I(!z > 0)"),
        ("I(r_paren(r_paren(x) - z) - r_paren(k - 1.0))", "I(((x) - z) - (k - 1))"),  # as R keeps them
        ("I(r_and(x != 1.0, z > 0.0))", "I(x != 1 & z > 0)"),
        ("I(-x ** 2.0)", "I(-x^2)"),
        ("I(2.0 ** -x)", "I(2^-x)"),
        ("I(2.0 ** (-x + 1.0))", "I(2^(-x + 1))"),
        ("I((-x) ** 2.0)", "I((-x)^2)"),
        ("I(naïve ** 2.0)", "I(naïve^2)"),
        ("I((x + z) ** 2.0)", "I((x + z)^2)"),
        ("as_factor(k)", "as.factor(k)"),
        ("as_double(k)", "as.double(k)"),
        ("I(x % 2.0) + 0", "I(x%%2) + 0"),
        ("I(100000.0 * x)", "I(1e+05 * x)"),
        ("I(x * -2.0)", "I(x * -2)"),
        ("relevel(f, 'b')", 'relevel(f, "b")'),
        ("log(`dose (mg)`)", "log(`dose (mg)`)"),
        ("I(`age.c` * 2.0)", "I(age.c * 2)"),
    ],
)
def test_columns_are_named_as_r_deparses_them(python, r):
    assert r_label(python) == r


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.0, "2"),
        (0.5, "0.5"),
        (0.001, "0.001"),
        (1e-4, "1e-04"),
        (1e5, "1e+05"),
        (123456.0, "123456"),
        (-2.0, "-2"),
        (0.1 + 0.2, "0.3"),
    ],
)
def test_numbers_are_written_as_r_writes_them(value, text):
    assert r_number(value) == text


def test_the_column_scan_sees_quoted_and_dotted_names():
    assert columns_read(python_expression("log(Q('x<script>')) + age.c * np.sqrt(z) + factor(k)")) == [
        "x<script>",
        "age.c",
        "z",
        "k",
    ]


@pytest.mark.parametrize(
    ("formula", "hint"),
    [
        ("y ~ I(f %in% c('a', 'b')) + (1 | g)", "isin"),
        ("y ~ I(is.na(x)) + (1 | g)", "np.isnan(x)"),
        ("y ~ C(f, levels = c('a', 'b')) + (1 | g)", "Python list"),
        ("y ~ cut(x, 3) + (1 | g)", "pd.cut"),
        ("y ~ interaction(a, b) + (1 | g)", "a:b"),
        ("y ~ I(x > 0 && z > 0) + (1 | g)", "write '&'"),
        ("y ~ I(d$x) + (1 | g)", "column name alone"),
        ("y ~ I(x * k %% 2) + (1 | g)", "parentheses"),
        ("y ~ ns(x, 3) + (1 | g)", "cr(x, df=...)"),
        ("y ~ I(x == NA) + (1 | g)", "missing values"),
        ("y ~ I(x < 1 < z) + (1 | g)", "chained comparisons"),
    ],
)
def test_unsupported_r_idioms_are_refused_with_the_python_spelling(formula, hint):
    with pytest.raises(MixedModelError) as caught:
        parse_formula(formula)
    assert hint in str(caught.value)


@pytest.mark.parametrize("text", ["I(x * (k %% 2))", "I(k %% 2 + z * 2)", "I((x * k) %/% 2)", "I(f(x) * 2, k %% 2)"])
def test_modulo_beside_a_product_is_fine_when_unambiguous(text):
    python_rhs(text.replace("f(x)", "log(x)"))


@pytest.mark.parametrize("text", ["I(x * k %% 2)", "I(k %% 2 / x)", "I(a * -b %% c)"])
def test_modulo_inside_a_product_asks_for_parentheses(text):
    with pytest.raises(MixedModelError, match="add parentheses"):
        python_rhs(text)


def test_a_tuple_stays_a_tuple():
    assert python_rhs("C(f, levels=('a', 'b'))") == "C(f, levels=('a', 'b'))"
