"""The app in-process (Starlette's TestClient) over the real Redis; no worker is needed here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from mlpforge.settings import Settings
from service.app import create_app


@pytest.fixture
def settings(redis_url: str, tenant: str) -> Settings:
    return Settings(
        redis_url=redis_url,
        api_keys=f"{tenant}:key-{tenant}",
        max_body_bytes=2_000_000,
        max_dataset_cells=50_000,
    )


@pytest.fixture
def client(settings: Settings, tenant: str) -> Iterator[TestClient]:
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        test_client.headers["Authorization"] = f"Bearer key-{tenant}"
        yield test_client
