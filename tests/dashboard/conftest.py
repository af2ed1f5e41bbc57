"""The dashboard's fixtures: Chromium, and an API server of the dashboard's own tenant.

The server is a real uvicorn (tests.processes.start_api) over the suite's private Redis, with
one API key for a tenant no other test uses, so the pages show only what these tests made;
the session's Celery worker (tests/conftest.py) trains the jobs.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser

from mlpforge.settings import Settings
from service.app import create_app
from tests.dashboard.browser import chromium
from tests.processes import Process, start_api


@dataclass(frozen=True)
class Server:
    base_url: str
    key: str

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.key}"}, timeout=30
        )


# Per module, not per session: Playwright's sync API keeps an event loop running in the main
# thread while it is started, and any later test's asyncio.run() would then fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def server(redis_url: str, worker: Process) -> Iterator[Server]:
    tenant = f"dash{secrets.token_hex(4)}"
    key = f"key-{tenant}-{secrets.token_hex(8)}"
    proc, base = start_api(redis_url, name="dashboard-api", MLPFORGE_API_KEYS=f"{tenant}:{key}")
    yield Server(base_url=base, key=key)
    proc.stop()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.fixture
def app_client(redis_url: str, tenant: str) -> Iterator[TestClient]:
    """The app in-process over the private Redis, with a fresh tenant's key (and another
    tenant's, ``key-{tenant}-other``)."""
    keys = f"{tenant}:key-{tenant},{tenant}o:key-{tenant}-other"
    settings = Settings(redis_url=redis_url, api_keys=keys)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        client.headers["Authorization"] = f"Bearer key-{tenant}"
        yield client
