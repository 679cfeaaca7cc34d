"""R's answers for the results and fitting layers (tests/reference/results, made by tools/r/results_oracles.R)."""

from __future__ import annotations

import json
import warnings
from functools import lru_cache
from pathlib import Path

import pandas as pd

import mixedwidgets as mw

FOLDER = Path(__file__).parent / "reference" / "results"
FACTORS = ("g", "h", "f")


@lru_cache(maxsize=1)
def oracle() -> dict:
    """The whole oracles.json (read once)."""
    return json.loads((FOLDER / "oracles.json").read_text())


def load(name: str) -> pd.DataFrame:
    """One of the simulated data sets, its grouping columns categorical (rows as R saw them: shuffled)."""
    data = pd.read_csv(FOLDER / "data" / f"{name}.csv")
    for column in FACTORS:
        if column in data:
            data[column] = data[column].astype(str).astype("category")
    return data


def quiet_fit(formula: str, data: pd.DataFrame, **options):
    """mw.fit without the user-facing warnings (overdispersion notes and the like stay in .messages)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mw.fit(formula, data, **options)
