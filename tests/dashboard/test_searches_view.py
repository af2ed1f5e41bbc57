"""The dashboard's searches: listed, and one search's trials table, sorted by objective and
re-sorted by a click, in real headless Chromium against a real server and worker."""

from __future__ import annotations

import time

import httpx
import numpy as np
from playwright.sync_api import Browser, expect

from tests.dashboard.conftest import Server
from tests.dashboard.test_dashboard import dashboard


def finished_search(api: httpx.Client) -> dict:  # type: ignore[type-arg]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3)).round(3)
    y = ["yes" if row[0] > 0 else "no" for row in X]
    dataset = api.post("/v1/datasets", json={"features": X.tolist(), "targets": y}).json()
    answer = api.post(
        "/v1/searches",
        json={
            "dataset_id": dataset["id"],
            "name": "<b>rates</b>",
            "params": {"hidden_layer_sizes": [4], "max_iter": 5, "random_state": 0},
            "space": {"learning_rate_init": [0.0001, 0.01, 0.2]},
            "strategy": "grid",
            "max_parallel": 3,
        },
    )
    assert answer.status_code == 202, answer.text
    deadline = time.monotonic() + 120
    while (search := api.get(f"/v1/searches/{answer.json()['id']}").json())["status"] not in (
        "succeeded", "failed", "cancelled",
    ):  # fmt: skip
        assert time.monotonic() < deadline, search
        time.sleep(0.2)
    assert search["status"] == "succeeded", search
    return dict(search)


def test_the_searches_view_lists_and_sorts_trials(
    browser: Browser, server: Server, api: httpx.Client
) -> None:
    search = finished_search(api)
    with dashboard(browser, server, key=server.key) as offline:
        page = offline.page
        page.goto(f"{server.base_url}/#/searches")
        row = page.locator(f'#searches-table tr[data-search="{search["id"]}"]')
        expect(row).to_contain_text("<b>rates</b>")  # a name is text, never markup
        expect(row).to_contain_text("succeeded")
        row.get_by_role("link", name="<b>rates</b>").click()
        table = page.locator("#trials-table tbody tr")
        expect(table).to_have_count(3)
        best_first = [e["objective"] for e in search["leaderboard"]]
        shown = [float(v) for v in table.evaluate_all("rows => rows.map(r => r.dataset.objective)")]
        assert shown == best_first
        page.locator('button[data-sort="objective"]').click()  # now worst first
        expect(table.first).to_have_attribute("data-objective", str(best_first[-1]))
        page.locator('button[data-sort="param:learning_rate_init"]').click()
        rates = table.evaluate_all("rows => rows.map(r => r.children[1].textContent)")
        assert rates == ["1.000e-4", "0.01", "0.2"]
        expect(page.get_by_text(search["best_model_id"])).to_be_visible()
        # The objective against a parameter: one point per trial, on a log axis for rates.
        expect(page.locator("#scatter-param")).to_have_value("learning_rate_init")
        expect(page.locator('figure[data-chart="scatter"]')).to_have_attribute("data-points", "3")
        expect(page.locator('figure[data-chart="scatter"] canvas')).to_have_count(1)
