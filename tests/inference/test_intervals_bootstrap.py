"""Parametric bootstrap: reproducible by seed whatever the workers, right spread, progress and Ctrl-C."""

from __future__ import annotations

import itertools
import multiprocessing as mp

import numpy as np
import pytest
from intervals_cases import as_array, fitted, reference

from mixedwidgets.errors import MixedModelError
from mixedwidgets.inference.bootstrap import run_draws
from mixedwidgets.inference.confint import draw_task


@pytest.mark.parametrize("name", ["sleepstudy", "cbpp", "fresh_penicillin"])
def test_the_same_seed_gives_the_same_replicates_whatever_the_number_of_workers(name):
    m = fitted(name)
    one = m.bootstrap(nsim=24, seed=7, progress=False, n_jobs=1)
    two = m.bootstrap(nsim=24, seed=7, progress=False, n_jobs=2)
    assert list(one.replicates.columns) == reference(name)["profile"]["names"]
    np.testing.assert_array_equal(one.replicates.to_numpy(), two.replicates.to_numpy())
    other = m.bootstrap(nsim=24, seed=8, progress=False, n_jobs=1)
    assert not np.allclose(one.replicates.to_numpy(), other.replicates.to_numpy())
    assert one.n_failed == 0


def test_bootstrap_spread_of_the_fixed_effects_matches_their_standard_errors():
    m = fitted("sleepstudy")
    boot = m.bootstrap(nsim=200, seed=3, progress=False)
    spread = boot.replicates[list(m.fixef.index)].std()
    np.testing.assert_allclose(spread.to_numpy(), np.sqrt(np.diag(m.vcov)), rtol=0.2)
    centre = boot.replicates.mean()
    assert abs(centre["sigma"] - m.sigma) < 0.05 * m.sigma


def test_interval_kinds_follow_their_definitions():
    boot = fitted("sleepstudy").bootstrap(nsim=60, seed=1, progress=False)
    reps, est = boot.replicates, boot.estimates
    perc, basic, normal = (boot.confint(0.9, kind=k) for k in ("percentile", "basic", "normal"))
    np.testing.assert_allclose(perc.lower, reps.quantile(0.05))
    np.testing.assert_allclose(basic.upper, 2 * est - reps.quantile(0.05))
    np.testing.assert_allclose((normal.lower + normal.upper) / 2, 2 * est - reps.mean())
    with pytest.raises(MixedModelError):
        boot.confint(kind="bca")


def test_confint_boot_is_the_bootstraps_percentile_interval():
    m = fitted("cake")
    a = m.confint("boot", nsim=30, seed=11, level=0.8)
    b = m.bootstrap(nsim=30, seed=11, progress=False).confint(0.8)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    assert list(a.index) == reference("cake")["profile"]["names"]


def test_progress_is_reported_up_to_the_total():
    seen = []
    fitted("sleepstudy").bootstrap(nsim=50, seed=1, progress=lambda done, total: seen.append((done, total)), n_jobs=2)
    assert seen[-1] == (50, 50) and all(b > a for (a, _), (b, _) in itertools.pairwise(seen))


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_ctrl_c_stops_the_workers_and_comes_out(n_jobs):
    task = draw_task(fitted("sleepstudy").design, fitted("sleepstudy").engine_fit)

    def interrupt(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_draws(task, 400, seed=1, n_jobs=n_jobs, progress=interrupt)
    assert mp.active_children() == []


@pytest.mark.parametrize(
    "kwargs", [{"nsim": 0}, {"nsim": 2.5}, {"seed": -1}, {"seed": "a"}, {"n_jobs": 0}, {"progress": "yes"}]
)
def test_bad_bootstrap_arguments_name_the_problem(kwargs):
    with pytest.raises(MixedModelError):
        fitted("sleepstudy").bootstrap(**{"nsim": 5, "progress": False, **kwargs})


@pytest.mark.parametrize("name", ["cake", "sleepstudy", "unbalanced"])
def test_percentile_intervals_of_1000_draws_within_12_percent_of_the_width_of_bootmers(name):
    """One-term models use the batched refits: 1,000 draws take one to three seconds here."""
    m = fitted(name)
    ci = m.confint("boot", nsim=1000, seed=2024)
    ref = reference(name)["boot"]
    width = as_array(ref["upper"]) - as_array(ref["lower"])
    assert np.max(np.abs(ci.lower.to_numpy() - as_array(ref["lower"])) / width) < 0.12
    assert np.max(np.abs(ci.upper.to_numpy() - as_array(ref["upper"])) / width) < 0.12


def test_replicates_of_a_correlated_slope_model_centre_on_its_estimates():
    """Draws use Σ = σ²TT' per level: the bootstrap medians of sd/cor sit near the estimates (they would
    move by 15–25% with T'T)."""
    m = fitted("unbalanced")
    boot = m.bootstrap(nsim=200, seed=4, progress=False)
    median, est = boot.replicates.median(), boot.estimates
    for name in ("sd_(Intercept)|g", "sd_x|g", "sigma"):
        assert abs(median[name] / est[name] - 1) < 0.08, name
    assert abs(median["cor_x.(Intercept)|g"] - est["cor_x.(Intercept)|g"]) < 0.08
