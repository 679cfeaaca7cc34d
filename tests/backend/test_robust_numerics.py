"""Hard numerical cases end in a result with honest warnings, or in a MixedModelError; never in
NaN estimates presented as valid.

Extreme scales (1e-8 and 1e8 responses and predictors), near-singular and singular variance
components, perfectly separated binary outcomes, groups of size one, a response the model
reproduces exactly, and a few regressions found by the fuzz tests.
"""

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from robust_data import formula_frame

import mixedwidgets as mw
from mixedwidgets import MixedModelError, MixedModelWarning

SCALES = [1e8, 1e-8]


def unbalanced(n: int = 240, groups: int = 16, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n)
    x = rng.normal(size=n)
    b0, b1 = rng.normal(scale=0.8, size=groups), rng.normal(scale=0.4, size=groups)
    eta = -0.3 + 0.8 * x + b0[g] + b1[g] * x
    return pd.DataFrame(
        {
            "y": 2.0 + eta + rng.normal(size=n),
            "b": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int),
            "c": rng.poisson(np.exp(eta / 2)),
            "x": x,
            "g": [f"g{k}" for k in g],
        }
    )


def fit_recording(formula, data, **options):
    """(model, warning messages) of one fit."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = mw.fit(formula, data, **options)
    return model, [str(w.message) for w in caught if issubclass(w.category, MixedModelWarning)]


def assert_honest(model) -> None:
    """Finite estimates; missing standard errors only with a note saying so."""
    assert np.all(np.isfinite(model.fixef.to_numpy()))
    assert np.isfinite(model.objective) and np.isfinite(model.sigma)
    assert np.all(np.isfinite(model.theta))
    se = model.coef_table()["std_error"].to_numpy()
    if not np.all(np.isfinite(se)):
        assert model.messages
    model.summary(), model._repr_html_()


@pytest.fixture(scope="module")
def data():
    return unbalanced()


@pytest.fixture(scope="module")
def base_lmm(data):
    return mw.fit("y ~ x + (1 | g)", data)


# --- extreme scales ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", SCALES)
def test_response_on_an_extreme_scale_gives_the_rescaled_answer(data, base_lmm, scale):
    m, _ = fit_recording("y ~ x + (1 | g)", data.assign(y=data["y"] * scale))
    assert_honest(m)
    np.testing.assert_allclose(m.fixef.to_numpy() / scale, base_lmm.fixef.to_numpy(), rtol=1e-4)
    np.testing.assert_allclose(m.theta, base_lmm.theta, rtol=1e-3)
    np.testing.assert_allclose(m.sigma / scale, base_lmm.sigma, rtol=1e-4)


@pytest.mark.parametrize("scale", SCALES)
def test_predictor_on_an_extreme_scale_warns_and_gives_the_rescaled_answer(data, base_lmm, scale):
    m, notes = fit_recording("y ~ x + (1 | g)", data.assign(x=data["x"] * scale))
    assert_honest(m)
    assert any("'x' sd" in n and "rescaling" in n for n in notes)
    np.testing.assert_allclose(m.fixef["x"] * scale, base_lmm.fixef["x"], rtol=1e-4)
    np.testing.assert_allclose(m.theta, base_lmm.theta, rtol=1e-3)


@pytest.fixture(scope="module")
def base_slope(data):
    return mw.fit("y ~ x + (1 + x | g)", data)


def rescaled_fit_is_right(m, base, scale: float) -> bool:
    """x·scale is the same model: REML criterion + 2 log(scale) (from log|X'V⁻¹X|), slope rows of Λ / scale."""
    theta = m.theta.copy()
    theta[1:] *= scale
    return bool(
        abs(m.objective - (base.objective + 2 * np.log(scale))) < 1e-3
        and np.allclose(theta, base.theta, rtol=0.01, atol=1e-3 * np.max(base.theta))
        and np.isclose(m.fixef["x"] * scale, base.fixef["x"], rtol=1e-3)
    )


@pytest.mark.parametrize("scale", [10.0, 0.1, 1 / 30])
def test_random_slope_on_a_rescaled_predictor_is_right(data, base_slope, scale):
    m = mw.fit("y ~ x + (1 + x | g)", data.assign(x=data["x"] * scale))
    assert m.converged, m.messages
    assert rescaled_fit_is_right(m, base_slope, scale)


@pytest.mark.parametrize("scale", SCALES)
def test_random_slope_on_an_extreme_scale_is_right_or_says_it_may_not_be(data, base_slope, scale):
    try:
        m, notes = fit_recording("y ~ x + (1 + x | g)", data.assign(x=data["x"] * scale))
    except MixedModelError as error:
        assert "rescale" in str(error)
        return
    assert_honest(m)
    assert any("rescaling" in n for n in notes)
    assert rescaled_fit_is_right(m, base_slope, scale) or not m.converged


def test_a_converged_random_slope_fit_on_a_small_scale_is_right(data, base_slope):
    m = mw.fit("y ~ x + (1 + x | g)", data.assign(x=data["x"] * 1e-3))
    assert m.converged and rescaled_fit_is_right(m, base_slope, 1e-3)


@pytest.mark.parametrize("family, response", [("binomial", "b"), ("poisson", "c")])
@pytest.mark.parametrize("scale", SCALES)
def test_glmm_predictor_on_an_extreme_scale_is_right_or_says_it_may_not_be(data, family, response, scale):
    base = mw.fit(f"{response} ~ x + (1 | g)", data, family=family)
    try:
        m, notes = fit_recording(f"{response} ~ x + (1 | g)", data.assign(x=data["x"] * scale), family=family)
    except MixedModelError as error:
        assert "rescale" in str(error)
        return
    assert_honest(m)
    assert any("rescaling" in n for n in notes)
    np.testing.assert_allclose(m.fixef["x"] * scale, base.fixef["x"], rtol=1e-3)
    if m.converged:
        assert not any("separation" in n for n in notes)  # a scale is not a separation


def test_values_too_large_for_double_precision_are_refused(data):
    with pytest.raises(MixedModelError, match="'y'.*rescale"):
        mw.fit("y ~ x + (1 | g)", data.assign(y=data["y"] * 1e200))
    with pytest.raises(MixedModelError, match="'x'.*rescale"):
        mw.fit("y ~ x + (1 | g)", data.assign(x=data["x"] * 1e-200))


# --- singular and near-singular variance components ---------------------------------------------------


def test_near_singular_variance_component(data):
    rng = np.random.default_rng(11)
    codes = pd.factorize(data["g"])[0]
    y = 1.0 + 0.5 * data["x"] + 0.01 * rng.normal(size=16)[codes] + rng.normal(size=len(data))
    m, _ = fit_recording("y ~ x + (1 | g)", data.assign(y=y))
    assert_honest(m)
    if m.singular:
        assert any("Singular" in note for note in m.messages)


def test_singular_variance_is_reported(data):
    # group means exactly equal: the between-group variance estimate is on the boundary
    rng = np.random.default_rng(12)
    noise = pd.Series(rng.normal(size=len(data)), index=data.index)
    y = 1.0 + noise - noise.groupby(data["g"]).transform("mean")
    m, _ = fit_recording("y ~ 1 + (1 | g)", data.assign(y=y))
    assert_honest(m)
    assert m.singular and any("Singular" in note for note in m.messages)
    assert "Note: Singular fit" in m.summary()
    assert m.varcorr["vcov"].iloc[0] < 1e-6


def test_slope_without_variance_next_to_an_intercept(data):
    rng = np.random.default_rng(12)
    codes = pd.factorize(data["g"])[0]
    y = 1.0 + 0.5 * data["x"] + rng.normal(size=16)[codes] + rng.normal(size=len(data))
    m, _ = fit_recording("y ~ x + (1 + x | g)", data.assign(y=y))
    assert_honest(m)
    assert m.converged or m.messages


def test_random_slope_of_a_predictor_that_is_always_zero(data):
    m, notes = fit_recording("y ~ (1 + x | g)", data.assign(x=0.0))
    assert_honest(m)
    assert m.messages and (m.singular or not m.converged)


def test_a_response_reproduced_exactly_is_flagged(data):
    m, notes = fit_recording("y ~ x + (1 | g)", data.assign(y=1.0 + 2.0 * data["x"]))
    assert_honest(m)
    assert any("essentially zero" in n for n in notes)
    assert any("essentially zero" in n for n in m.messages)


# --- separation and tiny groups --------------------------------------------------------------------------


def test_perfectly_separated_binary_outcome_warns(data):
    m, notes = fit_recording("b ~ x + (1 | g)", data.assign(b=(data["x"] > 0).astype(int)), family="binomial")
    assert_honest(m)
    assert any("separation" in n for n in notes)
    assert any("separation" in n for n in m.messages)


def test_groups_that_are_all_successes_or_all_failures(data):
    first = data["g"].isin(["g0", "g1", "g2"])
    outcome = np.where(first, 1, np.where(data["g"].isin(["g3", "g4"]), 0, data["b"]))
    m, _ = fit_recording("b ~ x + (1 | g)", data.assign(b=outcome), family="binomial")
    assert_honest(m)
    assert np.all(np.isfinite(m.ranef()["condval"]))


def test_groups_of_size_one(data):
    singletons = [f"s{k}" for k in range(40)] + list(data["g"].iloc[40:])
    m, _ = fit_recording("y ~ x + (1 | g)", data.assign(g=singletons))
    assert_honest(m)
    assert m.ngroups["g"] == 56


def test_every_group_of_size_one_in_a_glmm(data):
    m, _ = fit_recording("b ~ x + (1 | id)", data.assign(id=np.arange(len(data))), family="binomial")
    assert_honest(m)


# --- never NaN estimates presented as valid ---------------------------------------------------------------


def test_an_engine_result_with_nan_estimates_is_refused(monkeypatch, data):
    import mixedwidgets.fitting.fit_model as api

    real = api.fit_lmm

    def broken(design, **options):
        fit = real(design, **options)
        return dataclasses.replace(fit, beta=np.full_like(fit.beta, np.nan))

    monkeypatch.setattr(api, "fit_lmm", broken)
    with pytest.raises(MixedModelError, match="finite fixed-effect estimates"):
        mw.fit("y ~ x + (1 | g)", data)


def test_nan_standard_errors_come_with_a_note(monkeypatch, data):
    import mixedwidgets.fitting.fit_model as api

    real = api.fit_lmm

    def no_vcov(design, **options):
        fit = real(design, **options)
        return dataclasses.replace(fit, vcov=np.full_like(fit.vcov, np.nan))

    monkeypatch.setattr(api, "fit_lmm", no_vcov)
    with pytest.warns(MixedModelWarning, match="not finite"):
        m = mw.fit("y ~ x + (1 | g)", data)
    assert any("standard errors" in note for note in m.messages)


def test_a_linear_algebra_failure_in_the_engine_becomes_our_error(monkeypatch, data):
    import mixedwidgets.fitting.fit_model as api

    def failing(design, **options):
        raise np.linalg.LinAlgError("matrix not positive definite")

    monkeypatch.setattr(api, "fit_lmm", failing)
    with pytest.raises(MixedModelError, match="broke down numerically") as info:
        mw.fit("y ~ x + (1 | g)", data)
    assert isinstance(info.value.__cause__, np.linalg.LinAlgError)


# --- regressions found by the fuzz tests ------------------------------------------------------------------


def test_glmm_without_fixed_effects_has_a_coefficient_table(data):
    # the covariance of β was sliced as [-len(β):], the whole matrix when there is no β
    m, _ = fit_recording("b ~ 0 + (1 + x | g)", data, family="binomial")
    assert m.vcov.shape == (0, 0)
    assert m.coef_table().empty


def test_glmm_restart_after_an_unconverged_stage_two(monkeypatch):
    # the restart divided a tuple of step sizes by 10 (TypeError); force the restart path
    import dataclasses

    import mixedwidgets.backend.glmm as engine

    runs, checks = [], []
    real_stage, real_check = engine._stage_two, engine.polish_and_check
    monkeypatch.setattr(engine, "_stage_two", lambda *args, **kw: runs.append(1) or real_stage(*args, **kw))

    def first_check_fails(*args, **kwargs):
        opt, report = real_check(*args, **kwargs)
        checks.append(1)
        return (opt, dataclasses.replace(report, converged=False)) if len(checks) == 1 else (opt, report)

    monkeypatch.setattr(engine, "polish_and_check", first_check_fails)
    m, _ = fit_recording("cbind(c, 5 - c) ~ c + 0 + (1 | h) + (1 + b | b)", formula_frame(), family="binomial")
    assert_honest(m)
    assert len(runs) == 2


# --- scale-free engine (these were known limitations, fixed by column scaling and relative floors) ---


def test_starting_values_do_not_depend_on_the_response_scale(data):
    from mixedwidgets.backend.reterms import build_structure
    from mixedwidgets.backend.start import starting_theta
    from mixedwidgets.design import build_design
    from mixedwidgets.formula import parse_formula

    starts = []
    for scale in (1.0, 1e-8):
        design = build_design(parse_formula("y ~ x + (1 | g)"), data.assign(y=data["y"] * scale))
        starts.append(
            starting_theta(build_structure(design.terms), design.terms, np.asarray(design.X), np.asarray(design.y))
        )
    np.testing.assert_allclose(starts[1], starts[0], rtol=1e-6)


def test_glmm_convergence_check_is_scale_free(data):
    m, _ = fit_recording("b ~ x + (1 | g)", data.assign(x=data["x"] * 1e-8), family="binomial")
    assert m.converged


@pytest.mark.parametrize("family, response", [("binomial", "b"), ("poisson", "c")])
def test_glmm_with_a_predictor_on_a_scale_of_1e8_converges(data, family, response):
    m, _ = fit_recording(f"{response} ~ x + (1 | g)", data.assign(x=data["x"] * 1e8), family=family)
    assert m.converged
