"""mw.fit on a dask DataFrame, on a LocalCluster of two worker processes (loopback), equals the in-memory fit."""

import numpy as np
import pandas as pd
import pytest

import mixedwidgets as mw

dd = pytest.importorskip("dask.dataframe")


def slopes_data(seed=1, n=20_000, groups=300):
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, groups, n)
    x = rng.normal(size=n)
    b = rng.normal(size=(groups, 2)) * [1.0, 0.5]
    return pd.DataFrame(
        {
            "y": 1 + 0.5 * x + b[codes, 0] + b[codes, 1] * x + rng.normal(size=n),
            "x": x,
            "z": rng.choice(["lo", "mid", "hi"], n),
            "g": np.char.add("g", codes.astype(str)),
        }
    )


def nested_data(seed=2, n=20_000, schools=150, classes=6):
    rng = np.random.default_rng(seed)
    school, klass = rng.integers(0, schools, n), rng.integers(0, classes, n)
    x = rng.normal(size=n)
    y = (
        0.5 * x
        + rng.normal(0, 1, schools)[school]
        + rng.normal(0, 0.5, (schools, classes))[school, klass]
        + rng.normal(0, 0.4, classes)[klass]
        + rng.normal(size=n)
    )
    return pd.DataFrame({"y": y, "x": x, "school": school, "class": klass})


def crossed_data(seed=6, n=20_000, levels=400):
    rng = np.random.default_rng(seed)
    a, b, x = rng.integers(0, levels, n), rng.integers(0, levels, n), rng.normal(size=n)
    y = 0.5 * x + rng.normal(0, 1, levels)[a] + rng.normal(0, 0.7, levels)[b] + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x": x, "a": a, "b": b})


def assert_same_fit(ours, ref):
    assert ours.objective == pytest.approx(ref.objective, rel=1e-8)
    np.testing.assert_allclose(ours.fixef, ref.fixef, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.varcorr["sdcor"], ref.varcorr["sdcor"], rtol=1e-5, atol=1e-9)
    a, b = ours.ranef(), ref.ranef()
    assert list(a.level) == list(b.level) and list(a.group) == list(b.group)
    np.testing.assert_allclose(a.condval, b.condval, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(a.condsd, b.condsd, rtol=1e-5, atol=1e-9)
    assert ours.nobs == ref.nobs


@pytest.mark.parametrize(
    "formula, make",
    [
        ("y ~ x + (1 + x | g)", slopes_data),
        ("y ~ x + z + (1 | g)", slopes_data),
        # predictors far from scale 1: the engine's RE-column scaling (backend/scaling.py) on both paths
        ("y ~ x + (1 + x | g)", lambda: slopes_data(seed=10).assign(x=lambda d: d.x * 50)),
        ("y ~ x + (1 + x | g)", lambda: slopes_data(seed=11).assign(x=lambda d: d.x / 200 + 0.01)),
        ("y ~ x + (1 | school/class)", nested_data),
        ("y ~ x + (1 | school) + (1 | class)", nested_data),
        # tails too large for the small dense layout: summed as TailRowSums, sparse (nested) or dense (crossed)
        ("y ~ x + (1 | school/class)", lambda: nested_data(seed=8, schools=400, classes=10)),
        ("y ~ x + (1 | a) + (1 | b)", crossed_data),
    ],
)
def test_dask_fit_equals_the_in_memory_fit(dask_client, formula, make):
    data = make()
    ours = mw.fit(formula, dd.from_pandas(data, npartitions=5))
    assert_same_fit(ours, mw.fit(formula, data))


def test_missing_values_are_dropped_as_in_memory(dask_client):
    data = slopes_data(seed=3)
    data.loc[data.index[::97], "x"] = np.nan
    with pytest.warns(mw.MixedModelWarning):
        ref = mw.fit("y ~ x + (1 + x | g)", data)
    ours = mw.fit("y ~ x + (1 + x | g)", dd.from_pandas(data, npartitions=4))
    assert_same_fit(ours, ref)


def test_predict_returns_a_dask_series_equal_to_the_in_memory_one(dask_client):
    data = slopes_data(seed=4)
    ddf = dd.from_pandas(data, npartitions=3)
    ours, ref = mw.fit("y ~ x + (1 + x | g)", ddf), mw.fit("y ~ x + (1 + x | g)", data)
    predicted = ours.predict()
    assert isinstance(predicted, dd.Series)
    np.testing.assert_allclose(predicted.compute().to_numpy(), ref.predict(), rtol=1e-7, atol=1e-7)
    new = data.head(50).assign(g="a level never seen")
    np.testing.assert_allclose(ours.predict(new), ref.predict(new), rtol=1e-7)
    np.testing.assert_allclose(
        ours.predict(ddf, kind="typical").compute(), ref.predict(kind="typical"), rtol=1e-7, atol=1e-9
    )
    assert "Scaled residuals" in ours.summary()


def test_other_families_are_refused_with_the_reason(dask_client):
    data = slopes_data(seed=5).assign(b=lambda d: (d.y > 1).astype(int) + 1)
    with pytest.raises(mw.MixedModelError, match="Gaussian, binomial and Poisson"):
        mw.fit("b ~ x + (1 | g)", dd.from_pandas(data, npartitions=2), family="negative_binomial")
    with pytest.raises(mw.MixedModelError, match="nagq=1"):
        mw.fit("b ~ x + (1 | g)", dd.from_pandas(data, npartitions=2), family="poisson", nagq=5)


def test_widgets_and_tables_work_on_a_dask_fit(dask_client):
    pytest.importorskip("ipywidgets")
    data = slopes_data(seed=9, n=5_000, groups=50)
    model = mw.fit("y ~ x + (1 | g)", dd.from_pandas(data, npartitions=3))
    assert type(mw.explore(model)).__name__ == "Dashboard"
    assert "Random effects" in model._repr_html_() or "Random" in model.summary()
    assert model.icc()["icc"].between(0, 1).all()
