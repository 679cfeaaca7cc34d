"""The bundled lme4 data sets, and designs built from them against lme4's answers."""

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from mixedwidgets import datasets
from mixedwidgets.design import build_design
from mixedwidgets.errors import MixedModelError
from mixedwidgets.formula import parse_formula

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def reference_cases():
    with open(REFERENCE / "cases.tsv", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_names():
    assert datasets.names() == ["cbpp", "dyestuff", "penicillin", "sleepstudy"]


@pytest.mark.parametrize(
    ("name", "shape"),
    [("sleepstudy", (180, 3)), ("dyestuff", (30, 2)), ("penicillin", (144, 3)), ("cbpp", (56, 4))],
)
def test_shapes(name, shape):
    assert datasets.load(name).shape == shape


@pytest.mark.parametrize("name", ["SleepStudy", "DYESTUFF", " Penicillin ", "cbpp"])
def test_names_are_case_insensitive(name):
    assert isinstance(datasets.load(name), pd.DataFrame)


def test_unknown_name_lists_the_data_sets():
    with pytest.raises(MixedModelError, match="cbpp, dyestuff, penicillin, sleepstudy"):
        datasets.load("sleepstudies")


def test_sleepstudy_subject_is_a_categorical_of_strings():
    data = datasets.load("sleepstudy")
    assert isinstance(data["Subject"].dtype, pd.CategoricalDtype)
    assert list(data["Subject"].cat.categories)[:3] == ["308", "309", "310"]
    assert data["Subject"].iloc[0] == "308"
    assert pd.api.types.is_integer_dtype(data["Days"])
    assert pd.api.types.is_float_dtype(data["Reaction"])


@pytest.mark.parametrize(
    ("name", "column", "first_levels"),
    [
        ("cbpp", "herd", ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]),
        ("cbpp", "period", ["1", "2", "3", "4"]),
        ("dyestuff", "Batch", ["A", "B", "C", "D", "E", "F"]),
        ("penicillin", "plate", ["a", "b", "c"]),
        ("penicillin", "sample", ["A", "B", "C", "D", "E", "F"]),
    ],
)
def test_grouping_columns_are_categoricals_in_r_order(name, column, first_levels):
    categories = list(datasets.load(name)[column].cat.categories)
    assert categories[: len(first_levels)] == first_levels


def test_each_load_is_a_fresh_copy():
    first = datasets.load("dyestuff")
    first.loc[0, "Yield"] = -1
    assert datasets.load("dyestuff").loc[0, "Yield"] == 1545


@pytest.mark.parametrize("case", reference_cases(), ids=lambda case: case["name"])
def test_designs_match_lme4_reference(case):
    """nobs, fixed-effect names, grouping factors, their levels and columns as lme4 has them."""
    expected = json.loads((REFERENCE / f"{case['name']}.json").read_text())
    design = build_design(parse_formula(case["formula"]), datasets.load(case["csv"]), family=case["family"])
    assert len(design.y) == expected["nobs"]
    assert design.fixed_names == tuple(expected["fixef"])
    ranef = expected["ranef"]
    for term in design.terms:
        rows = [i for i, group in enumerate(ranef["grpvar"]) if group == term.group]
        assert term.levels == tuple(dict.fromkeys(ranef["grp"][i] for i in rows))
        assert term.columns == tuple(dict.fromkeys(ranef["term"][i] for i in rows))
