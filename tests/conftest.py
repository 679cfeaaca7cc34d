"""Fixtures shared across the test tree: the sleepstudy data and its random-slope fit.

Session-scoped: a test must never modify them (the library never modifies a caller's data, and
tests/fitting/test_robust_safety.py checks that).
"""

from __future__ import annotations

import pandas as pd
import pytest

import mixedwidgets as mw

SLEEP_SLOPES = "Reaction ~ Days + (Days | Subject)"


@pytest.fixture(scope="session")
def sleep() -> pd.DataFrame:
    """lme4's sleepstudy (180 rows, 18 subjects)."""
    return mw.datasets.load("sleepstudy")


@pytest.fixture(scope="session")
def sleep_fit(sleep):
    """`Reaction ~ Days + (Days | Subject)` fitted by REML, as lmer does by default."""
    return mw.fit(SLEEP_SLOPES, sleep)


@pytest.fixture(scope="module")
def dask_client():
    """A LocalCluster of two worker processes (loopback only) for the tests in tests/distributed/; per
    module, so that its processes are gone before other tests (which check for stray children) run."""
    import warnings

    distributed = pytest.importorskip("dask.distributed")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        )
        with cluster, distributed.Client(cluster) as client:
            yield client
