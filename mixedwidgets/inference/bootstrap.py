"""Parametric bootstrap (lme4's bootMer): many independent draws, on every core, reproducible by seed.

Draw k uses its own generator from `SeedSequence(seed).spawn(nsim)[k]`, so the replicates are the same
whatever the number of workers or the order in which chunks finish. Workers are forked processes (the
engine is Python-bound on small matrices, so threads would wait on the GIL); each receives the task once
and then chunks of draw numbers. `progress(done, total)` is called in the caller's process as chunks
come back; Ctrl-C terminates the workers and is re-raised.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..backend.threads import single_blas_thread
from ..errors import MixedModelError

#: draws per chunk handed to a worker (small enough for live progress, large enough to amortize); fixed,
#: not derived from the number of workers, so that batched refits see the same batches whatever n_jobs
CHUNK = 10
BATCH_CHUNK = 50

_TASK: dict[str, object] = {}


def _start_worker(task) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and terminates us
    _TASK["task"] = task


def _run_chunk(task, draws: list[int], seeds: list[np.random.SeedSequence]) -> tuple[list[int], np.ndarray]:
    with single_blas_thread():
        rngs = [np.random.default_rng(seed) for seed in seeds]
        if hasattr(task, "draw_batch"):
            return draws, np.asarray(task.draw_batch(rngs))
        return draws, np.array([task.draw(rng) for rng in rngs])


def _worker_chunk(job) -> tuple[list[int], np.ndarray]:
    return _run_chunk(_TASK["task"], *job)


def resolve_jobs(n_jobs: int | None) -> int:
    """-1 (or None) means every core; otherwise a whole number ≥ 1."""
    if n_jobs is None or n_jobs == -1:
        return max(1, os.cpu_count() or 1)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs < 1:
        raise MixedModelError(f"n_jobs must be -1 (every core) or a whole number ≥ 1, not {n_jobs!r}")
    return int(n_jobs)


def check_nsim(nsim) -> int:
    if isinstance(nsim, bool) or not isinstance(nsim, (int, np.integer)) or nsim < 1:
        raise MixedModelError(f"nsim must be a whole number ≥ 1, not {nsim!r}")
    return int(nsim)


def draw_seeds(seed, nsim: int) -> list[np.random.SeedSequence]:
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise MixedModelError(f"seed must be a whole number ≥ 0 or None, not {seed!r}")
    return np.random.SeedSequence(seed).spawn(nsim)


def run_draws(
    task, nsim: int, seed, n_jobs: int = -1, progress: Callable[[int, int], None] | None = None
) -> np.ndarray:
    """(nsim, columns): task.draw(rng) for each draw's own generator, in draw order."""
    seeds = draw_seeds(seed, nsim)
    jobs = resolve_jobs(n_jobs)
    size = BATCH_CHUNK if hasattr(task, "draw_batch") else CHUNK
    chunks = [(list(range(s, min(s + size, nsim))), seeds[s : s + size]) for s in range(0, nsim, size)]
    out = np.full((nsim, len(task.names)), np.nan)
    done = 0
    for draws, rows in _chunk_results(task, chunks, jobs):
        out[draws] = rows
        done += len(draws)
        if progress is not None:
            progress(done, nsim)
    return out


def _chunk_results(task, chunks, jobs):
    if jobs == 1 or len(chunks) == 1 or "fork" not in mp.get_all_start_methods():
        for draws, seeds in chunks:
            yield _run_chunk(task, draws, seeds)
        return
    pool = mp.get_context("fork").Pool(min(jobs, len(chunks)), initializer=_start_worker, initargs=(task,))
    try:
        yield from pool.imap_unordered(_worker_chunk, chunks)
        pool.close()
    except BaseException:  # Ctrl-C or an error in a draw: stop every worker now
        pool.terminate()
        raise
    finally:
        pool.join()


class TextProgress:
    """`bootstrap: 120/1000 refits, 3.1 s` on one line of stderr, rewritten at most every 0.2 s."""

    def __init__(self, label: str = "bootstrap", stream=None):
        self.label, self.stream = label, stream or sys.stderr
        self.start = time.perf_counter()
        self.shown = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - self.shown < 0.2:
            return
        self.shown = now
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{self.label}: {done}/{total} refits, {now - self.start:.1f} s{end}")
        self.stream.flush()


def progress_callback(progress, label: str = "bootstrap") -> Callable[[int, int], None] | None:
    if progress is True:
        return TextProgress(label)
    if progress is False or progress is None:
        return None
    if callable(progress):
        return progress
    raise MixedModelError(f"progress must be True, False or a function progress(done, total), not {progress!r}")


@dataclass(frozen=True)
class BootstrapResult:
    """The replicates of a parametric bootstrap (one row per draw) and the estimates they scatter around."""

    replicates: pd.DataFrame
    estimates: pd.Series
    seed: int | None

    @property
    def nsim(self) -> int:
        return len(self.replicates)

    @property
    def n_failed(self) -> int:
        """Draws whose refit failed (rows of NaN; left out of the intervals)."""
        return int(self.replicates.isna().all(axis=1).sum())

    def confint(self, level: float = 0.95, kind: str = "percentile") -> pd.DataFrame:
        """Intervals from the replicates: percentile, basic (2θ̂ − quantiles) or normal (bias-corrected)."""
        check_level(level)
        reps, est = self.replicates, self.estimates
        alpha = (1.0 - level) / 2.0
        if kind == "percentile":
            lower, upper = reps.quantile(alpha), reps.quantile(1.0 - alpha)
        elif kind == "basic":
            lower, upper = 2 * est - reps.quantile(1.0 - alpha), 2 * est - reps.quantile(alpha)
        elif kind == "normal":
            z, centre = stats.norm.ppf(1.0 - alpha), 2 * est - reps.mean()
            lower, upper = centre - z * reps.std(), centre + z * reps.std()
        else:
            raise MixedModelError(f"kind must be 'percentile', 'basic' or 'normal', not {kind!r}")
        return pd.DataFrame({"lower": lower, "upper": upper}, index=reps.columns)

    def __repr__(self) -> str:
        return f"BootstrapResult(nsim={self.nsim}, failed={self.n_failed}, seed={self.seed})\n{self.confint()}"


def check_level(level) -> None:
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)) or not 0 < level < 1:
        raise MixedModelError(f"level must be a number between 0 and 1, not {level!r}")


def bootstrap(task, nsim: int = 1000, seed=None, progress=True, n_jobs: int = -1) -> BootstrapResult:
    """Run a parametric bootstrap of `task` (an LmmDrawTask or GlmmDrawTask)."""
    nsim = check_nsim(nsim)
    rows = run_draws(task, nsim, seed, n_jobs, progress_callback(progress))
    names = task.names
    return BootstrapResult(
        pd.DataFrame(rows, columns=names, index=pd.RangeIndex(1, nsim + 1, name="draw")),
        pd.Series(task.estimates(), index=names, name="estimate"),
        seed,
    )
