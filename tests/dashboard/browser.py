"""Debian's chromium under Playwright, with the network cut off from everything but one origin.

Playwright's own browsers are never downloaded (`playwright install` is not run): the tests
drive /usr/bin/chromium (`make test` installs it with apt when it is missing). Every request
a page makes goes through `OfflinePage`'s route: one to another origin is aborted and
recorded, so a test can assert that none was even attempted — what a CDN link would do.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Route, sync_playwright

CHROMIUM = os.environ.get("MLPFORGE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]


def chromium_path() -> str:
    """The chromium to drive; skips the test (saying how to get one) when there is none."""
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if path is None:
        pytest.skip("no chromium: apt-get install -y chromium (make test does it)")
    return path


@contextmanager
def chromium() -> Iterator[Browser]:
    """The process's one Chromium: Playwright's sync API runs one instance per process, so
    every fixture that needs a browser (the dashboard's, the docs') shares it; the last one
    to finish closes it."""
    global _shared, _users
    if _shared is None:
        executable = chromium_path()
        playwright = sync_playwright().start()
        try:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        except BaseException:
            playwright.stop()
            raise
        _shared = (playwright, browser)
    _users += 1
    try:
        yield _shared[1]
    finally:
        _users -= 1
        if _users == 0:
            playwright, browser = _shared
            _shared = None
            browser.close()
            playwright.stop()


_shared: tuple[Playwright, Browser] | None = None
_users = 0


@dataclass
class OfflinePage:
    """A page that may reach `origin` only; what else it tried is in `refused`."""

    page: Page
    origin: str
    refused: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.origin + path

    def csp_violations(self) -> list[str]:
        return [text for text in self.console_errors if "Content Security Policy" in text]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@contextmanager
def offline_page(browser: Browser, base_url: str) -> Iterator[OfflinePage]:
    """A fresh browser context (its own session storage) with one page, cut off from all but
    `base_url`'s origin."""
    origin = _origin(base_url)
    context = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    offline = OfflinePage(page=page, origin=origin)

    def route(route: Route) -> None:
        url = route.request.url
        offline.requested.append(url)
        if url.startswith(("data:", "blob:")) or _origin(url) == origin:
            route.continue_()
        else:
            offline.refused.append(url)
            route.abort("internetdisconnected")

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            offline.console_errors.append(message.text)

    # On the context, so that workers and popups are covered as well as the page.
    context.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda error: offline.page_errors.append(str(error)))
    try:
        yield offline
    finally:
        context.close()
