"""Fits run with one BLAS thread and give the caller's setting back afterwards."""

from __future__ import annotations

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
