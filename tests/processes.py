"""Real processes for the tests: a Celery worker and a uvicorn server, started and stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import redis

from mlpforge.redis_server import free_port
from store.workers import live as live_workers

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".run" / "test-logs"


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class Process:
    """A child process whose output goes to a log file under .run/test-logs/."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = LOGS / f"{name}-{os.getpid()}-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so a kill reaches the whole process group
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive():
            os.killpg(self.popen.pid, sig)
            self.popen.wait(timeout=30)

    def stop(self) -> None:
        if self.alive():
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        self._log.close()


def start_worker(
    redis_url: str, *, queues: str = "cpu", name: str = "worker", concurrency: int = 1, **env: str
) -> Process:
    hostname = f"{name}-{time.monotonic_ns()}@test"
    proc = Process(
        name,
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "worker.celery_app:app",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(concurrency),
            "-Q",
            queues,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            hostname,
        ],
        # One BLAS thread per test worker: several workers share this machine's two cores,
        # and oversubscribed OpenBLAS threads slow every one of them down many times over.
        {"MLPFORGE_REDIS_URL": redis_url, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
         **env},
    )
    client = redis.Redis.from_url(redis_url)

    def beating() -> bool:  # the worker's entry in the heartbeat set (store.workers)
        return any(worker.hostname == hostname for worker in live_workers(client))

    try:
        wait_until(lambda: beating() or not proc.alive(), 60, "the Celery worker's heartbeat")
    except TimeoutError:
        proc.stop()
        raise
    if not proc.alive():
        raise RuntimeError(f"worker exited early:\n{proc.log()}")
    return proc


def start_api(
    redis_url: str, *, name: str = "api", workers: int = 1, **env: str
) -> tuple[Process, str]:
    """uvicorn as `make api` starts it, on a free port; returns once /healthz answers."""
    port = free_port()
    proc = Process(
        name,
        [sys.executable, "-m", "uvicorn", "service.main:app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--no-access-log"],
        {"MLPFORGE_REDIS_URL": redis_url, **env},
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if not proc.alive():
            raise RuntimeError(f"API exited early:\n{proc.log()}")
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(healthy, 60, "the API's /healthz")
    return proc, base
