"""BLAS threads during a fit.

The engine's dense work is mostly many small-to-medium factorizations. Measured here on 2 cores with
OpenBLAS, an InstEval-sized fit took 1.0 s with one BLAS thread against 1.7–12 s with two, and 43 s
with two when another process kept a core busy: the threads spin waiting for each other. So fits run
with one BLAS thread; the caller's setting is restored afterwards.

The exception is the dense Cholesky factorization of a large crossed tail (m³/3 flops, seconds per
evaluation): from PARALLEL_CHOLESKY_FROM on it runs on as many threads as there are cores that
other processes leave idle (never more than the caller's BLAS setting). How busy the other
processes are is read from /proc/stat (all CPU time) less this process's own CPU time, over the time
since the last large factorization; where /proc/stat does not exist the one thread is kept. With a
core busy elsewhere two threads were 2–5 times slower than one here (a 5,000 × 5,000 Cholesky: 1.5 s
on one thread, 2.5–9 s on two), which is why the check is needed.

Finding the BLAS libraries (threadpoolctl reads the process's memory map) costs 2–10 ms, more than a
small fit: it is done once per process, when the first fit runs (numpy and scipy are loaded by then).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from threadpoolctl import ThreadpoolController

#: dense Cholesky factorizations of at least this order may use several BLAS threads. Measured on the
#: 2 idle cores here (OpenBLAS 0.3.31, medians of 7): two threads against one 0.40× at m = 800, 1.17×
#: at 1,200, 1.37× at 1,600, 1.49× at 2,000, 1.66× at 3,000 (AVX-512 kernels; Haswell's: 1.17, 1.38,
#: 1.55, 1.73, 1.70). Below this order the threads' start-up and synchronisation eat the gain.
PARALLEL_CHOLESKY_FROM = 1500
#: how busy the other processes are is judged over at least this long a window (/proc/stat counts
#: CPU time in clock ticks of 10 ms: over one evaluation of ~30 ms the estimate could be off by a core)
MIN_SAMPLE_SECONDS = 0.25
#: a core counts as idle when the other processes leave at least this fraction of it unused
IDLE_FRACTION = 0.75

_state: dict = {"callers_threads": None, "last_sample": None, "last_free": None}


@lru_cache(maxsize=1)
def blas_controller() -> ThreadpoolController:
    """The BLAS thread pools of this process, found once."""
    return ThreadpoolController().select(user_api="blas")


@contextmanager
def single_blas_thread(random_effects: int | None = None) -> Iterator[None]:
    """One BLAS thread inside; with the model's number of random effects (the largest a tail can be),
    the CPU sample for a parallel Cholesky is skipped where no tail can reach PARALLEL_CHOLESKY_FROM."""
    pools = blas_controller().lib_controllers
    before = [pool.num_threads for pool in pools]
    callers = max(before, default=1)
    outer = _state["callers_threads"]
    _state["callers_threads"] = callers if outer is None else outer  # nested: the outermost caller's
    large = random_effects is None or random_effects >= PARALLEL_CHOLESKY_FROM
    if outer is None and callers > 1 and large:
        _state["last_sample"] = _cpu_sample()  # the set-up's time then tells how busy the others are
        _state["last_free"] = None
    try:
        # each library set directly and restored (threadpoolctl's limit() does the same, with a
        # re-inspection of every library that costs ~25 µs: a tenth of a sleepstudy fit)
        for pool, threads in zip(pools, before):
            if threads != 1:
                pool.set_num_threads(1)
        yield
    finally:
        for pool, threads in zip(pools, before):
            if threads != 1:
                pool.set_num_threads(threads)
        _state["callers_threads"] = outer


def _cpu_sample() -> tuple[float, float, float] | None:
    """(wall time, busy CPU seconds of the whole machine, CPU seconds of this process), None off Linux."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    busy = (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # user..steal; guest is inside user
    times = os.times()
    return time.perf_counter(), busy, times.user + times.system


def free_cores() -> int:
    """Cores the other processes have left idle since the fit started or since the last judgement (a
    0.1 s look when there is no earlier sample), this process's own core included; 0 when unknown. A
    judgement stands until its window is MIN_SAMPLE_SECONDS long."""
    cores = os.cpu_count() or 1
    last = _state["last_sample"]
    if last is None:
        last = _cpu_sample()
        if last is None:
            return 0
        time.sleep(0.1)
    now = _cpu_sample()
    if now is None or now[0] <= last[0]:
        _state["last_sample"] = now
        return 0
    if _state["last_free"] is not None and now[0] - last[0] < MIN_SAMPLE_SECONDS:
        return _state["last_free"]  # the window is still short: the last judgement stands, the window grows
    _state["last_sample"] = now
    others = max((now[1] - last[1]) - (now[2] - last[2]), 0.0) / (now[0] - last[0])
    free = int(max(cores - others + (1 - IDLE_FRACTION), 0.0))
    _state["last_free"] = free
    return free


def cholesky_threads(m: int) -> int:
    """BLAS threads for a dense Cholesky of order m during a fit: one, or the idle cores for large m."""
    callers = _state["callers_threads"]
    if m < PARALLEL_CHOLESKY_FROM or callers is None or callers == 1:
        return 1
    return max(1, min(callers, free_cores()))


@contextmanager
def blas_threads(count: int) -> Iterator[None]:
    """BLAS limited to `count` threads inside (nothing is changed for one thread inside a fit)."""
    if count == 1:
        yield
        return
    with blas_controller().limit(limits=count):
        yield
