"""Numbers are formatted as R formats them (stored answers of tools/r/format_reference.R)."""

import json
from pathlib import Path

import pytest

from mixedwidgets.results.number_format import (
    format_estimates,
    format_p_values,
    format_r,
    format_statistic,
)

REFERENCE = json.loads((Path(__file__).parents[1] / "reference" / "r_number_format.json").read_text())


@pytest.mark.parametrize("case", REFERENCE["format"], ids=lambda c: f"{c['x']}-{c['digits']}")
def test_format_matches_r(case):
    assert format_r(case["x"], case["digits"][0]) == case["out"]


def test_named_cases_from_the_summary():
    assert format_r([612.1, 35.07, 654.94]) == ["612.10", "35.07", "654.94"]
    assert format_r([24.741, 5.922, 25.592], width=True) == ["24.741", " 5.922", "25.592"]


@pytest.mark.parametrize("case", REFERENCE["coefmat"], ids=range(len(REFERENCE["coefmat"])))
def test_coefficient_table_matches_printcoefmat(case):
    est, se = format_estimates(case["est"], case["se"])
    stat, p = format_statistic(case["tval"]), format_p_values(case["p"])
    ours = [" ".join(row) for row in zip(est, se, stat, p)]
    theirs = [" ".join(line[0].split()) for line in case["cells"]]
    assert ours == theirs
