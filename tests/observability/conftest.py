"""One stack for the logs' and the callbacks' tests: a private redis-server, the API and a
worker as real processes, both logging JSON lines, and a webhook receiver on loopback that
the API may call back (its address is allowed, and so is ``localhost`` on its port, which the
delivery must refuse: a name that resolves to a loopback address)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mlpforge.redis_server import RedisServer
from tests.observability.receiver import Receiver
from tests.processes import Process, start_api, start_worker

MAX_ATTEMPTS = 4
RETRY_SECS = 0.3  # retries after 0.3, 0.9 and 2.7 s


@dataclass
class Stack:
    base: str
    api: Process
    worker: Process
    keys: dict[str, str]
    callback_secrets: dict[str, str]
    receiver: Receiver

    def client(self, tenant: str = "alice", **headers: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.base,
            headers={"Authorization": f"Bearer {self.keys[tenant]}", **headers},
            timeout=30,
        )

    def logs(self) -> dict[str, str]:
        return {"api": self.api.log_path.read_text(), "worker": self.worker.log_path.read_text()}


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    receiver = Receiver()
    keys = {tenant: f"key-{tenant}-{secrets.token_hex(12)}" for tenant in ("alice", "bob")}
    # bob has no signing secret: he may not ask for callbacks.
    callback_secrets = {"alice": secrets.token_hex(32)}
    with RedisServer(data_dir=Path(tmp_path_factory.mktemp("observed-redis"))) as server:
        api, base = start_api(
            server.url,
            name="observed-api",
            MLPFORGE_LOG_FORMAT="json",
            MLPFORGE_API_KEYS=",".join(f"{t}:{k}" for t, k in keys.items()),
            MLPFORGE_CALLBACK_HOSTS=f"127.0.0.1:{receiver.port}, localhost:{receiver.port}",
            MLPFORGE_CALLBACK_SECRETS=",".join(f"{t}:{s}" for t, s in callback_secrets.items()),
            MLPFORGE_CALLBACK_MAX_ATTEMPTS=str(MAX_ATTEMPTS),
            MLPFORGE_CALLBACK_RETRY_SECS=str(RETRY_SECS),
        )
        # The worker needs no callback setting: callbacks are delivered by the API.
        worker = start_worker(server.url, name="observed-worker", MLPFORGE_LOG_FORMAT="json")
        try:
            yield Stack(base, api, worker, keys, callback_secrets, receiver)
        finally:
            api.stop()
            worker.stop()
            receiver.close()
