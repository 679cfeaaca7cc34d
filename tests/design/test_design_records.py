"""What the design records for the layers after it: the within()/between() columns, the variables the
fixed part reads; and a design built without its response (for simulation)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mixedwidgets.design import build_design
from mixedwidgets.design.split_columns import SplitColumn, split_column
from mixedwidgets.formula import parse_formula


def frame() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    n = 120
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "A": rng.normal(size=n),
            "my x": rng.normal(size=n),
            "g": rng.integers(0, 12, n).astype(str),
            "h": rng.integers(0, 3, n).astype(str),
        }
    )


def test_the_design_lists_its_split_columns_in_order():
    design = build_design(parse_formula("y ~ within(A, g) + between(A, g) + `my x` + (1 | g)"), frame())
    assert design.split_columns == (
        SplitColumn("within(A, g)", "within", "A", "g"),
        SplitColumn("between(A, g)", "between", "A", "g"),
    )


def test_two_grouping_factors_and_backticks():
    assert split_column("between(`my x`, g, h)") == SplitColumn("between(`my x`, g, h)", "between", "my x", "g:h")
    assert split_column("A") is None and split_column("within(A)") is None and split_column("log(A)") is None


def test_a_model_without_split_columns_has_none():
    assert build_design(parse_formula("y ~ A + (1 | g)"), frame()).split_columns == ()


def test_the_design_records_the_columns_the_fixed_part_reads():
    design = build_design(parse_formula("y ~ A * C(h) + log(abs(`my x`)) + (1 | g)"), frame())
    assert set(design.fixed_variables) == {"A", "h", "my x"}


def test_a_design_without_its_response_reads_no_response_column():
    data = frame().drop(columns="y")
    design = build_design(parse_formula("y ~ A + (1 | g)"), data, with_response=False)
    assert design.y.shape == (len(data),) and np.isnan(design.y).all()
    assert design.fixed_names == ("(Intercept)", "A")
