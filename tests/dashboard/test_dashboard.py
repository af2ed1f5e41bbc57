"""The dashboard in real headless Chromium, against a real server that requires a key, with a
real worker training, and with the network cut off from every host but the server.

It is driven the way a person would: type the key, upload a CSV, train from the dataset's
page, watch the job turn `succeeded`, open it and see the curves drawn, predict, export,
compare two runs. The screenshot of that job's page is `docs/dashboard.png` (the README's);
it is written when missing, or rewritten with MLPFORGE_UPDATE_SCREENSHOTS=1 (a copy always
goes to .run/test-logs/).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, FilePayload, Locator, Page, expect

from tests.dashboard.browser import ROOT, OfflinePage, offline_page
from tests.dashboard.conftest import Server

SCREENSHOT = ROOT / "docs" / "dashboard.png"
TEST_LOGS = ROOT / ".run" / "test-logs"
KEY_STORAGE = "mlpforge.apiKey"

expect.set_options(timeout=20_000)


def iris_csv() -> bytes:
    from sklearn.datasets import load_iris  # shipped with scikit-learn: nothing is downloaded

    iris = load_iris()
    header = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    lines = [",".join(header)]
    for row, target in zip(iris.data.tolist(), iris.target.tolist(), strict=True):
        lines.append(",".join(f"{v:g}" for v in row) + f",{iris.target_names[target]}")
    return ("\n".join(lines) + "\n").encode()


@contextmanager
def dashboard(browser: Browser, server: Server, key: str | None = None) -> Iterator[OfflinePage]:
    """The dashboard's page, offline but for the server; with `key`, as if typed before."""
    with offline_page(browser, server.base_url) as offline:
        if key is not None:
            offline.page.add_init_script(
                f"sessionStorage.setItem({json.dumps(KEY_STORAGE)}, {json.dumps(key)})"
            )
        yield offline
        assert offline.refused == [], f"requests to other hosts: {offline.refused}"
        assert offline.csp_violations() == []
        assert offline.page_errors == []


def server_takes(server: Server, *fields: str) -> bool:
    """Whether the server's JobCreate has these fields (job names and tags land separately)."""
    document = httpx.get(f"{server.base_url}/openapi.json").json()
    schema = document["components"]["schemas"].get("JobCreate", {})
    return all(field in schema.get("properties", {}) for field in fields)


def export_formats(server: Server) -> list[str]:
    """The formats GET /v1/models/{id}/export documents (safetensors; onnx and skops once the
    exports land): the model page offers each."""
    document = httpx.get(f"{server.base_url}/openapi.json").json()
    operation = document["paths"]["/v1/models/{model_id}/export"]["get"]
    (parameter,) = [p for p in operation["parameters"] if p["name"] == "format"]
    schema = parameter["schema"]
    return list(schema.get("enum") or [schema.get("const", "safetensors")])


def drawn_pixels(chart: Locator) -> int:
    """Pixels that uPlot's canvas painted (not transparent)."""
    return int(
        chart.locator("canvas").evaluate(
            """canvas => {
                const { width, height } = canvas;
                const data = canvas.getContext("2d").getImageData(0, 0, width, height).data;
                let painted = 0;
                for (let i = 3; i < data.length; i += 4) if (data[i]) painted++;
                return painted;
            }"""
        )
    )


def wait_for_job(api: httpx.Client, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = dict(api.get(f"/v1/jobs/{job_id}").json())
        if job["status"] in {"succeeded", "failed", "cancelled"}:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def save_screenshot(page: Page, name: str) -> None:
    TEST_LOGS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(TEST_LOGS / name))
    if name == "dashboard.png" and (
        not SCREENSHOT.exists() or os.environ.get("MLPFORGE_UPDATE_SCREENSHOTS") == "1"
    ):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(TEST_LOGS / name, SCREENSHOT)


