"""Job callbacks against a real receiver on loopback: signed, delivered once, retried with
backoff on 5xx, never retried on a refusal, sent for every way a job ends, refused where the
rules say so (service.callbacks)."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import httpx
import pytest

from mlpforge.webhooks import SIGNATURE_HEADER, verify
from tests.e2e.helpers import assert_problem, blobs, upload_json, wait_for
from tests.observability.conftest import MAX_ATTEMPTS, Stack

SMALL = {"hidden_layer_sizes": [4], "max_iter": 3, "random_state": 0}
ENDLESS = {"hidden_layer_sizes": [64], "max_iter": 100000, "n_iter_no_change": 100000,
           "batch_size": 8, "random_state": 0}  # fmt: skip


def _hook() -> str:
    return f"/hook/{secrets.token_hex(6)}"


def _train(client: httpx.Client, **body: Any) -> dict[str, Any]:
    X, y = blobs(60)
    dataset = upload_json(client, X, y)
    answer = client.post("/v1/jobs", json={"dataset_id": dataset["id"], **body})
    assert answer.status_code == 202, answer.text
    return dict(answer.json())


def _called_back(client: httpx.Client, job_id: str, timeout: float = 30) -> dict[str, Any]:
    """The job once its callback is delivered or given up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = dict(client.get(f"/v1/jobs/{job_id}").json())
        if job["callback"] is not None and job["callback"]["status"] != "pending":
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id}'s callback is still pending: {job['callback']}")


def _signed(stack: Stack, body: bytes, headers: dict[str, str]) -> bool:
    return verify(stack.callback_secrets["alice"], body, headers[SIGNATURE_HEADER.lower()])


def test_a_succeeded_job_calls_back_once_with_its_signed_final_body(stack: Stack) -> None:
    path = _hook()
    url = stack.receiver.script(path, [200])
    with stack.client(**{"X-Request-ID": "req-callback-1"}) as alice:
        job = _train(alice, params=SMALL, callback_url=url)
        assert job["callback_url"] == url and job["callback"] is None
        assert wait_for(alice, job["id"])["status"] == "succeeded"
        final = _called_back(alice, job["id"])
    assert final["callback"] == {
        "status": "delivered", "attempts": 1, "last_status_code": 200, "last_error": None
    }  # fmt: skip
    time.sleep(1.5)  # time enough for a duplicate to show up
    (delivery,) = stack.receiver.received(path)
    assert _signed(stack, delivery.body, delivery.headers)
    assert not _signed(stack, delivery.body + b" ", delivery.headers)  # the body is signed
    header = delivery.headers[SIGNATURE_HEADER.lower()]
    assert not verify(stack.callback_secrets["alice"], delivery.body, header, now=time.time() + 600)
    # The job's public body, as GET /v1/jobs/{id} shows it (less the callback's own state).
    assert json.loads(delivery.body) == {k: v for k, v in final.items() if k != "callback"}
    assert json.loads(delivery.body)["status"] == "succeeded"
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["x-mlpforge-delivery"] == job["id"]
    assert delivery.headers["x-request-id"] == "req-callback-1"


def test_a_failing_receiver_gets_the_callback_again_until_it_accepts(stack: Stack) -> None:
    path = _hook()
    url = stack.receiver.script(path, [500, 500, 200])
    with stack.client() as alice:
        job = _train(alice, params=SMALL, callback_url=url)
        final = _called_back(alice, job["id"])
    assert final["status"] == "succeeded"
    assert final["callback"] == {
        "status": "delivered", "attempts": 3, "last_status_code": 200, "last_error": None
    }  # fmt: skip
    deliveries = stack.receiver.received(path)
    assert [d.headers["x-mlpforge-attempt"] for d in deliveries] == ["1", "2", "3"]
    assert {d.headers["x-mlpforge-delivery"] for d in deliveries} == {job["id"]}
    assert all(_signed(stack, d.body, d.headers) for d in deliveries)


def test_a_receiver_that_keeps_failing_is_given_up_after_the_last_attempt(stack: Stack) -> None:
    path = _hook()
    url = stack.receiver.script(path, [503])
    with stack.client() as alice:
        job = _train(alice, params=SMALL, callback_url=url)
        final = _called_back(alice, job["id"], timeout=60)
    assert final["callback"]["status"] == "failed"
    assert final["callback"]["attempts"] == MAX_ATTEMPTS
    assert final["callback"]["last_status_code"] == 503
    assert len(stack.receiver.received(path)) == MAX_ATTEMPTS


