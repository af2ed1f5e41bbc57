"""Real processes for the benchmarks: Redis, a uvicorn API, Celery workers, and their memory.

Processes are started the way `tests/processes.py` starts them (its helpers are reused) and
stopped when the `Stack` closes. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from types import TracebackType

import httpx

from bench.reference import blas_threads
from mlpforge.redis_server import RedisServer
from tests.processes import Process, start_worker
from tests.processes import start_api as start_test_api

BENCH_DB = 13
API_KEY = "bench-key-0123456789"
TENANT = "bench"
# Rate limiting stays on (each request pays its Redis round trip), but never refuses the bench.
API_ENV = {
    "MLPFORGE_API_KEYS": f"{TENANT}:{API_KEY}",
    "MLPFORGE_RATE_LIMIT_PER_SECOND": "1000000",
    "MLPFORGE_RATE_LIMIT_BURST": "1000000",
    "MLPFORGE_MAX_ACTIVE_JOBS": "100000",
}
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def worker_env() -> dict[str, str]:
    """The BLAS threads a worker gets from `make worker` on this machine (tests/processes.py
    pins its test workers to one), so that it trains like `engine.fit` and PyTorch do here."""
    threads = str(blas_threads())
    return {"OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}


def add_worker(redis_url: str, name: str) -> Process:
    return start_worker(redis_url, name=name, **worker_env())


def bench_redis_url() -> tuple[str, RedisServer | None]:
    """The Redis to measure against: a private redis-server started here (the second item, to
    be closed), or — only when given explicitly with MLPFORGE_BENCH_REDIS — the user's, of
    which database 13 is used. Nothing is ever flushed: a private server starts empty."""
    explicit = os.environ.get("MLPFORGE_BENCH_REDIS")
    if explicit:
        return f"{explicit.rstrip('/')}/{BENCH_DB}", None
    server = RedisServer().start()
    return server.url, server


def start_api(redis_url: str, *, workers: int = 1, **env: str) -> tuple[Process, str]:
    """uvicorn as `make api` starts it (uvloop and httptools, no access log)."""
    return start_test_api(redis_url, name="bench-api", workers=workers, **{**API_ENV, **env})


class Stack:
    """Redis + one API + N workers; `with Stack(...) as stack:` stops all of them at the end."""

    def __init__(self, redis_url: str, *, n_workers: int = 1, api_workers: int = 1) -> None:
        self.redis_url = redis_url
        self.workers: list[Process] = []
        self.api: Process | None = None
        try:
            for index in range(n_workers):
                self.workers.append(add_worker(redis_url, f"bench-worker-{index}"))
            self.api, self.base = start_api(redis_url, workers=api_workers)
        except BaseException:
            self.close()
            raise

    def client(self, timeout: float = 120) -> httpx.Client:
        return httpx.Client(base_url=self.base, headers=AUTH, timeout=timeout)

    def close(self) -> None:
        for proc in [*self.workers, *([self.api] if self.api else [])]:
            with suppress(Exception):
                proc.stop()

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


# ---- memory, from /proc ------------------------------------------------------------------


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def rss_mb(pid: int) -> float:
    return _status_kib(pid, "VmRSS") / 1024


def peak_rss_mb(pid: int) -> float:
    """The high-water mark of resident memory (since start, or since `reset_peak_rss`)."""
    return _status_kib(pid, "VmHWM") / 1024


def reset_peak_rss(pid: int) -> bool:
    """Restart VmHWM from the current RSS (Linux ≥ 4.0, own processes); False if refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, ValueError, IndexError):
            # The command name may hold spaces and parentheses: the ppid follows the last ')'.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return sorted(found)


def pool_process(worker: Process) -> int:
    """The Celery prefork child that runs the tasks (the worker's main process if none)."""
    kids = children(worker.pid)
    return kids[0] if kids else worker.pid


def bench_arguments(
    doc: str, names: Sequence[str], argv: list[str], *, profile: bool = False
) -> tuple[argparse.Namespace, list[str]]:
    """The flags every benchmark script takes (--quick, --json, --only; --profile where it
    profiles), and the benchmarks --only chose, in their own order."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs, for development")
    parser.add_argument("--json", type=Path, help="write the figures here")
    listed = ",".join(names)
    parser.add_argument("--only", default=listed, help=f"comma-separated: {listed}")
    if profile:
        parser.add_argument("--profile", action="store_true",
                            help="print cProfile of the JSON and CSV parse functions (ingest)")
    args = parser.parse_args(argv)
    chosen = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = chosen - set(names)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    return args, [name for name in names if name in chosen]
