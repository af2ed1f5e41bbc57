"""Logs as operators read them: a real uvicorn and a real Celery worker writing JSON lines, one
request id followed from the access line to the job's creation to the worker's lines for the
job, and no key, secret or query value in any line; the text format still says the same."""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

import httpx

from tests.e2e.helpers import blobs, upload_json, wait_for
from tests.observability.conftest import Stack
from tests.processes import Process, wait_until

SMALL = {"hidden_layer_sizes": [4], "max_iter": 3, "random_state": 0}


def _lines(text: str, where: str) -> list[dict[str, Any]]:
    """Every line of a log, each one a JSON object with the fields every line has."""
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"{where} line {number} is not JSON: {line[:300]!r}") from None
        assert {"ts", "level", "logger", "message"} <= entry.keys(), entry
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["ts"]), entry
        lines.append(entry)
    return lines


def _logged(stack: Stack, where: str, match: dict[str, Any], timeout: float = 10) -> list[dict]:
    """The lines of ``where``'s log that have all of ``match``, once there is one."""
    found: list[dict[str, Any]] = []

    def present() -> bool:
        entries = _lines(stack.logs()[where], where)
        found[:] = [e for e in entries if all(e.get(k) == v for k, v in match.items())]
        return bool(found)

    wait_until(present, timeout, f"a {where} log line with {match}")
    return found


def test_a_well_formed_request_id_is_echoed_and_any_other_replaced(stack: Stack) -> None:
    with stack.client() as alice:
        assert (
            alice.get("/v1/jobs", headers={"X-Request-ID": "abc-123.x:y"}).headers["x-request-id"]
            == "abc-123.x:y"
        )
        for bad in ("x" * 129, "two words", "<script>", ""):
            given = alice.get("/v1/jobs", headers={"X-Request-ID": bad}).headers["x-request-id"]
            assert re.fullmatch(r"[0-9a-f]{32}", given), (bad, given)
    generated = httpx.get(f"{stack.base}/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)


def test_one_request_id_follows_a_job_from_the_api_to_the_worker(stack: Stack) -> None:
    request_id = f"req-{secrets.token_hex(6)}"
    with stack.client() as alice:
        X, y = blobs(60)
        dataset = upload_json(alice, X, y)
        answer = alice.post(
            "/v1/jobs",
            json={"dataset_id": dataset["id"], "params": SMALL},
            headers={"X-Request-ID": request_id},
        )
        assert answer.status_code == 202 and answer.headers["x-request-id"] == request_id
        job = answer.json()
        assert job["request_id"] == request_id
        assert wait_for(alice, job["id"])["status"] == "succeeded"

    (access,) = _logged(stack, "api", {"logger": "mlpforge.access", "request_id": request_id})
    assert access["level"] == "INFO" and access["tenant"] == "alice"
    assert access["method"] == "POST" and access["route"] == "/v1/jobs"
    assert access["path"] == "/v1/jobs" and access["status"] == 202
    assert access["bytes"] > 0 and access["duration_ms"] >= 0
    (created,) = _logged(stack, "api", {"logger": "mlpforge.api", "job_id": job["id"]})
    assert created["request_id"] == request_id and created["tenant"] == "alice"

    # Every line the worker wrote for this job names the request, its own and Celery's.
    _logged(stack, "worker", {"job_id": job["id"], "logger": "celery.app.trace"})  # task done
    worker_lines = _logged(stack, "worker", {"job_id": job["id"]})
    assert {line["request_id"] for line in worker_lines} == {request_id}
    assert {line["tenant"] for line in worker_lines} == {"alice"}
    assert {"worker.training", "celery.app.trace"} <= {line["logger"] for line in worker_lines}


def test_keys_secrets_and_query_values_are_never_logged(stack: Stack) -> None:
    query_value = f"qv-{secrets.token_hex(6)}"
    wrong_key = f"wrong-key-{secrets.token_hex(6)}"
    with stack.client() as alice:
        alice.get("/v1/jobs", params={"tag": query_value})
        alice.get("/v1/datasets", headers={"X-API-Key": stack.keys["alice"]})
        url = stack.receiver.script(f"/hook/{secrets.token_hex(4)}?token={query_value}", [200])
        alice.post("/v1/jobs", json={"dataset_id": "ds_nope", "callback_url": url})
    httpx.get(f"{stack.base}/v1/jobs", headers={"Authorization": f"Bearer {wrong_key}"})
    httpx.get(f"{stack.base}/v1/jobs", headers={"X-API-Key": wrong_key})
    _logged(stack, "api", {"logger": "mlpforge.access", "status": 401})
    time.sleep(0.5)
    secret_values = [*stack.keys.values(), *stack.callback_secrets.values(), wrong_key, query_value]
    for where, text in stack.logs().items():
        _lines(text, where)
        for value in secret_values:
            assert value not in text, f"{value[:12]}… is in the {where} log"


def test_text_logs_carry_the_request_id_and_tenant(
    api_process: tuple[Process, str], api_keys: dict[str, str]
) -> None:
    """The suite's own API logs text (the default)."""
    process, base = api_process
    request_id = f"req-{secrets.token_hex(6)}"
    headers = {"Authorization": f"Bearer {api_keys['alice']}", "X-Request-ID": request_id}
    assert httpx.get(f"{base}/v1/jobs?limit=3", headers=headers).status_code == 200

    def access_line() -> str | None:
        return next(
            (line for line in process.log_path.read_text().splitlines() if request_id in line),
            None,
        )

    wait_until(lambda: access_line() is not None, 10, "the access line")
    line = access_line()
    assert line is not None
    assert re.search(
        rf"INFO mlpforge\.access: GET /v1/jobs 200 [\d.]+ms \d+B "
        rf"\[request_id={request_id} tenant=alice\]$",
        line,
    ), line
    assert "limit=3" not in process.log_path.read_text()  # no query values
    assert '"GET /v1/jobs' not in process.log_path.read_text()  # uvicorn's own access log is off
