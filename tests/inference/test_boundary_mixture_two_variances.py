"""The boundary LRT when the bigger model adds two independent variances and no correlation: the null
distribution is ¼χ²₀ + ½χ²₁ + ¼χ²₂ (Self & Liang 1987, case 6; Stram & Lee 1994), binomial weights
C(2, j)/4, not equal thirds. The one-variance case (½:½) cannot tell binomial weights from equal ones.
"""

import pytest
from oracles import load, quiet_fit
from scipy import stats

import mixedwidgets as mw
from mixedwidgets.inference.boundary_lrt import boundary_mixture


def test_two_new_independent_variances_have_binomial_mixture_weights():
    data = load("lmm")
    small = quiet_fit("y ~ x + f + (1 | g)", data, reml=False)
    big = quiet_fit("y ~ x + f + (1 | g) + (0 + x | g) + (1 | h)", data, reml=False)
    mixture = boundary_mixture(small.engine_fit.structure, big.engine_fit.structure)
    assert mixture.exact and mixture.weights == {0: 0.25, 1: 0.5, 2: 0.25}
    row = mw.compare(small, big).iloc[1]
    assert row["Df"] == 2
    expected = 0.5 * stats.chi2.sf(row["Chisq"], 1) + 0.25 * stats.chi2.sf(row["Chisq"], 2)
    assert row["Pr(>Chisq) boundary"] == pytest.approx(expected, rel=1e-12)