@pytest.mark.parametrize(("status", "says"), [(404, "answered 404"), (302, "not followed")])
def test_a_refusal_or_a_redirect_is_not_retried(stack: Stack, status: int, says: str) -> None:
    path = _hook()
    url = stack.receiver.script(path, [status, 200])
    with stack.client() as alice:
        job = _train(alice, params=SMALL, callback_url=url)
        final = _called_back(alice, job["id"])
    assert final["callback"]["status"] == "failed" and final["callback"]["attempts"] == 1
    assert final["callback"]["last_status_code"] == status
    assert says in final["callback"]["last_error"]
    time.sleep(1.0)
    assert len(stack.receiver.received(path)) == 1
    assert stack.receiver.received("/elsewhere") == []


def test_a_queued_job_cancelled_by_the_api_calls_back(stack: Stack) -> None:
    path = _hook()
    url = stack.receiver.script(path, [200])
    with stack.client() as alice:
        # No GPU worker: the job waits queued until the API cancels it (store.finish, attempt None).
        job = _train(alice, params=SMALL, device="gpu", callback_url=url)
        assert job["status"] == "queued"
        assert alice.post(f"/v1/jobs/{job['id']}/cancel").status_code == 202
        final = _called_back(alice, job["id"])
    assert final["status"] == "cancelled" and final["callback"]["status"] == "delivered"
    (delivery,) = stack.receiver.received(path)
    assert json.loads(delivery.body)["status"] == "cancelled"


def test_a_failed_job_calls_back(stack: Stack) -> None:
    path = _hook()
    url = stack.receiver.script(path, [200])
    with stack.client() as alice:
        job = _train(alice, params=ENDLESS, max_runtime_secs=1, callback_url=url)
        final = _called_back(alice, job["id"], timeout=60)
    assert final["status"] == "failed" and final["callback"]["status"] == "delivered"
    (delivery,) = stack.receiver.received(path)
    assert json.loads(delivery.body)["error"]["type"] == "TimeLimitExceeded"


def test_a_listed_name_that_resolves_to_loopback_is_refused_at_delivery(stack: Stack) -> None:
    """``localhost:<port>`` is listed by name: accepted at submission, but it resolves to a
    loopback address, so no request is sent (only an address listed as such may be private)."""
    path = _hook()
    stack.receiver.script(path, [200])
    with stack.client() as alice:
        job = _train(
            alice, params=SMALL, device="gpu",
            callback_url=f"http://localhost:{stack.receiver.port}{path}",
        )  # fmt: skip
        alice.post(f"/v1/jobs/{job['id']}/cancel")
        final = _called_back(alice, job["id"])
    assert final["callback"]["status"] == "failed" and final["callback"]["attempts"] == 1
    assert "not a public address" in final["callback"]["last_error"]
    assert stack.receiver.received(path) == []


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:1/hook", "not an allowed callback host"),  # the right host, not port
        ("https://hooks.example.com/hook", "not an allowed callback host"),
        ("ftp://127.0.0.1/hook", "http:// or https://"),
        ("http://user:pass@127.0.0.1/hook", "credentials"),
        ("http://127.0.0.1/hook#part", "fragment"),
        ("/relative/hook", "http:// or https://"),
        ("http://127.0.0.1/" + "x" * 2000, "at most 2000 characters"),
        ("http://127.0.0.1/a b", "spaces"),
    ],
)
def test_callback_urls_are_checked_at_submission(stack: Stack, url: str, says: str) -> None:
    with stack.client() as alice:
        answer = alice.post("/v1/jobs", json={"dataset_id": "ds_nope", "callback_url": url})
    body = assert_problem(answer, 422, says)
    assert body["errors"][0]["loc"] == ["body", "callback_url"]


def test_a_tenant_without_a_signing_secret_cannot_ask_for_callbacks(stack: Stack) -> None:
    url = stack.receiver.script(_hook(), [200])
    with stack.client("bob") as bob:
        answer = bob.post("/v1/jobs", json={"dataset_id": "ds_nope", "callback_url": url})
    body = assert_problem(answer, 422, "MLPFORGE_CALLBACK_SECRETS")
    assert body["errors"][0]["loc"] == ["body", "callback_url"]


def test_callbacks_are_disabled_by_default(api_server: str, api_keys: dict[str, str]) -> None:
    """The suite's own API sets no MLPFORGE_CALLBACK_HOSTS."""
    answer = httpx.post(
        f"{api_server}/v1/jobs",
        json={"dataset_id": "ds_nope", "callback_url": "https://hooks.example.com/x"},
        headers={"Authorization": f"Bearer {api_keys['alice']}"},
    )
    body = assert_problem(answer, 422, "callbacks are disabled", "MLPFORGE_CALLBACK_HOSTS")
    assert body["errors"][0]["loc"] == ["body", "callback_url"]