@pytest.mark.slow
def test_train_from_the_dashboard_and_watch_the_curves(
    browser: Browser, server: Server, api: httpx.Client
) -> None:
    with dashboard(browser, server) as offline:
        page = offline.page
        page.goto(offline.url("/"))

        # The server requires a key: the page asks for it, once.
        expect(page.locator("#key-dialog")).to_be_visible()
        page.fill("#api-key", server.key)
        page.click("#key-save")
        expect(page.locator("#key-dialog")).to_be_hidden()
        expect(page.locator("#jobs-table")).to_be_visible()

        # Upload a CSV through the form; its page shows the preview.
        page.click("[data-nav=datasets]")
        page.set_input_files(
            "#upload-file",
            files=[FilePayload(name="iris.csv", mimeType="text/csv", buffer=iris_csv())],
        )
        page.fill("#upload-target", "species")
        page.click("#upload-submit")
        expect(page.locator("#dataset-title")).to_have_text("iris.csv")
        expect(page.locator("#preview-rows tbody tr")).to_have_count(20)
        expect(page.locator("#preview-classes tbody tr")).to_have_count(3)
        expect(page.locator("#preview-classes")).to_contain_text("versicolor")

        # Train from the dataset's page; the job's page follows its event stream to the end.
        page.fill("#train-layers", "32, 16")
        page.fill("#train-max-iter", "300")
        page.fill("input[name=learning_rate_init]", "0.003")
        page.check("#train-early-stopping")
        page.fill("#train-extra", '{"n_iter_no_change": 40, "validation_fraction": 0.2}')
        if server_takes(server, "name", "tags"):
            page.fill("#train-name", "iris 32-16")
            page.fill("#train-tags", "iris, demo")
        page.click("#train-submit")
        page.wait_for_url("**/#/jobs/job_*")
        job_id = page.url.rsplit("/", 1)[-1]
        expect(page.locator(".view-head .status")).to_have_text("succeeded", timeout=120_000)

        # The list shows it succeeded; its page draws the curves from the history.
        page.click("[data-nav=jobs]")
        row = page.locator(f"tr[data-job='{job_id}']")
        expect(row).to_have_attribute("data-status", "succeeded")
        expect(row.locator("progress")).to_have_js_property("value", 1)
        row.locator("td.name a").click()
        loss = page.locator("[data-chart=loss]")
        expect(loss).not_to_have_attribute("data-points", "0")
        epochs = len(api.get(f"/v1/jobs/{job_id}/metrics").json()["history"])
        assert epochs > 5
        assert int(loss.get_attribute("data-points") or 0) == 2 * epochs  # loss and val_loss
        score = page.locator("[data-chart=score]")
        assert int(score.get_attribute("data-points") or 0) == epochs
        assert drawn_pixels(loss) > 500 and drawn_pixels(score) > 200
        expect(page.locator("table.params")).to_contain_text("hidden_layer_sizes")
        page.wait_for_timeout(300)  # the charts' last frame
        save_screenshot(page, "dashboard.png")

        # Its model: predict two rows, download the weights.
        page.click("#job-model")
        page.fill("#predict-input", "5.1, 3.5, 1.4, 0.2\n6.7, 3.0, 5.2, 2.3")
        page.click("#predict-form button[type=submit]")
        predictions = page.locator("#predict-table td.prediction")
        expect(predictions).to_have_count(2)
        assert set(predictions.all_inner_texts()) <= {"setosa", "versicolor", "virginica"}
        formats = export_formats(server)
        expect(page.locator("#export-links button")).to_have_count(len(formats))
        for export_format in formats:
            with page.expect_download() as download:
                page.click(f"#export-links [data-format={export_format}]")
            path = download.value.path()
            assert path is not None and Path(path).stat().st_size > 1000, export_format
            assert download.value.suggested_filename.endswith(f".{export_format}")

        # A second run, compared with the first.
        dataset_id = api.get(f"/v1/jobs/{job_id}").json()["dataset_id"]
        other = api.post(
            "/v1/jobs",
            json={
                "dataset_id": dataset_id,
                "params": {"hidden_layer_sizes": [4], "max_iter": 60, "early_stopping": True},
            },
        ).json()
        assert wait_for_job(api, other["id"])["status"] == "succeeded"
        page.click("[data-nav=jobs]")
        for compared in (job_id, other["id"]):
            page.locator(f"tr[data-job='{compared}'] input[type=checkbox]").check()
        page.click("#compare-button")
        compare = page.locator("[data-chart=compare-loss]")
        other_epochs = len(api.get(f"/v1/jobs/{other['id']}/metrics").json()["history"])
        expect(compare).to_have_attribute("data-points", str(epochs + other_epochs))
        save_screenshot(page, "dashboard-compare.png")

        # Filters: by status, and by tag (on the server, or in the page while it has no tags).
        page.goto(offline.url("/#/jobs?status=failed"))
        expect(page.locator("#filter-status")).to_have_value("failed")
        expect(page.locator("main .empty")).to_have_text("No jobs match these filters.")
        page.select_option("#filter-status", "succeeded")
        expect(page.locator("#jobs-table tbody tr")).to_have_count(2)
        page.goto(offline.url("/#/jobs?tag=no-such-tag"))
        expect(page.locator("main .empty")).to_be_visible()
        expect(page.locator("#jobs-table tbody tr")).to_have_count(0)


