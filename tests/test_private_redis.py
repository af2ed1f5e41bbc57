"""The tests and the benchmarks talk to a redis-server they started themselves, never to one
that was already running (the machine's, or a user's): they own what they write and flush."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

from bench.harness import bench_redis_url


def _server_pid(url: str) -> int:
    with redis.Redis.from_url(url) as client:
        return int(client.info("server")["process_id"])


def _parent_pid(pid: int) -> int:
    # /proc/<pid>/stat: the command name may hold spaces; the ppid follows the last ')'.
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_the_suite_runs_on_a_redis_it_started(redis_url: str) -> None:
    pid = _server_pid(redis_url)
    if os.environ.get("MLPFORGE_TEST_REDIS"):
        # Pointed explicitly at a Redis: that one is used, and this process did not start it.
        assert _parent_pid(pid) != os.getpid()
    else:
        assert _parent_pid(pid) == os.getpid(), "the test Redis is not this run's own child"


def test_the_benchmarks_start_a_redis_of_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLPFORGE_BENCH_REDIS", raising=False)
    url, server = bench_redis_url()
    try:
        assert server is not None
        assert _parent_pid(_server_pid(url)) == os.getpid()
        assert str(server.port) in url
    finally:
        if server is not None:
            server.close()
