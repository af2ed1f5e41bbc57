"""/docs and /redoc work with no internet: their assets are the package's, and each error
status documents an example of its own.

The pages' HTML is checked in-process; then real Chromium loads them from a real server with
every other host cut off (tests/dashboard/browser.py), and must render the operations.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from mlpforge.settings import Settings
from service.app import create_app
from tests.dashboard.browser import OfflinePage, chromium, offline_page

# Nothing here needs Redis: no request below reaches a route that uses it.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"
PAGES = ("/", "/docs", "/redoc")
PROBLEM_JSON = "application/problem+json"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._script: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href"} and value:
                self.urls.append(value)
        if tag == "script":
            self._script = dict(attrs)

    def handle_data(self, data: str) -> None:
        # A JSON data block is data, not code: the CSP lets it be.
        script = self._script
        if script is not None and data.strip() and script.get("type") != "application/json":
            self.inline_scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None


def links(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app(Settings(redis_url=UNREACHABLE_REDIS))) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    return dict(client.get("/openapi.json").json())


@pytest.mark.parametrize("path", PAGES)
def test_the_pages_reference_no_other_host(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parsed = links(response.text)
    assert parsed.urls, "the page loads nothing?"
    for url in parsed.urls:
        same_origin = url.startswith("#") or (url.startswith("/") and not url.startswith("//"))
        assert same_origin, f"{path} references {url}"
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url
    assert "fonts.googleapis" not in response.text
    assert "cdn.jsdelivr" not in response.text
    assert not parsed.inline_scripts, f"{path} has inline scripts: {parsed.inline_scripts}"


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/static/vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js", "text/javascript"),
        ("/static/vendor/swagger-ui-dist-5.35.0/swagger-ui.css", "text/css"),
        ("/static/vendor/redoc-2.5.4/redoc.standalone.js", "text/javascript"),
        ("/static/vendor/uplot-1.6.32/uPlot.iife.min.js", "text/javascript"),
        ("/static/vendor/uplot-1.6.32/uPlot.min.css", "text/css"),
    ],
)
def test_vendored_assets_are_cached_for_a_year_with_their_media_type(
    client: TestClient, path: str, media_type: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    cache = response.headers["cache-control"]
    assert "max-age=31536000" in cache and "immutable" in cache, cache
    assert response.headers["x-content-type-options"] == "nosniff"
    again = client.get(path, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert "max-age=31536000" in again.headers["cache-control"]


def test_our_own_assets_are_revalidated_so_a_release_shows_at_once(client: TestClient) -> None:
    for path in ("/static/dashboard/app.js", "/static/docs/swagger-init.js", "/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-cache", path
    assert (
        client.get("/static/dashboard/app.js").headers["content-type"].startswith("text/javascript")
    )


def test_the_vendored_bundles_name_no_other_host_to_load_from(client: TestClient) -> None:
    redoc = client.get("/static/vendor/redoc-2.5.4/redoc.standalone.js").text
    assert "cdn.redoc.ly" not in redoc  # the logo Redoc would load (see vendor/README.md)


@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_a_content_security_policy(client: TestClient, path: str) -> None:
    policy = client.get(path).headers["content-security-policy"]
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline script, no eval
    assert "'none'" in directives["object-src"]
    assert directives["frame-ancestors"] == "'none'"
    if path == "/":
        assert directives["style-src"] == "'self'"


def test_v1_answers_keep_their_headers_and_static_files_are_not_under_v1(
    client: TestClient,
) -> None:
    answer = client.get("/v1/static/dashboard/app.js")
    assert answer.status_code == 404
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in answer.headers
    assert client.get("/static/../service/app.py").status_code == 404


def test_swagger_ui_keeps_its_parameters(client: TestClient) -> None:
    html = client.get("/docs").text
    start = html.index('id="swagger-ui-config">') + len('id="swagger-ui-config">')
    config = json.loads(html[start : html.index("</script>", start)])
    assert config["persistAuthorization"] is True
    assert config["tryItOutEnabled"] is True
    assert config["url"] == "/openapi.json"
    assert config["validatorUrl"] is None
    assert config["dom_id"] == "#swagger-ui"


def _problem_responses(document: dict[str, Any]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for code, response in operation.get("responses", {}).items():
                media = response.get("content", {}).get(PROBLEM_JSON)
                if media is not None:
                    yield f"{method.upper()} {path}", int(code), media


def test_each_error_status_documents_an_example_of_its_own(document: dict[str, Any]) -> None:
    details: dict[int, set[str]] = {}
    for where, status, media in _problem_responses(document):
        example = media.get("example")
        assert example is not None, f"{where} {status}: no example"
        assert example["status"] == status, f"{where} {status}: example of {example['status']}"
        assert {"type", "title", "status", "detail"} <= example.keys()
        if status == 422:
            assert example["errors"], f"{where}: a 422 example names where the problem is"
        details.setdefault(status, set()).add(example["detail"])
    assert {401, 404, 409, 413, 415, 422, 429, 503, 507} <= details.keys()
    # A 401 no longer shows "job ... does not exist".
    assert not any("does not exist" in detail for detail in details[401] | details[409])
    assert all("does not exist" in detail for detail in details[404])


def test_examples_follow_their_operation(document: dict[str, Any]) -> None:
    paths = document["paths"]

    def example(path: str, method: str, status: str) -> dict[str, Any]:
        media = paths[path][method]["responses"][status]["content"][PROBLEM_JSON]
        return dict(media["example"])

    assert "dataset" in example("/v1/jobs", "post", "404")["detail"]
    assert "model" in example("/v1/models/{model_id}", "get", "404")["detail"]
    assert "already finished" in example("/v1/jobs/{job_id}/cancel", "post", "409")["detail"]
    assert "cancel it first" in example("/v1/jobs/{job_id}", "delete", "409")["detail"]
    assert example("/v1/jobs", "post", "422")["errors"][0]["loc"][:2] == ["body", "params"]
    assert "MLPFORGE_MAX_BODY_BYTES" in example("/v1/datasets", "post", "413")["detail"]
    assert "507" in paths["/v1/jobs"]["post"]["responses"]
    assert "507" not in paths["/v1/models/{model_id}/predict"]["post"]["responses"]
    ready = example("/readyz", "get", "503")
    assert ready["redis"] == "unavailable"


def test_tags_follow_the_workflow(document: dict[str, Any]) -> None:
    names = [tag["name"] for tag in document["tags"]]
    assert names[:3] == ["datasets", "jobs", "models"]
    assert names[-1] == "operations"
    used = {
        tag
        for item in document["paths"].values()
        for operation in item.values()
        for tag in operation.get("tags", [])
    }
    assert used <= set(names)


# --- in Chromium, with the network cut off from everything but the server --------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _assert_stayed_home(offline: OfflinePage) -> None:
    assert offline.refused == [], f"requests to other hosts: {offline.refused}"
    assert offline.csp_violations() == []
    assert offline.page_errors == []
    assert all(url.startswith((offline.origin, "data:", "blob:")) for url in offline.requested), (
        offline.requested
    )


def test_swagger_ui_renders_offline(browser: Browser, api_server: str) -> None:
    with offline_page(browser, api_server) as offline:
        page = offline.page
        page.goto(offline.url("/docs"))
        page.wait_for_selector("#operations-datasets-create_dataset")
        assert page.locator(".opblock").count() >= 15
        tags = page.locator(".opblock-tag").all_inner_texts()
        assert [text.split()[0] for text in tags[:3]] == ["datasets", "jobs", "models"]
        # An operation opens with "Try it out" already on, and its errors' own examples.
        page.click("#operations-jobs-cancel_job .opblock-summary")
        page.wait_for_selector("#operations-jobs-cancel_job .responses-table")
        section = page.locator("#operations-jobs-cancel_job").inner_text()
        assert "already finished" in section
        # tryItOutEnabled: the form is open, "Execute" at hand.
        assert page.locator("#operations-jobs-cancel_job button.execute").count() == 1
        _assert_stayed_home(offline)


def test_redoc_renders_offline(browser: Browser, api_server: str) -> None:
    with offline_page(browser, api_server) as offline:
        page = offline.page
        page.goto(offline.url("/redoc"))
        page.wait_for_selector("h2:has-text('Upload a dataset (JSON, CSV or .npz)')")
        items = page.eval_on_selector_all(
            "li[data-item-id^='tag/']", "items => items.map(item => item.dataset.itemId)"
        )
        tags = [item for item in items if "/operation/" not in item]
        assert tags[:3] == ["tag/datasets", "tag/jobs", "tag/models"]
        assert tags[-1] == "tag/operations"
        _assert_stayed_home(offline)