def test_user_supplied_text_is_shown_as_text_never_as_markup(
    browser: Browser, server: Server, api: httpx.Client
) -> None:
    evil = '<img src=x onerror="window.__pwned = 1">'
    response = api.post(
        "/v1/datasets",
        json={
            "name": evil,
            "feature_names": ["<i>f1</i>", "<svg onload=window.__pwned=3>"],
            "features": [[0, 1], [1, 0], [1, 1], [0, 0]],
            "targets": ["<b>yes</b>", "<script>window.__pwned=2</script>"] * 2,
        },
    )
    assert response.status_code == 201, response.text
    dataset = response.json()
    job = None
    if server_takes(server, "name", "tags"):
        job = api.post(
            "/v1/jobs",
            json={
                "dataset_id": dataset["id"],
                "name": evil,
                "tags": ["xss"],  # tags are [A-Za-z0-9_.:-]: only the name can hold markup
                "params": {"max_iter": 5},
            },
        ).json()
    with dashboard(browser, server, key=server.key) as offline:
        page = offline.page
        if job is not None:
            page.goto(offline.url("/#/jobs"))
            row = page.locator(f"tr[data-job='{job['id']}']")
            expect(row.locator("td.name a")).to_have_text(evil)
            expect(row.locator(".tag")).to_have_text("xss")
            row.locator("td.name a").click()
            expect(page.locator(".view-head h1")).to_contain_text(evil)
            assert page.locator("main img, main b").count() == 0
        page.goto(offline.url("/#/datasets"))
        link = page.locator(f"tr[data-dataset='{dataset['id']}'] td.name a")
        expect(link).to_have_text(evil)
        link.click()
        expect(page.locator("#dataset-title")).to_have_text(evil)
        expect(page.locator("#preview-rows thead")).to_contain_text("<i>f1</i>")
        expect(page.locator("#preview-rows thead")).to_contain_text("<svg onload=window.__pwned=3>")
        expect(page.locator("#preview-classes")).to_contain_text(
            "<script>window.__pwned=2</script>"
        )
        expect(page.locator("#preview-classes")).to_contain_text("<b>yes</b>")
        # Had any of it been parsed as HTML, these elements would exist.
        for selector in ("main img", "main i", "main b", "main svg", "main script"):
            assert page.locator(selector).count() == 0, selector
        assert page.evaluate("window.__pwned") is None


def test_a_401_asks_for_the_key_then_every_call_carries_it(
    browser: Browser, server: Server
) -> None:
    with dashboard(browser, server, key="not-the-key") as offline:
        page = offline.page
        sent: list[tuple[str, str | None]] = []
        page.on(
            "request",
            lambda request: (
                sent.append((request.url, request.headers.get("authorization")))
                if "/v1/" in request.url
                else None
            ),
        )
        page.goto(offline.url("/#/datasets"))
        expect(page.locator("#key-dialog")).to_be_visible()
        expect(page.locator("#key-reason")).to_contain_text("refused")
        assert all(auth == "Bearer not-the-key" for _, auth in sent), sent

        sent.clear()
        page.fill("#api-key", server.key)
        page.click("#key-save")
        expect(page.locator("#key-dialog")).to_be_hidden()
        expect(page.locator("#upload-form")).to_be_visible()
        expect(page.locator("main .notice-error")).to_have_count(0)
        assert page.evaluate(f"sessionStorage.getItem({json.dumps(KEY_STORAGE)})") == server.key
        assert sent and all(auth == f"Bearer {server.key}" for _, auth in sent), sent
        # The page itself, its scripts and styles need no key.
        assert all(
            not url.startswith(offline.url("/v1/"))
            for url in offline.requested
            if "/static/" in url or url.rstrip("/") == offline.origin
        )

        # Forgetting the key asks for one again at the next call.
        page.click("#key-button")
        page.click("#key-forget")
        assert page.evaluate(f"sessionStorage.getItem({json.dumps(KEY_STORAGE)})") is None
        expect(page.locator("#key-dialog")).to_be_visible()
        expect(page.locator("#key-reason")).to_contain_text("requires an API key")


