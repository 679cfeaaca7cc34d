"""Golden-master comparison of a fitted model with lme4's stored answer (tests/reference)."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import mixedwidgets as mw

REFERENCE = Path(__file__).parent / "reference"
CORRELATION_RTOL = 0.01  # the tolerance the SDs are held to
CORRELATION_FLOOR = 1e-4  # for correlations near 0
THETA_RTOL = 0.01
DATASETS = Path(mw.__file__).parent / "datasets"


@dataclass(frozen=True)
class Case:
    name: str
    csv: Path
    formula: str
    family: str
    reml: bool
    nagq: int
    factors: tuple[str, ...]
    answer: dict


def _cases_in(folder: Path, data_folder: Path) -> list[Case]:
    out = []
    with open(folder / "cases.tsv") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            path = data_folder / f"{row['csv']}.csv"
            if not path.exists():
                path = data_folder / f"{row['csv'].lower()}.csv"
            out.append(
                Case(
                    row["name"],
                    path,
                    row["formula"],
                    row["family"],
                    row["reml"] == "TRUE",
                    int(row["nagq"]),
                    tuple(f for f in row["factors"].split(",") if f),
                    json.loads((folder / f"{row['name']}.json").read_text()),
                )
            )
    return out


def all_cases() -> list[Case]:
    return _cases_in(REFERENCE, DATASETS) + _cases_in(REFERENCE / "extra", REFERENCE / "extra" / "data")


def load_data(case: Case) -> pd.DataFrame:
    data = pd.read_csv(case.csv)
    for column in case.factors:
        data[column] = data[column].astype(str).astype("category")
    return data


def fit_case(case: Case):
    data = load_data(case)
    if case.family == "gaussian":
        return mw.fit(case.formula, data, reml=case.reml)
    return mw.fit(case.formula, data, family=case.family, nagq=case.nagq)


def _group_key(name: str) -> str:
    """lme4 repeats a group of uncorrelated terms as 'g.1', 'g.2': compare by the group's own name.
    Nested groups must match lme4's names exactly ('class:school', levels 'c1:s01')."""
    return re.sub(r"\.\d+$", "", name)


def _level_key(group: str, level: str) -> str:
    return level


def compare_fixed(model, answer, tol_se: float = 0.01) -> None:
    ref_b, ref_se = pd.Series(answer["fixef"]), pd.Series(answer["se"])
    assert list(model.fixef.index) == list(ref_b.index)
    se = np.sqrt(np.diag(model.vcov))
    np.testing.assert_array_less(np.abs(model.fixef.to_numpy() - ref_b.to_numpy()), tol_se * ref_se.to_numpy() + 1e-10)
    np.testing.assert_allclose(se, ref_se.to_numpy(), rtol=0.01)


def compare_varcorr(model, answer) -> None:
    text = lambda v: v if isinstance(v, str) else None
    ours = {(_group_key(r.group), text(r.var1), text(r.var2)): r.sdcor for r in model.varcorr.itertuples()}
    theirs = {(_group_key(r["grp"]), r["var1"], r["var2"]): r["sdcor"] for r in answer["varcorr"]}
    assert set(ours) == set(theirs)
    biggest = max(abs(v) for (g, _, v2), v in theirs.items() if v2 is None)
    for key, value in theirs.items():
        if key[2] is None:  # standard deviations: 1%, with a floor for ones at the boundary
            assert abs(ours[key] - value) <= 0.01 * abs(value) + 1e-3 * biggest, (key, ours[key], value)
        elif np.isnan(value):
            assert np.isnan(ours[key]), (key, ours[key], value)
        else:  # correlations, singular ±1 included (their sign too): 1%, as the SDs
            assert abs(ours[key] - value) <= CORRELATION_RTOL * abs(value) + CORRELATION_FLOOR, (key, ours[key], value)


def compare_theta(model, answer) -> None:
    """θ in lme4's order, each within 1% of lme4's (with a floor of 0.1% of the largest for zeros)."""
    theirs = np.atleast_1d(np.asarray(answer["theta"], dtype=float))
    assert model.theta.shape == theirs.shape
    tolerance = THETA_RTOL * np.abs(theirs) + 1e-3 * np.max(np.abs(theirs))
    np.testing.assert_array_less(np.abs(model.theta - theirs), tolerance)


def compare_ranef(model, answer) -> None:
    ref = pd.DataFrame(answer["ranef"])
    ours = model.ranef()
    ours_index = {
        (_group_key(g), t, _level_key(g, lv)): (cv, sd)
        for g, t, lv, cv, sd in ours[["group", "term", "level", "condval", "condsd"]].itertuples(index=False)
    }
    assert len(ours_index) == len(ref)
    scale = ref.condsd.max()
    for g, t, lv, cv, sd in ref[["grpvar", "term", "grp", "condval", "condsd"]].itertuples(index=False):
        got_cv, got_sd = ours_index[(_group_key(g), t, _level_key(g, str(lv)))]
        assert abs(got_cv - cv) <= 0.01 * sd + 1e-6 * scale, (g, t, lv, got_cv, cv, sd)
        assert abs(got_sd - sd) <= 0.01 * sd + 1e-6 * scale, (g, t, lv, got_sd, sd)
