"""Load the stored lmerTest / pbkrtest reference cases (tools/ddf_reference.py made them)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd

import mixedwidgets as mw

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "ddf"
CASES = sorted(p.stem for p in REFERENCE.glob("*.json"))


def load_answer(name: str) -> dict:
    return json.loads((REFERENCE / f"{name}.json").read_text())


def load_data(name: str) -> pd.DataFrame:
    answer = load_answer(name)
    data = pd.read_csv(REFERENCE / answer["csv"])
    for column in as_list(answer["factors"]):
        data[column] = pd.Categorical(data[column])
    return data


@cache
def fitted(name: str):
    answer = load_answer(name)
    return mw.fit(answer["formula"], load_data(name), reml=bool(answer["reml"]))


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]
