"""The overdispersion warning against performance::check_overdispersion (0.10.2): same ratio
(Pearson χ² / residual df, df = n − #β − #θ), a warning where the ratio is large, none where it is not."""

import warnings

import pytest
from oracles import load, oracle

import mixedwidgets as mw
from mixedwidgets.fitting.diagnostics import OVERDISPERSION_RATIO, overdispersion_ratio


def _fit_recording(formula, data, family="poisson"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = mw.fit(formula, data, family=family)
    return model, [str(w.message) for w in caught]


@pytest.mark.parametrize(
    "formula_key, answer_key, expected",
    [("formula", "overdispersion", False), ("od_formula", "od_overdispersion", True)],
)
def test_overdispersion_ratio_and_warning_match_performance(formula_key, answer_key, expected):
    case = oracle()["poisson"]
    answer = case[answer_key]
    model, caught = _fit_recording(case[formula_key], load("poisson"))
    ratio = overdispersion_ratio(model.design, model.engine_fit)
    assert model.nobs - len(model.fixef) - len(model.theta) == answer["rdf"]
    assert ratio == pytest.approx(answer["ratio"], rel=1e-3)  # only the optimum differs
    assert (answer["p"] < 0.05) == expected  # performance's verdict
    assert (ratio > OVERDISPERSION_RATIO) == expected
    noted = [m for m in model.messages if "overdispersion" in m]
    assert bool(noted) == expected
    assert bool([m for m in caught if "overdispersion" in m]) == expected
    if expected:
        assert f"{answer['ratio']:.2f}" in noted[0]


def test_no_overdispersion_check_for_binary_models():
    """Bernoulli data cannot be overdispersed; the check is for counts only."""
    case = oracle()["bernoulli"]
    model, caught = _fit_recording(case["formula"], load("bernoulli"), family="binomial")
    assert not any("overdispersion" in m for m in model.messages + caught)
