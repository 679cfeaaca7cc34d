"""Marginal coefficients of a Gamma GLMM with the inverse link when the means exceed 1.

They regress g(marginal mean) = 1/mean on X (docs: Hedeker et al. 2018). The marginal means were clipped
into (0, 1) for every link but the log, as a probability's are, so a Gamma model with means above 1 got
the coefficients (1, 0) with SEs of 0. Scaling y by 10 is an exact reparametrization with the inverse
link (μ' = 10μ, so every coefficient on the 1/μ scale divides by 10): the coefficients of the scaled data
are those of the data as stored (means below 1, where clipping did nothing) divided by 10.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw

DATA = Path(__file__).resolve().parents[1] / "reference" / "families" / "data" / "gamma_inverse_intercept.csv"


def _fit(scale: float):
    data = pd.read_csv(DATA).assign(y=lambda d: d.y * scale)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mw.fit("y ~ x + (1 | g)", data, family="gamma", link="inverse")


def test_marginal_coefficients_with_means_above_one_regress_the_inverse_mean():
    stored, scaled = _fit(1.0), _fit(10.0)
    means = scaled.predict(kind="marginal")
    assert means.min() > 1.0 and stored.predict(kind="marginal").max() < 1.0
    table = scaled.marginal_coefs()
    expected = np.linalg.lstsq(scaled.design.X, 1.0 / means, rcond=None)[0]
    np.testing.assert_allclose(table["marginal"].to_numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(
        table["marginal"].to_numpy(), stored.marginal_coefs()["marginal"].to_numpy() / 10, rtol=2e-3
    )
    assert table.loc["x", "marginal_se"] == pytest.approx(
        stored.marginal_coefs().loc["x", "marginal_se"] / 10, rel=2e-2
    )
