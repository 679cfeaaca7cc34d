"""Results-layer paths the oracle tests do not reach, each checked by value: p-values below machine
epsilon at 3 to 5 digits and infinite values (R's format.pval and format, stored by
tools/r/format_pval_reference.R), coefficient columns without an estimate, tidy() with degrees of freedom,
the delta method without a covariance, and the contextual effect's p-value wording.
"""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import mixedwidgets as mw
from mixedwidgets.errors import MixedModelError
from mixedwidgets.results.contextual import _p_text
from mixedwidgets.results.marginal import delta_method_se
from mixedwidgets.results.number_format import format_coef_columns, format_one, format_p_values, format_r

REFERENCE = json.loads((Path(__file__).parents[1] / "reference" / "r_format_pval.json").read_text())


@pytest.mark.parametrize("case", REFERENCE["pval"], ids=lambda c: f"{c['p']}-{c['shown']}")
def test_p_values_below_machine_epsilon_match_format_pval(case):
    assert format_p_values(case["p"], digits=case["shown"][0] + 1) == case["out"]


@pytest.mark.parametrize("case", REFERENCE["specials"], ids=lambda c: str(c["x"]))
def test_infinite_values_are_written_as_r_writes_them(case):
    x = [float(v) if not isinstance(v, str) else {"Inf": np.inf, "-Inf": -np.inf}[v] for v in case["x"]]
    assert format_r(x) == case["out"]
    assert format_one(x[0]) == case["out"][0]
    assert format_one(float("nan")) == "NA"


def test_coefficient_columns_without_an_estimate_are_formatted_one_by_one():
    out = format_coef_columns({"Chisq": [3.2, 10.55], "Df": [1.0, 2.0], "z value": [1.23456, -0.5]})
    assert out == {"Chisq": format_r([3.2, 10.55]), "Df": ["1", "2"], "z value": ["1.235", "-0.500"]}
    # R: format(c(3.2, 10.55), digits = 4); format(round(c(1.23456, -0.5), 3), digits = 4) as printCoefmat
    assert format_r([3.2, 10.55]) == ["3.20", "10.55"]


@pytest.fixture(scope="module")
def sleep():
    return mw.fit("Reaction ~ Days + (Days | Subject)", mw.datasets.load("sleepstudy"))


def test_tidy_with_satterthwaite_degrees_of_freedom(sleep):
    tidy = sleep.tidy(ddf="Satterthwaite")
    table = sleep.coef_table(ddf="Satterthwaite")
    fixed = tidy[tidy.effect == "fixed"]
    np.testing.assert_allclose(fixed.df.to_numpy(), table.df.to_numpy())
    np.testing.assert_allclose(fixed.df.to_numpy(), [17.0, 17.0], rtol=1e-3)  # lmerTest: 17 and 17
    assert tidy[tidy.effect == "ran_pars"].df.isna().all()


def test_delta_method_without_a_covariance_of_the_parameters_is_refused():
    cbpp = mw.fit(
        "cbind(incidence, size - incidence) ~ period + (1 | herd)", mw.datasets.load("cbpp"), family="binomial"
    )
    fit = dataclasses.replace(cbpp._fit, parameter_cov=None)
    with pytest.raises(MixedModelError, match="no usable covariance"):
        delta_method_se(lambda theta, beta: beta, fit)


def test_contextual_effect_p_value_wording():
    assert [_p_text(p) for p in (float("nan"), np.inf, 0.0004, 0.001, 0.01234)] == [
        "p not available",
        "p not available",
        "p < 0.001",
        "p = 0.001",
        "p = 0.012",
    ]
