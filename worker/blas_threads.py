"""BLAS threads per training process, when one worker runs several at once.

OpenBLAS starts one thread per core in every process. A worker with
``MLPFORGE_WORKER_CONCURRENCY`` = N runs N pool processes, each with a thread per core: on 2
cores, two processes ran four busy-waiting BLAS threads and trained at 0.25–0.49× one
process's speed, against 1.86× with one thread each (bench/RESULTS.md, "Bigger data"). So
each pool process limits its BLAS to cores ÷ N threads — unless the operator chose a count
(``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` set), which always wins.
Several worker processes on one host cannot see each other: there, set those variables.

threadpoolctl (maintained by scikit-learn's developers, already a dependency of it) sets the
limit in a running process; the environment variables only act before numpy is imported,
which in a pool process has already happened.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)

OPERATOR_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def threads_per_process(cores: int, concurrency: int, env: Mapping[str, str]) -> int | None:
    """The BLAS threads each of ``concurrency`` training processes should use; None: leave
    BLAS as it is (one process, or the operator said)."""
    if concurrency <= 1 or any(env.get(name) for name in OPERATOR_VARIABLES):
        return None
    return max(1, cores // concurrency)


def limit_blas_threads(concurrency: int) -> int | None:
    """In a pool process: apply :func:`threads_per_process` for this host; the limit set, or
    None when none was."""
    threads = threads_per_process(len(os.sched_getaffinity(0)), concurrency, os.environ)
    if threads is not None:
        threadpool_limits(limits=threads, user_api="blas")
        log.info("BLAS limited to %d thread(s) in this pool process (%d at once)",
                 threads, concurrency)  # fmt: skip
    return threads
