"""Binomial and Poisson GLMMs from a dask DataFrame (PIRLS passes over persisted partitions) equal the
in-memory fits: deviance to 1e-8 relative, fixed effects 1e-6, SDs and conditional modes 1e-5."""

import importlib.util

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw

dd = pytest.importorskip("dask.dataframe")


def glmm_data(seed, n=3_000, groups=60, family="binomial", x_scale=1.0):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, groups, n)
    x = rng.normal(size=n) * x_scale
    b = rng.normal(size=(groups, 2)) * [0.7, 0.3 / x_scale]
    eta = -0.3 + 0.4 * x / x_scale + b[g, 0] + b[g, 1] * x
    if family == "poisson":
        y = rng.poisson(np.exp(eta))
    else:
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    trials = rng.integers(1, 6, n)
    successes = rng.binomial(trials, 1 / (1 + np.exp(-eta)))
    return pd.DataFrame({"y": y, "x": x, "k": successes, "f": trials - successes, "g": np.char.add("g", g.astype(str))})


def assert_same_glmm(ours, ref):
    assert ours.objective == pytest.approx(ref.objective, rel=1e-8)
    np.testing.assert_allclose(ours.fixef, ref.fixef, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.varcorr["sdcor"], ref.varcorr["sdcor"], rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(ours.vcov, ref.vcov, rtol=1e-4, atol=1e-10)
    a, b = ours.ranef(), ref.ranef()
    assert list(a.level) == list(b.level)
    np.testing.assert_allclose(a.condval, b.condval, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(a.condsd, b.condsd, rtol=1e-5, atol=1e-9)
    assert ours.nobs == ref.nobs and ours.converged == ref.converged


@pytest.mark.parametrize(
    "formula, family, data",
    [
        # a predictor far from scale 1: the engine's X and random-effect column scaling on both paths
        ("y ~ x + (1 + x | g)", "binomial", lambda: glmm_data(2, x_scale=20.0)),
        ("cbind(k, f) ~ x + (1 | g)", "binomial", lambda: glmm_data(3, n=2_000)),
        ("y ~ x + (1 | g)", "poisson", lambda: glmm_data(4, n=2_000, family="poisson")),
    ],
)
def test_dask_glmm_equals_the_in_memory_fit(dask_client, formula, family, data):
    frame = data()
    ours = mw.fit(formula, dd.from_pandas(frame, npartitions=2), family=family)
    assert_same_glmm(ours, mw.fit(formula, frame, family=family))


def test_binomial_intercepts_equal_and_predict_ranef_summary_work(dask_client):
    frame = glmm_data(1)
    ddf = dd.from_pandas(frame, npartitions=2)
    ours, ref = mw.fit("y ~ x + (1 | g)", ddf, family="binomial"), mw.fit("y ~ x + (1 | g)", frame, family="binomial")
    assert_same_glmm(ours, ref)
    predicted = ours.predict()
    assert isinstance(predicted, dd.Series)
    np.testing.assert_allclose(predicted.compute().to_numpy(), ref.predict(), rtol=1e-6)
    np.testing.assert_allclose(ours.predict(scale="link").compute().to_numpy(), ref.predict(scale="link"), rtol=1e-6)
    np.testing.assert_allclose(ours.predict(frame.head(30)), ref.predict(frame.head(30)), rtol=1e-6)
    np.testing.assert_allclose(np.sort(ours.scaled_residuals()), np.sort(ref.scaled_residuals()), rtol=1e-5, atol=1e-8)
    assert "Scaled residuals" in ours.summary()
    with pytest.raises(mw.MixedModelError, match="cluster"):
        ours.marginal_coefs()
    assert ours.icc()["icc"].iloc[0] == pytest.approx(ref.icc()["icc"].iloc[0], rel=1e-5)
    if importlib.util.find_spec("ipywidgets") is not None:
        assert type(mw.explore(ours)).__name__ == "Dashboard"
