"""The models whose lme4 intervals are stored in tests/inference/reference (made by tools/r/inference_intervals.R)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

import mixedwidgets as mw

HERE = Path(__file__).parent
REFERENCE = HERE / "reference"


def _cake() -> pd.DataFrame:
    d = pd.read_csv(HERE / "data" / "intervals_cake.csv")
    return d.assign(temperature=d.temperature.astype(str), replicate=d.replicate.astype(str))


CASES = {
    "sleepstudy": (lambda: mw.datasets.load("sleepstudy"), "Reaction ~ Days + (Days | Subject)", {}),
    "unbalanced": (lambda: pd.read_csv(HERE / "data" / "intervals_unbalanced.csv"), "y ~ f * x + (1 + x | g)", {}),
    "cake": (_cake, "angle ~ recipe * temperature + (1 | recipe:replicate)", {}),
    "cbpp": (
        lambda: mw.datasets.load("cbpp"),
        "cbind(incidence, size - incidence) ~ period + (1 | herd)",
        {"family": "binomial"},
    ),
    # fresh cases of our own (two crossed or nested terms, ||, a 3 × 3 term, GLMMs), profile intervals only
    "fresh_penicillin": (lambda: mw.datasets.load("penicillin"), "diameter ~ 1 + (1 | plate) + (1 | sample)", {}),
    "fresh_uncorrelated": (lambda: mw.datasets.load("sleepstudy"), "Reaction ~ Days + (Days || Subject)", {}),
    "fresh_q3": (lambda: pd.read_csv(HERE / "data" / "intervals_fresh_q3.csv"), "y ~ x1 + x2 + (1 + x1 + x2 | g)", {}),
    "fresh_nested": (
        lambda: pd.read_csv(HERE / "data" / "intervals_fresh_nested.csv"),
        "y ~ x + (1 | school) + (1 | school:cls)",
        {"reml": False},
    ),
    "fresh_poisson": (
        lambda: pd.read_csv(HERE / "data" / "intervals_fresh_glmm.csv"),
        "count ~ x + (1 | g)",
        {"family": "poisson"},
    ),
    "fresh_binary": (
        lambda: pd.read_csv(HERE / "data" / "intervals_fresh_glmm.csv"),
        "yes ~ x + (1 | g)",
        {"family": "binomial"},
    ),
}


@cache
def fitted(name: str):
    load, formula, options = CASES[name]
    return mw.fit(formula, load(), **options)


@cache
def reference(name: str) -> dict:
    return json.loads((REFERENCE / f"intervals_{name}.json").read_text())


def as_array(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def widths(name: str) -> np.ndarray:
    r = reference(name)["profile"]
    return as_array(r["upper"]) - as_array(r["lower"])
