"""Fits run with one BLAS thread and give the caller's setting back afterwards."""

from __future__ import annotations

import os

from threadpoolctl import threadpool_info, threadpool_limits

from mixedwidgets.backend.threads import single_blas_thread


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_one_thread_inside_and_the_callers_setting_after():
    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        with single_blas_thread():
            assert blas_threads() and set(blas_threads()) == {1}
        assert blas_threads() == before


def test_nothing_to_do_when_blas_already_runs_one_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        with single_blas_thread():
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {1}


def test_a_large_cholesky_uses_the_idle_cores_only_inside_a_fit(monkeypatch):
    from mixedwidgets.backend import threads

    big = threads.PARALLEL_CHOLESKY_FROM
    assert threads.cholesky_threads(big) == 1  # outside a fit: the caller's setting is left alone
    monkeypatch.setattr(threads, "free_cores", lambda: 2)
    with threadpool_limits(limits=2, user_api="blas"):
        with single_blas_thread():
            assert threads.cholesky_threads(big - 1) == 1  # small: one thread
            assert threads.cholesky_threads(big) == 2
            monkeypatch.setattr(threads, "free_cores", lambda: 1)  # another process keeps a core busy
            assert threads.cholesky_threads(big) == 1
    monkeypatch.setattr(threads, "free_cores", lambda: 2)
    with threadpool_limits(limits=1, user_api="blas"):  # the caller asked for one thread: kept
        with single_blas_thread():
            assert threads.cholesky_threads(big) == 1


def test_free_cores_counts_what_other_processes_leave():
    from mixedwidgets.backend import threads

    cores = threads.free_cores()
    assert 0 <= cores <= (os.cpu_count() or 1)


def test_a_nested_fit_keeps_the_outer_callers_setting(monkeypatch):
    from mixedwidgets.backend import threads

    monkeypatch.setattr(threads, "free_cores", lambda: 2)
    with threadpool_limits(limits=2, user_api="blas"):
        with single_blas_thread():
            with single_blas_thread():  # e.g. a refit inside a profile: BLAS already on one thread here
                assert threads.cholesky_threads(threads.PARALLEL_CHOLESKY_FROM) == 2
            assert set(blas_threads()) == {1}
        assert blas_threads() == [2] * len(blas_threads())


def test_a_judgement_stands_until_its_window_is_long_enough(monkeypatch):
    """/proc/stat counts in 10 ms ticks: the other processes' load is judged over ≥ MIN_SAMPLE_SECONDS."""
    from mixedwidgets.backend import threads

    monkeypatch.setattr(threads.os, "cpu_count", lambda: 2)
    samples = iter(
        [
            (0.30, 0.60, 0.30),  # 0.3 s after the fit's start: others used 0.3 CPU s, i.e. one busy core
            (0.35, 0.65, 0.35),  # 50 ms later (too short a window): the last judgement stands
            (0.60, 0.85, 0.55),  # 0.3 s after the last judgement: nobody else busy any more
        ]
    )
    monkeypatch.setattr(threads, "_cpu_sample", lambda: next(samples))
    monkeypatch.setitem(threads._state, "last_sample", (0.0, 0.0, 0.0))
    monkeypatch.setitem(threads._state, "last_free", None)
    assert threads.free_cores() == 1
    assert threads.free_cores() == 1  # the window (0.30 → 0.35 s) was too short to judge again
    assert threads._state["last_sample"] == (0.30, 0.60, 0.30)  # and it keeps growing from its start
    assert threads.free_cores() == 2  # 0.30 → 0.60 s: others 0.25 − 0.25 = 0 CPU s
