"""Prior weights through the results and fitting layers, against lme4 (tools/r/results_oracles.R): a weighted
LMM's scaled residuals (residuals(m, "pearson") / sigma) and fit statistics, a weighted Poisson GLMM's
Pearson residuals and overdispersion ratio (performance::check_overdispersion: 1.62 with the weights,
0.86 without, so the warning depends on them)."""

import numpy as np
import pandas as pd
import pytest
from oracles import FOLDER, load, oracle, quiet_fit

from mixedwidgets.fitting.diagnostics import overdispersion_ratio


def _weights(name: str) -> np.ndarray:
    return pd.read_csv(FOLDER / "data" / f"{name}_weights.csv")["w"].to_numpy(dtype=float)


def test_weighted_lmm_scaled_residuals_and_statistics_match_lme4():
    case = oracle()["weighted"]
    model = quiet_fit(case["lmm_formula"], load("lmm"), weights=_weights("lmm"))
    assert model.sigma == pytest.approx(case["lmm"]["sigma"], rel=1e-4)
    assert model.loglik == pytest.approx(case["lmm"]["logLik"], abs=1e-4)
    np.testing.assert_allclose(model.scaled_residuals(), case["lmm_scaled_pearson"], atol=1e-4)


def test_weighted_poisson_pearson_residuals_and_overdispersion_match_lme4_and_performance():
    case = oracle()["weighted"]
    model = quiet_fit(case["poisson_formula"], load("poisson"), family="poisson", weights=_weights("poisson"))
    assert model.loglik == pytest.approx(case["poisson"]["logLik"], abs=0.03)
    np.testing.assert_allclose(model.scaled_residuals(), case["poisson_pearson"], atol=2e-3)
    answer = case["poisson_overdispersion"]
    assert overdispersion_ratio(model.design, model.engine_fit) == pytest.approx(answer["ratio"], rel=1e-3)
    assert any("overdispersion" in m for m in model.messages)
