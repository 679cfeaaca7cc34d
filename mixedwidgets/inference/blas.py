"""One BLAS thread for the small dense algebra of inference, without re-scanning the loaded libraries.

`threadpoolctl.threadpool_limits` inspects every loaded library on each call (about 12 ms here, more than
Satterthwaite's whole computation for sleepstudy); a controller made once limits threads in microseconds.
Two OpenBLAS threads on tiny matrices were measured 100x slower on this 2-core machine (see backend/threads).
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache

from threadpoolctl import ThreadpoolController


@lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


@contextmanager
def one_blas_thread():
    with _controller().limit(limits=1, user_api="blas"):
        yield
