"""`make api` with ``MLPFORGE_LOG_FORMAT=json``: the launcher's own lines and its API's, all
JSON lines on its output (`make run` adds a worker, whose lines are tested in
test_json_logs)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from mlpforge.redis_server import RedisServer, free_port
from tests.processes import ROOT, wait_until


def test_the_launcher_and_its_api_log_json_lines(
    isolated_redis: RedisServer, tmp_path: Path
) -> None:
    port = free_port()
    log_path = tmp_path / "make-api.log"
    env = {
        **os.environ,
        "MLPFORGE_REDIS_URL": isolated_redis.url,
        "PORT": str(port),
        "MLPFORGE_LOG_FORMAT": "json",
    }
    with log_path.open("wb") as log:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "mlpforge.launcher", "api"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success
            except httpx.HTTPError:
                return False

        wait_until(healthy, 60, "make api's /healthz")
        headers = {"X-Request-ID": "launched-1"}
        assert httpx.get(f"http://127.0.0.1:{port}/v1/jobs", headers=headers).is_success
    finally:
        os.killpg(launcher.pid, signal.SIGTERM)
        launcher.wait(timeout=30)
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    launcher_lines = [line["message"] for line in lines if line["logger"] == "mlpforge.launcher"]
    assert any(message.startswith("api started (pid") for message in launcher_lines), lines
    assert "SIGTERM received: stopping" in launcher_lines
    (access,) = [line for line in lines if line.get("request_id") == "launched-1"]
    assert access["logger"] == "mlpforge.access" and access["route"] == "/v1/jobs"
    assert any(line["logger"] == "uvicorn.error" for line in lines)  # uvicorn's own, as JSON
