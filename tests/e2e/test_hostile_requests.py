"""Requests meant to hurt, against a real uvicorn server: the key is checked before a body is
read, route limits refuse oversized bodies from their headers, and a huge prediction neither
stalls the event loop (/healthz keeps answering) nor balloons the API's memory."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
import redis

from mlpforge.settings import Settings
from store import Store
from tests.processes import Process, start_api
from tests.service.test_regressions import _finished_job

KEY = "hostile-key-0123456789"
MB = 1024 * 1024


@pytest.fixture
def api(redis_url: str, tenant: str) -> Iterator[tuple[Process, str]]:
    proc, base = start_api(
        redis_url, MLPFORGE_API_KEYS=f"{tenant}:{KEY}", MLPFORGE_RATE_LIMIT_PER_SECOND="0"
    )
    yield proc, base
    proc.stop()


def _partial_post(base: str, path: str, headers: dict[str, str], declared: int) -> int:
    """Send the headers and the first KB of a body of ``declared`` bytes, then wait for an
    answer without sending the rest: only a server that did not wait for the body answers."""
    url = urlparse(base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {declared}\r\n{head}\r\n"
            .encode() + b"{" + b" " * 1023
        )  # fmt: skip
        answer = sock.recv(4096)  # socket.timeout here: the server waited for the body
    return int(answer.split(b" ", 2)[1])


def test_no_body_is_read_before_the_key_is_checked(api: tuple[Process, str]) -> None:
    _, base = api
    json = {"Content-Type": "application/json"}
    # No key, 57 MB of data (within the upload limit): 401 at once, the body unread.
    assert _partial_post(base, "/v1/datasets", json, 57 * MB) == 401
    assert _partial_post(base, "/v1/models/mdl_x/predict", json, 57 * MB) == 401
    assert _partial_post(base, "/v1/jobs", json, 40 * 1024) == 401
    # A job request is a few KB: 57 MB is refused from its Content-Length alone, key or not.
    keyed = {**json, "Authorization": f"Bearer {KEY}"}
    assert _partial_post(base, "/v1/jobs", keyed, 57 * MB) == 413
    assert _partial_post(base, "/v1/jobs", json, 57 * MB) == 413


def _vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _watch(base: str, stop: threading.Event, slow: list[float]) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        while not stop.is_set():
            began = time.monotonic()
            assert client.get("/healthz").status_code == 200
            if (took := time.monotonic() - began) > 1.0:
                slow.append(took)
            stop.wait(0.02)


def test_huge_predictions_neither_stall_the_api_nor_exhaust_its_memory(
    api: tuple[Process, str], redis_url: str, tenant: str
) -> None:
    proc, base = api
    store = Store(redis.Redis.from_url(redis_url), tenant)
    model_id = _finished_job(store, Settings(redis_url=redis_url)).model_id  # 3 features
    path = f"/v1/models/{model_id}/predict"
    eleven_million_rows = b'{"inputs": [' + b"[1],[2]," * 5_500_000 + b"[3]]}"  # ~44 MB
    allowed_rows = b'{"inputs": [' + b"[0.5,1.5,2.5]," * 99_999 + b"[1,2,3]]}"  # 100,000 rows

    stop, slow = threading.Event(), []
    watcher = threading.Thread(target=_watch, args=(base, stop, slow))
    watcher.start()
    try:
        with httpx.Client(
            base_url=base, timeout=60, headers={"Authorization": f"Bearer {KEY}"}
        ) as client:
            post = {"headers": {"Content-Type": "application/json"}}
            refused = client.post(path, content=eleven_million_rows, **post)  # type: ignore[arg-type]
            assert refused.status_code == 413, refused.text
            assert "MLPFORGE_MAX_PREDICT_ROWS" in refused.json()["detail"]
            answered = client.post(path, content=allowed_rows, **post)  # type: ignore[arg-type]
            assert answered.status_code == 200, answered.text[:300]
            assert len(answered.json()["predictions"]) == 100_000
    finally:
        stop.set()
        watcher.join()
    assert slow == [], f"/healthz took {slow} s while predictions were served"
    # The 11-million-row body once peaked at 3.1 GB; refused before parsing it costs its bytes.
    assert _vm_hwm_mb(proc.pid) < 800, _vm_hwm_mb(proc.pid)
