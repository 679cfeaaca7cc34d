"""mw.simulate: responses from a fitted model, and data sets from chosen true values."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special

import mixedwidgets as mw
from mixedwidgets.design import build_design
from mixedwidgets.errors import MixedModelError, MixedModelWarning
from mixedwidgets.formula import parse_formula
from mixedwidgets.simulation import simulate, simulate_data, simulate_responses

SLOPES = "y ~ x + (1 + x | g)"
TRUE_FIXED = {"(Intercept)": 2.0, "x": -0.5}
TRUE_RANDOM = {"g": {"(Intercept)": 1.0, "x": 0.6, "corr": -0.4}}
TRUE_SIGMA = 0.8


def predictors(groups=30, size=8, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"g": np.repeat(np.arange(groups), size), "x": rng.normal(size=groups * size)})


def fit_quietly(formula, data, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixedModelWarning)
        return mw.fit(formula, data, **options)


def within_mc_error(draws, truth, k=4.0):
    """The mean of ``draws`` is within k Monte Carlo standard errors of ``truth``."""
    draws = np.asarray(draws)
    mc_se = draws.std(ddof=1, axis=0) / np.sqrt(len(draws))
    return np.all(np.abs(draws.mean(axis=0) - truth) < k * mc_se + 1e-12)


# --- from scratch -------------------------------------------------------------------------


def test_simulated_data_is_a_copy_with_the_response():
    frame = predictors()
    before = frame.copy()
    out = simulate(SLOPES, frame, fixed=TRUE_FIXED, random=TRUE_RANDOM, sigma=TRUE_SIGMA, seed=1)
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.columns) == ["g", "x", "y"] and out.index.equals(frame.index)
    assert out["y"].dtype == np.float64 and np.isfinite(out["y"]).all()


def test_same_seed_same_draws_and_generators_are_accepted():
    frame = predictors()
    args = dict(fixed=TRUE_FIXED, random=TRUE_RANDOM, sigma=TRUE_SIGMA)
    a = simulate(SLOPES, frame, seed=5, **args)["y"]
    b = simulate(SLOPES, frame, seed=5, **args)["y"]
    c = simulate(SLOPES, frame, seed=6, **args)["y"]
    d = simulate(SLOPES, frame, seed=np.random.default_rng(5), **args)["y"]
    pd.testing.assert_series_equal(a, b)
    pd.testing.assert_series_equal(a, d)
    assert not np.allclose(a, c)


def test_return_effects_gives_the_drawn_random_effects():
    frame = predictors()
    data, effects = simulate(
        SLOPES, frame, fixed=TRUE_FIXED, random=TRUE_RANDOM, sigma=0.0, seed=4, return_effects=True
    )
    b = effects["g"]
    assert list(b.columns) == ["(Intercept)", "x"] and b.shape == (30, 2)
    u = b.loc[frame["g"].astype(str)].to_numpy()
    expected = 2.0 + u[:, 0] + (-0.5 + u[:, 1]) * frame["x"].to_numpy()
    np.testing.assert_allclose(data["y"], expected)
    same = simulate(SLOPES, frame, fixed=TRUE_FIXED, random=TRUE_RANDOM, sigma=0.0, seed=4)
    pd.testing.assert_frame_equal(same, data)


def test_fits_of_simulated_data_recover_the_truth():
    """200 data sets: mean estimates of β, the covariance of (u0, u1) and σ² match the truth."""
    frame = predictors(groups=30, size=6)
    rng = np.random.default_rng(2024)
    fixed, covs, sigma2 = [], [], []
    for _ in range(200):
        data = simulate_data(SLOPES, frame, fixed=TRUE_FIXED, random=TRUE_RANDOM, sigma=TRUE_SIGMA, seed=rng)
        m = fit_quietly(SLOPES, data)
        fixed.append(m.fixef.to_numpy())
        cov = m.covariance("g").to_numpy()
        covs.append([cov[0, 0], cov[1, 1], cov[0, 1]])
        sigma2.append(m.sigma**2)
    assert within_mc_error(fixed, [2.0, -0.5])
    assert within_mc_error(covs, [1.0, 0.36, -0.4 * 1.0 * 0.6])
    assert within_mc_error(sigma2, TRUE_SIGMA**2)


def test_covariance_matrix_dataframe_and_uncorrelated_terms():
    frame = predictors()
    matrix = [[1.0, -0.2], [-0.2, 0.25]]
    labelled = pd.DataFrame(matrix, index=["(Intercept)", "x"], columns=["(Intercept)", "x"])
    a = simulate(SLOPES, frame, fixed=TRUE_FIXED, random={"g": matrix}, sigma=1.0, seed=3)
    b = simulate(SLOPES, frame, fixed=TRUE_FIXED, random={"g": labelled.iloc[::-1, ::-1]}, sigma=1.0, seed=3)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(MixedModelError, match="uncorrelated in the formula"):
        simulate("y ~ x + (x || g)", frame, fixed=TRUE_FIXED, random={"g": matrix}, sigma=1.0)
    ok = simulate(
        "y ~ x + (x || g)", frame, fixed=TRUE_FIXED, random={"g": {"(Intercept)": 1, "x": 0.5}}, sigma=1.0, seed=3
    )
    assert np.isfinite(ok["y"]).all()


def test_poisson_marginal_mean_is_recovered():
    frame = predictors(groups=400, size=5)
    out = simulate(
        "y ~ x + (1 | g)", frame, fixed={"(Intercept)": 0.5, "x": 0.3}, random={"g": [[0.36]]}, family="poisson", seed=9
    )
    assert out["y"].dtype == np.int64 and (out["y"] >= 0).all()
    expected = np.exp(0.5 + 0.3 * frame["x"] + 0.36 / 2)
    counts = out["y"].to_numpy()
    assert abs(counts.mean() - expected.mean()) < 4 * counts.std() / np.sqrt(len(counts))


def test_binomial_draws_with_and_without_trials():
    frame = predictors(groups=300, size=5).assign(n=lambda d: 1 + np.arange(len(d)) % 6)
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    p_marginal = np.sum(weights * special.expit(-0.3 + 0.8 * nodes)) / np.sqrt(2 * np.pi)
    truth = dict(fixed={"(Intercept)": -0.3, "x": 0.0}, random={"g": {"(Intercept)": 0.8}}, family="binomial")
    ones = simulate("y ~ x + (1 | g)", frame, seed=4, **truth)["y"].to_numpy()
    assert set(np.unique(ones)) <= {0, 1}
    assert abs(ones.mean() - p_marginal) < 4 * np.sqrt(p_marginal * (1 - p_marginal) / len(ones)) * 2
    counts = simulate("y ~ x + (1 | g)", frame, trials="n", seed=4, **truth)["y"].to_numpy()
    assert (counts <= frame["n"]).all() and counts.sum() > 0
    assert abs(counts.sum() / frame["n"].sum() - p_marginal) < 0.03


def test_rows_with_missing_predictors_get_a_missing_response():
    frame = predictors()
    frame.loc[[3, 10], "x"] = np.nan
    with pytest.warns(MixedModelWarning, match="missing values"):
        out = simulate(SLOPES, frame, fixed=TRUE_FIXED, random=TRUE_RANDOM, sigma=1.0, seed=1)
    assert out["y"].isna().sum() == 2 and np.isnan(out.loc[[3, 10], "y"]).all()


def test_existing_response_column_is_replaced_in_the_copy_only():
    frame = predictors().assign(y=7.0)
    out = simulate(SLOPES, frame, fixed=TRUE_FIXED, random=TRUE_RANDOM, sigma=1.0, seed=1)
    assert (frame["y"] == 7.0).all() and not (out["y"] == 7.0).any()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"fixed": {"(Intercept)": 1.0}}, "no value for fixed effect.*'x'"),
        ({"fixed": {**TRUE_FIXED, "slope": 1.0}}, "'slope' is not a column"),
        ({"random": {"h": [[1.0]]}}, "grouping factors are 'g'"),
        ({"random": {}}, "no variance components.*'g'"),
        ({"random": {"g": [[1.0, 2.0], [2.0, 1.0]]}}, "not positive semi-definite"),
        ({"random": {"g": [[1.0]]}}, "must be 2×2"),
        ({"random": {"g": {"(Intercept)": 1.0}}}, "one SD per column"),
        ({"random": {"g": {"(Intercept)": 1.0, "x": 1.0, "corr": 1.5}}}, "in \\[-1, 1\\]"),
        ({"sigma": None}, "needs the residual SD"),
        ({"family": "binomial"}, "sigma applies to Gaussian models only"),
        ({"family": "tweedie"}, "unknown family"),
        ({"seed": 1.5}, "seed must be a whole number"),
    ],
)
def test_from_scratch_errors(changes, message):
    args = {**dict(fixed=TRUE_FIXED, random=TRUE_RANDOM, sigma=1.0, seed=1), **changes}
    with pytest.raises(MixedModelError, match=message):
        simulate(SLOPES, predictors(), **args)


def test_response_must_be_a_column_name():
    with pytest.raises(MixedModelError, match="response must be a column name"):
        simulate("log(y) ~ x + (1 | g)", predictors(), fixed=TRUE_FIXED, random={"g": [[1.0]]}, sigma=1.0)


# --- from a fitted model ------------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    data = simulate(SLOPES, predictors(), fixed=TRUE_FIXED, random=TRUE_RANDOM, sigma=TRUE_SIGMA, seed=11)
    return fit_quietly(SLOPES, data.iloc[5:])


def test_simulate_from_a_model_shape_index_and_seed(fitted):
    sims = simulate(fitted, nsim=3, seed=8)
    assert sims.shape == (fitted.nobs, 3) and list(sims.columns) == ["sim_1", "sim_2", "sim_3"]
    assert sims.index.equals(fitted.design.row_index)
    pd.testing.assert_frame_equal(sims, simulate_responses(fitted, 3, seed=8))
    assert not np.allclose(sims.to_numpy(), simulate(fitted, nsim=3, seed=9).to_numpy())
    with pytest.raises(MixedModelError, match="nsim"):
        simulate(fitted, nsim=0)


def test_model_simulations_have_the_model_mean_and_covariance(fitted):
    sims = simulate(fitted, nsim=4000, seed=3).to_numpy()
    design = fitted.design
    mean = design.X @ fitted.fixef.to_numpy()
    Z = np.asarray(design.terms[0].values)
    tau = fitted.covariance("g").to_numpy()
    rows = [0, 1, 20]  # rows 0 and 1 share a group; row 20 is in another
    cov = np.cov(sims[rows])
    same = Z[0] @ tau @ Z[1]
    total = Z[0] @ tau @ Z[0] + fitted.sigma**2
    sd = np.sqrt(total)
    assert np.all(np.abs(sims.mean(axis=1) - mean) < 4.5 * np.sqrt(np.diag(Z @ tau @ Z.T) + fitted.sigma**2) / 63)
    assert abs(cov[0, 0] - total) < 4 * total * np.sqrt(2 / 4000)
    assert abs(cov[0, 1] - same) < 4 * sd * np.sqrt(Z[1] @ tau @ Z[1] + fitted.sigma**2) / 63
    assert abs(cov[0, 2]) < 4 * sd * np.sqrt(Z[20] @ tau @ Z[20] + fitted.sigma**2) / 63


def test_refits_of_model_simulations_recover_the_model(fitted):
    sims = simulate(fitted, nsim=40, seed=21)
    data = fitted.data.loc[fitted.design.row_index]
    estimates = [fit_quietly(SLOPES, data.assign(y=sims[c])).fixef.to_numpy() for c in sims.columns]
    assert within_mc_error(estimates, fitted.fixef.to_numpy())


class CountModelStub:
    """Just the public surface simulate() reads, for a Poisson model with known values."""

    family = "poisson"
    sigma = 1.0
    link = "log"

    def __init__(self, frame):
        self.design = build_design(parse_formula("y ~ x + (1 | g)"), frame, family="poisson")
        self.fixef = pd.Series([0.2, 0.4], index=list(self.design.fixed_names))

    def covariance(self, group):
        return pd.DataFrame([[0.25]], index=["(Intercept)"], columns=["(Intercept)"])


def test_simulate_from_a_poisson_model():
    frame = predictors(groups=200, size=5).assign(y=0)
    stub = CountModelStub(frame)
    sims = simulate(stub, nsim=50, seed=1).to_numpy()
    assert (sims == np.round(sims)).all() and (sims >= 0).all()
    expected = np.exp(0.2 + 0.4 * frame["x"].to_numpy() + 0.25 / 2).mean()
    per_draw = sims.mean(axis=0)
    assert abs(per_draw.mean() - expected) < 4 * per_draw.std(ddof=1) / np.sqrt(50)


def test_simulate_from_a_binomial_glmm_with_trials():
    cbpp = mw.datasets.load("cbpp")
    m = mw.fit("cbind(incidence, size - incidence) ~ period + (1 | herd)", cbpp, family="binomial")
    sims = simulate(m, nsim=2000, seed=1)
    trials = np.asarray(m.design.weights)
    assert ((sims.to_numpy() >= 0) & (sims.to_numpy() <= trials[:, None])).all()
    expected = m.predict(kind="marginal") * trials  # successes averaged over herds
    mc_se = sims.std(axis=1, ddof=1).to_numpy() / np.sqrt(2000)
    assert np.all(np.abs(sims.mean(axis=1).to_numpy() - expected) < 4.5 * mc_se + 1e-9)
    pd.testing.assert_frame_equal(sims.iloc[:, :3], simulate(m, nsim=3, seed=1))
