"""gee_comparison() does not depend on the order of the rows: the same data sorted by cluster (where the
reordering the GEE needs is the identity) give the same GEE coefficients, SEs and working correlation.

This is what catches y, X, offset or trials not reordered together (geepack is the oracle of the
estimates in test_gee_oracle.py, but not for trials: statsmodels and geepack weigh them differently, so
that comparison is an expected failure there). Exchangeable correlation is invariant to the order of the
rows within a cluster, so the tables agree to rounding.
"""

import numpy as np
import pytest
from oracles import load, oracle, quiet_fit

pytest.importorskip("statsmodels")

CASES = {"bernoulli": "binomial", "poisson": "poisson", "cbind": "binomial"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gee_table_is_the_same_for_rows_sorted_by_cluster(name):
    data = load(name)
    assert not data["g"].astype(str).is_monotonic_increasing
    ordered = data.sort_values("g", kind="stable").reset_index(drop=True)
    formula = oracle()[name]["formula"]
    shuffled_table = quiet_fit(formula, data, family=CASES[name]).gee_comparison()
    sorted_table = quiet_fit(formula, ordered, family=CASES[name]).gee_comparison()
    np.testing.assert_allclose(shuffled_table["gee"], sorted_table["gee"], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(shuffled_table["gee_se"], sorted_table["gee_se"], rtol=1e-6)
    assert shuffled_table.attrs["gee_working_correlation"] == pytest.approx(
        sorted_table.attrs["gee_working_correlation"], rel=1e-6
    )
