"""What Client and AsyncClient hold alike: where the server is, the key, the timeout and the
retry policy (as httpx's own ``BaseClient`` under its ``Client`` and ``AsyncClient``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlpforge import __version__
from mlpforge.client._calls import resolve_key, resolve_url

DEFAULT_TIMEOUT = 60.0


class BaseClient:
    def __init__(
        self,
        url: str | None,
        api_key: str | None,
        timeout: float,
        max_retries: int,
        max_retry_wait: float,
    ) -> None:
        self.url = resolve_url(url)
        self.api_key = resolve_key(api_key)
        self.timeout = timeout
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait

    def _http_options(self, headers: Mapping[str, str] | None) -> dict[str, Any]:
        """The keyword arguments of ``httpx.Client`` and ``httpx.AsyncClient``."""
        sent = {"User-Agent": f"mlpforge-client/{__version__}"}
        if self.api_key:
            sent["Authorization"] = f"Bearer {self.api_key}"
        return {
            "base_url": self.url,
            "headers": sent | dict(headers or {}),
            "timeout": self.timeout,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"
