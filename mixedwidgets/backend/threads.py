"""BLAS threads during a fit.

The engine's dense work is many small-to-medium factorizations (a 1,000 × 1,000 Cholesky per
evaluation at most). Measured here on 2 cores with OpenBLAS, an InstEval-sized fit took 1.0 s with one
BLAS thread against 1.7–12 s with two, and 43 s with two when another process kept a core busy: the
threads spin waiting for each other. So fits run with one BLAS thread; the caller's setting is restored
afterwards.
"""

from __future__ import annotations

from contextlib import contextmanager

from threadpoolctl import threadpool_limits


@contextmanager
def single_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield
