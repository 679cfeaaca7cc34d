"""The dashboard and the marginal curves for negative-binomial and Gamma models."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw

pytest.importorskip("ipywidgets")
from mixedwidgets.widgets import Dashboard, MarginalCurves  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "reference" / "families" / "data"


@pytest.fixture(scope="module", params=[("nb_slope", "negative_binomial"), ("gamma_log_slope", "gamma")])
def model(request):
    name, family = request.param
    return mw.fit("y ~ x + (1 + x | g)", pd.read_csv(DATA / f"{name}.csv"), family=family)


def test_the_dashboard_shows_every_view(model):
    dash = mw.explore(model)
    assert isinstance(dash, Dashboard) and dash.group == "g"
    assert isinstance(dash.curves, MarginalCurves) and dash.curves.figure in dash.curves.children


def test_marginal_curve_lies_above_the_typical_one_on_the_log_link(model):
    curves = MarginalCurves(model)
    data = curves.data
    # E_b exp(η + b) ≥ exp(η) (Jensen): averaging over the random effects raises a log-link mean
    assert np.all(data.marginal >= data.typical - 1e-9) and np.any(data.marginal > data.typical * 1.01)
    assert curves._y_label() == "expected response"