def test_the_event_stream_parser_follows_the_standard(browser: Browser, server: Server) -> None:
    with dashboard(browser, server, key=server.key) as offline:
        page = offline.page
        page.goto(offline.url("/#/datasets"))
        result = page.evaluate(
            """async () => {
                const { EventStreamParser } = await import("/static/dashboard/sse.js");
                const parser = new EventStreamParser();
                const chunks = [
                    "\\uFEFFretry: 1500\\r",
                    "\\nid: 1-0\\nevent: progress\\ndata: {\\"epoch\\"",
                    ": 1}\\r\\n\\r\\n: keep-alive\\n\\n",
                    "data: a\\ndata:b\\n\\nid: 2-0\\revent: status\\rdata: done\\r\\r",
                    "id\\ndata\\n\\n",
                ];
                const events = chunks.flatMap((chunk) => parser.push(chunk));
                return { events, lastEventId: parser.lastEventId, retry: parser.retry };
            }"""
        )
    assert result["events"] == [
        {"type": "progress", "data": '{"epoch": 1}', "id": "1-0"},
        {"type": "message", "data": "a\nb", "id": "1-0"},
        {"type": "status", "data": "done", "id": "2-0"},
        {"type": "message", "data": "", "id": ""},  # "id" alone resets it; "data" alone is ""
    ]
    assert result["retry"] == 1500
    assert result["lastEventId"] == ""


def test_a_dropped_event_stream_resumes_after_the_last_event(
    browser: Browser, server: Server
) -> None:
    """fetch() is replaced for /events only: the first stream ends after one event, the
    second must be asked for with Last-Event-ID and the key."""
    with dashboard(browser, server, key=server.key) as offline:
        page = offline.page
        page.goto(offline.url("/#/datasets"))
        result = page.evaluate(
            """async () => {
                const { followEvents } = await import("/static/dashboard/sse.js");
                const bodies = [
                    "retry: 10\\nid: 5-0\\nevent: progress\\ndata: {\\"epoch\\": 5}\\n\\n",
                    "id: 6-0\\nevent: status\\ndata: {}\\n\\n",
                ];
                const calls = [];
                const realFetch = window.fetch;
                window.fetch = async (url, init) => {
                    if (!String(url).endsWith("/events")) return realFetch(url, init);
                    const headers = new Headers(init.headers);
                    calls.push({
                        resume: headers.get("Last-Event-ID"),
                        auth: headers.get("Authorization"),
                    });
                    const body = new TextEncoder().encode(bodies[calls.length - 1]);
                    const stream = new ReadableStream({
                        start(controller) { controller.enqueue(body); controller.close(); },
                    });
                    const type = { "Content-Type": "text/event-stream" };
                    return new Response(stream, { headers: type });
                };
                const seen = [];
                await followEvents("/v1/jobs/job_x/events", {
                    signal: new AbortController().signal,
                    onEvent: (event) => {
                        seen.push(`${event.type} ${event.id}`);
                        return event.type !== "status";
                    },
                });
                window.fetch = realFetch;
                return { calls, seen };
            }"""
        )
    assert result["seen"] == ["progress 5-0", "status 6-0"]
    assert [call["resume"] for call in result["calls"]] == [None, "5-0"]
    assert {call["auth"] for call in result["calls"]} == {f"Bearer {server.key}"}


def test_json_and_npz_files_upload_through_the_form(browser: Browser, server: Server) -> None:
    body = {
        "name": "exam (json)",
        "feature_names": ["hours_studied", "hours_slept"],
        "features": [[1, 4], [2, 8], [3, 5], [4, 6], [6, 7], [7, 8], [8, 5], [9, 7]],
        "targets": ["fail", "fail", "fail", "fail", "pass", "pass", "pass", "pass"],
    }
    arrays = io.BytesIO()
    rng = np.random.default_rng(0)
    np.savez(arrays, X=rng.random((30, 3)).astype(np.float32), y=rng.random(30))
    with dashboard(browser, server, key=server.key) as offline:
        page = offline.page
        for name, mime, data, title in (
            ("exam.json", "application/json", json.dumps(body).encode(), "exam (json)"),
            ("arrays.npz", "application/octet-stream", arrays.getvalue(), "arrays.npz"),
        ):
            page.goto(offline.url("/#/datasets"))
            page.set_input_files(
                "#upload-file", files=[FilePayload(name=name, mimeType=mime, buffer=data)]
            )
            page.click("#upload-submit")
            expect(page.locator("#dataset-title")).to_have_text(title)
            expect(page.locator("#preview-columns tbody tr").first).to_be_visible()
        # The .npz's target is continuous: statistics instead of classes.
        expect(page.locator("#preview-classes")).to_have_count(0)
        expect(page.locator("#preview-columns")).to_contain_text("target")
