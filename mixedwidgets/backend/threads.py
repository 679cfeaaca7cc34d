"""BLAS threads during a fit.

The engine's dense work is many small-to-medium factorizations (a 1,000 × 1,000 Cholesky per
evaluation at most). Measured here on 2 cores with OpenBLAS, an InstEval-sized fit took 1.0 s with one
BLAS thread against 1.7–12 s with two, and 43 s with two when another process kept a core busy: the
threads spin waiting for each other. So fits run with one BLAS thread; the caller's setting is restored
afterwards.

Finding the BLAS libraries (threadpoolctl reads the process's memory map) costs 2–10 ms, more than a
small fit: it is done once per process, when the first fit runs (numpy and scipy are loaded by then).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from threadpoolctl import ThreadpoolController


@lru_cache(maxsize=1)
def blas_controller() -> ThreadpoolController:
    """The BLAS thread pools of this process, found once."""
    return ThreadpoolController().select(user_api="blas")


@contextmanager
def single_blas_thread() -> Iterator[None]:
    controller = blas_controller()
    if all(pool.num_threads == 1 for pool in controller.lib_controllers):
        yield
        return
    with controller.limit(limits=1):
        yield
