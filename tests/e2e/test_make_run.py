"""`make run` itself, as people start it: it supervises its children instead of cascading.

A worker killed with SIGKILL (its pool process, as the OOM killer would pick it, then the
worker's main process) is restarted with a logged backoff while the API keeps answering; the
job it held resumes and finishes with each epoch once. SIGTERM, or a Ctrl-C at the terminal,
stops every process `make run` started.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import pytest

from mlpforge.redis_server import RedisServer
from tests.e2e.helpers import submit, wait_for
from tests.processes import ROOT, free_port, wait_until

pytestmark = pytest.mark.slow

PARAMS = {
    "hidden_layer_sizes": [256, 128],
    "batch_size": 32,
    "max_iter": 24,
    "n_iter_no_change": 1000,
    "random_state": 7,
}


def _ppid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def descendants(pid: int) -> set[int]:
    parents = {int(p.name): _ppid(int(p.name)) for p in Path("/proc").glob("[0-9]*")}
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@dataclass
class MakeRun:
    """`make run` in a session of its own, its output in a log file."""

    popen: subprocess.Popen[bytes]
    log_path: Path
    base: str
    health_failures: list[str] = field(default_factory=list)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pids_of(self, child: str) -> list[int]:
        return [int(p) for p in re.findall(rf"mlpforge: {child} started \(pid (\d+)\)", self.log())]


@pytest.fixture
def make_run(tmp_path: Path, isolated_redis: RedisServer) -> Iterator[MakeRun]:
    port = free_port()
    log_path = tmp_path / "make-run.log"
    env = {
        **os.environ,
        "MLPFORGE_REDIS_URL": isolated_redis.url,
        "PORT": str(port),
        "MLPFORGE_LEASE_SECS": "3",
        "OPENBLAS_NUM_THREADS": "1",
    }
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            ["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    run = MakeRun(popen, log_path, f"http://127.0.0.1:{port}")
    try:
        wait_until(lambda: _healthy(run.base), 90, "make run's API")
        wait_until(lambda: _live_workers(run.base) == 1, 60, "make run's worker")
        yield run
    finally:
        everything = descendants(popen.pid) | {popen.pid}
        with suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=40)
        for pid in everything:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _live_workers(base: str) -> int:
    answer = httpx.get(f"{base}/readyz", timeout=2)
    return int(answer.json().get("workers", 0)) if answer.status_code == 200 else 0


def _watch_health(run: MakeRun, stop: threading.Event) -> None:
    """Ask /healthz every 50 ms; note every answer that is not a quick 200."""
    with httpx.Client(base_url=run.base, timeout=2) as client:
        while not stop.is_set():
            began = time.monotonic()
            try:
                status = client.get("/healthz").status_code
            except httpx.HTTPError as error:
                run.health_failures.append(f"{type(error).__name__}: {error}")
            else:
                if status != 200 or time.monotonic() - began > 1.0:
                    run.health_failures.append(f"{status} in {time.monotonic() - began:.2f} s")
            stop.wait(0.05)


def _stop_and_check(run: MakeRun, sig: int, *, group: bool) -> None:
    everything = descendants(run.popen.pid)
    assert len(everything) >= 4, everything  # launcher, worker (+ its pool process), API
    if group:  # a Ctrl-C at the terminal: SIGINT to the foreground process group
        os.killpg(run.popen.pid, sig)
    else:
        run.popen.send_signal(sig)
    run.popen.wait(timeout=40)
    wait_until(lambda: not any(alive(pid) for pid in everything), 10, "every child to stop")


def test_a_killed_worker_is_restarted_while_the_api_stays_up(make_run: MakeRun) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(3000, 30)).round(3)
    y = (X[:, :3].sum(axis=1) > 0).astype(int)
    stop_watching = threading.Event()
    watcher = threading.Thread(target=_watch_health, args=(make_run, stop_watching))
    watcher.start()
    try:
        with httpx.Client(base_url=make_run.base, timeout=30) as client:
            data = {"features": X.tolist(), "targets": y.tolist()}
            answer = client.post("/v1/datasets", json=data)
            assert answer.status_code == 201, answer.text
            job = submit(client, answer.json()["id"], params=PARAMS)
            progressed = lambda n: client.get(f"/v1/jobs/{job['id']}").json()["epoch"] >= n  # noqa: E731

            # 1. The OOM killer's choice: the pool process that trains, not the worker itself.
            wait_until(lambda: progressed(2), 120, "two epochs")
            (worker_pid,) = make_run.pids_of("worker")
            (pool_pid,) = descendants(worker_pid)
            os.kill(pool_pid, signal.SIGKILL)
            killed_at = client.get(f"/v1/jobs/{job['id']}").json()["epoch"]
            wait_until(lambda: progressed(killed_at + 2), 60, "the job to resume after an OOM kill")

            # 2. The worker's main process: the launcher notices, logs, restarts it.
            os.kill(worker_pid, signal.SIGKILL)
            wait_until(lambda: len(make_run.pids_of("worker")) == 2, 30, "the worker's restart")
            assert re.search(
                r"worker \(pid \d+\) killed by SIGKILL after [\d.]+ s; restarting it in 1 s "
                r"\(restart #1\)",
                make_run.log(),
            ), make_run.log()[-3000:]
            assert not alive(pool_pid)  # the orphaned pool process went with its parent

            done = wait_for(client, job["id"], timeout=180)
            assert done["status"] == "succeeded", done
            history = client.get(f"/v1/jobs/{job['id']}/metrics").json()["history"]
            assert [h["epoch"] for h in history] == list(range(1, len(history) + 1))
            assert client.get("/readyz").json()["workers"] == 1
    finally:
        stop_watching.set()
        watcher.join()
    assert make_run.health_failures == []
    assert len(make_run.pids_of("api")) == 1  # never restarted: it never went down

    _stop_and_check(make_run, signal.SIGTERM, group=False)
    assert "SIGTERM received: stopping" in make_run.log()


def test_ctrl_c_stops_everything_make_run_started(make_run: MakeRun) -> None:
    _stop_and_check(make_run, signal.SIGINT, group=True)
    assert "SIGINT received: stopping" in make_run.log()
    assert "worker stopped" in make_run.log() and "api stopped" in make_run.log()


def test_with_no_redis_answering_a_private_one_starts_in_a_fresh_checkout(
    tmp_path: Path,
) -> None:
    """What a fresh clone does when nothing answers at MLPFORGE_REDIS_URL: the launcher starts
    a private redis-server with its files under .run/redis (created, as a new checkout has no
    .run), says so, serves, and stops it on SIGTERM. Run from an empty folder, so that .run is
    this test's own."""
    port, redis_port = free_port(), free_port()
    log_path = tmp_path / "api.log"
    env = {**os.environ, "MLPFORGE_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
           "PORT": str(port)}  # fmt: skip
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            [str(ROOT / ".venv/bin/python"), "-m", "mlpforge.launcher", "api"],
            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        def up() -> bool:
            if popen.poll() is not None:
                raise AssertionError(f"the launcher exited:\n{log_path.read_text()}")
            return _healthy(base)

        wait_until(up, 90, "the launcher's API")
        text = log_path.read_text()
        assert "starting a private one" in text and "started by mlpforge" in text, text
        ready = httpx.get(f"{base}/readyz", timeout=5).json()
        assert ready["redis"] == "ok", ready
        assert (tmp_path / ".run" / "redis" / "redis.log").exists()
        everything = descendants(popen.pid)
        popen.send_signal(signal.SIGTERM)
        popen.wait(timeout=40)
        wait_until(lambda: not any(alive(pid) for pid in everything), 10, "every child to stop")
        assert "redis stopped" in log_path.read_text()
    finally:
        with suppress(ProcessLookupError):
            os.killpg(popen.pid, signal.SIGKILL)
