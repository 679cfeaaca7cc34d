"""m.gee_comparison() against geepack::geeglm (1.3.9, exchangeable, robust "sandwich" SEs) on data whose
rows are shuffled (not sorted by cluster), so X, y, offset and weights must be reordered together.

geepack needs each cluster's rows together (the R script sorts them); statsmodels does not, and our
table sorts them too. The estimates agree to 1e-4 (0.1% of an SE: the two packages' moment estimators
of the working correlation differ in small details), the SEs to 0.1%.
"""

import numpy as np
import pytest
from oracles import load, oracle, quiet_fit

pytest.importorskip("statsmodels")


@pytest.mark.parametrize("name, family", [("bernoulli", "binomial"), ("poisson", "poisson")])
def test_gee_matches_geepack_on_unsorted_data(name, family):
    case = oracle()[name]
    data = load(name)
    assert not data["g"].astype(str).is_monotonic_increasing  # the point of the test
    table = quiet_fit(case["formula"], data, family=family).gee_comparison()
    theirs = case["gee"]
    np.testing.assert_allclose(table["gee"], list(theirs["coef"].values()), atol=2e-4)
    np.testing.assert_allclose(table["gee_se"], list(theirs["robust_se"].values()), rtol=1e-3)
    assert table.attrs["gee_working_correlation"] == pytest.approx(theirs["alpha"], abs=5e-3)
    assert table.attrs["gee_groups"] == "g"


@pytest.mark.xfail(
    strict=True,
    reason="binomial with trials (cbind): statsmodels' GEE takes the trials as case "
    "weights, geepack as variance weights; with an exchangeable working correlation the "
    "estimates differ (slope -0.5806 against geepack's -0.5726, 0.14 SE). Reported, not fixed.",
)
def test_gee_with_trials_matches_geepack():
    case = oracle()["cbind"]
    table = quiet_fit(case["formula"], load("cbind"), family="binomial").gee_comparison()
    np.testing.assert_allclose(table["gee"], list(case["gee"]["coef"].values()), atol=2e-3)
