"""Several pool processes in one worker share the host's cores: each limits its BLAS threads
to cores ÷ concurrency, unless the operator set a thread count."""

from __future__ import annotations

import os

from mlpforge.redis_server import RedisServer
from tests.processes import start_worker, wait_until
from worker.blas_threads import threads_per_process


def test_the_cores_are_shared_unless_the_operator_chose() -> None:
    assert threads_per_process(8, 1, {}) is None  # one process: all the cores, as OpenBLAS does
    assert threads_per_process(8, 2, {}) == 4
    assert threads_per_process(8, 3, {}) == 2
    assert threads_per_process(2, 4, {}) == 1  # never zero
    assert threads_per_process(8, 2, {"OPENBLAS_NUM_THREADS": "8"}) is None
    assert threads_per_process(8, 2, {"OMP_NUM_THREADS": "3"}) is None
    assert threads_per_process(8, 2, {"MKL_NUM_THREADS": "1"}) is None
    assert threads_per_process(8, 2, {"OPENBLAS_NUM_THREADS": ""}) == 4  # empty: unset


def test_a_worker_with_two_pool_processes_limits_each(isolated_redis: RedisServer) -> None:
    """A real worker, --concurrency 2, no thread count in its environment: both pool
    processes say they limited BLAS, and to cores ÷ 2 threads."""
    cores = len(os.sched_getaffinity(0))
    expected = max(1, cores // 2)
    worker = start_worker(
        isolated_redis.url, name="blas", concurrency=2, OPENBLAS_NUM_THREADS="", OMP_NUM_THREADS=""
    )
    try:
        line = f"BLAS limited to {expected} thread(s) in this pool process (2 at once)"
        wait_until(lambda: worker.log().count(line) == 2, 30, "both pool processes' BLAS limit")
    finally:
        worker.stop()
