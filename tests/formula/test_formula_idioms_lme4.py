"""Formulas written as lme4 users write them give lme4's model (issue 9).

lme4's answers (tools/make_formula_references.py, lme4 1.1-31) are stored in
tests/formula/reference/; the data in tests/formula/data/. REML criterion within 1e-6
relative, fixed effects within 1% of their SE, lme4's names for every column, group and
level, and predictions for new rows that reuse the fit's poly()/scale() parameters.
"""

from __future__ import annotations

import csv
import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw

HERE = Path(__file__).parent
with open(HERE / "cases.tsv") as _fh:
    CASES = list(csv.DictReader(_fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def _data(case: dict) -> pd.DataFrame:
    return pd.read_csv(HERE / "data" / f"{case['csv'] or 'idioms'}.csv")


@pytest.fixture(scope="module", params=CASES, ids=lambda case: case["name"])
def fitted(request):
    case = request.param
    answer = json.loads((HERE / "reference" / f"{case['name']}.json").read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = mw.fit(case["formula"], _data(case), reml=case["reml"] == "TRUE")
    return case, answer, model


def r_coefficient_name(name: str) -> str:
    """lme4 writes a bare odd column as `dose (mg)`; we show the column name itself."""
    return name[1:-1] if re.fullmatch(r"`[^`]+`", name) else name


def test_criterion_matches_lme4_to_1e6_relative(fitted):
    _, answer, model = fitted
    assert model.nobs == answer["nobs"]
    assert abs(model.objective - answer["objective"]) <= 1e-6 * abs(answer["objective"]), (
        model.objective,
        answer["objective"],
    )


def test_fixed_effects_have_lme4s_names_and_values(fitted):
    _, answer, model = fitted
    names = [r_coefficient_name(name) for name in answer["fixef"]]
    ours = [name.replace("np.", "") for name in model.fixef.index]  # np.log(x) is R's log(x)
    assert ours == names
    reference, se = np.array(list(answer["fixef"].values())), np.array(list(answer["se"].values()))
    np.testing.assert_array_less(np.abs(model.fixef.to_numpy() - reference), 0.01 * se)
    np.testing.assert_allclose(np.sqrt(np.diag(model.vcov)), se, rtol=0.01)


def test_variance_components_have_lme4s_group_and_term_names(fitted):
    _, answer, model = fitted
    ours = {
        (r.group, r.var1 if isinstance(r.var1, str) else None, r.var2 if isinstance(r.var2, str) else None): r.sdcor
        for r in model.varcorr.itertuples()
    }
    theirs = {(re.sub(r"\.\d+$", "", r["grp"]), r["var1"], r["var2"]): r["sdcor"] for r in answer["varcorr"]}
    assert set(ours) == set(theirs)
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value, rel=0.01, abs=1e-3), key


def test_conditional_modes_have_lme4s_levels(fitted):
    _, answer, model = fitted
    ref = pd.DataFrame(answer["ranef"])
    ours = model.ranef().rename(columns={"group": "grpvar", "level": "grp"}).set_index(["grpvar", "term", "grp"])
    theirs = ref.set_index(["grpvar", "term", "grp"])
    assert set(ours.index) == set(theirs.index)
    joined = theirs.join(ours, how="inner", rsuffix="_ours")
    assert len(joined) == len(theirs)
    tolerance = 0.01 * joined["condsd"] + 1e-6
    assert (np.abs(joined["condval_ours"] - joined["condval"]) <= tolerance).all()


def test_predictions_for_new_rows_reuse_the_fits_transforms(fitted):
    _, answer, model = fitted
    if not answer.get("predict_conditional"):
        pytest.skip("lme4 gives no predictions here (its predict() fails on a non-syntactic name or a new level)")
    newdata = pd.read_csv(HERE / "data" / "idioms_new.csv")
    scale = model.sigma
    conditional = model.predict(newdata)
    typical = model.predict(newdata, kind="typical")
    np.testing.assert_allclose(conditional, answer["predict_conditional"], rtol=0, atol=1e-3 * scale)
    np.testing.assert_allclose(typical, answer["predict_typical"], rtol=0, atol=1e-3 * scale)
