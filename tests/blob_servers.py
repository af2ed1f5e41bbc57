"""The blob stores the tests run against: a folder, and a real S3-compatible server.

The S3 server is moto's (``moto[server]``, a dev extra), started as a child process on a free
loopback port, answering the S3 protocol as AWS does; nothing leaves the machine. Each test
gets a prefix of its own inside one bucket, so tests never see each other's objects.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from mlpforge.redis_server import free_port
from store.blobs import ExternalBlobs, S3Options, open_external
from tests.processes import LOGS, wait_until

BUCKET = "mlpforge-tests"
# moto accepts any credentials; these only have to be present (obstore signs every request).
ACCESS_KEY, SECRET_KEY, REGION = "mlpforge-test", "mlpforge-test-secret", "us-east-1"
BACKENDS = ("redis", "file", "s3")


class S3Server:
    """`moto_server` as a child process; ``endpoint`` is its http:// URL."""

    def __init__(self) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}"
        self._log = (LOGS / f"moto-{port}.log").open("wb")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

        def up() -> bool:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self._proc.returncode}")
            try:
                return httpx.get(f"{self.endpoint}/moto-api/", timeout=1).status_code < 500
            except httpx.HTTPError:
                return False

        try:
            wait_until(up, 60, "the S3 test server (moto)")
            httpx.put(f"{self.endpoint}/{BUCKET}", timeout=10).raise_for_status()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._log.close()


@dataclass(frozen=True)
class BlobBackend:
    """One backend as the settings name it: the environment a process gets, and the store."""

    kind: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.env.get("MLPFORGE_BLOB_URL", "redis")

    def s3_options(self) -> S3Options:
        return S3Options(
            endpoint_url=self.env.get("MLPFORGE_S3_ENDPOINT_URL"),
            region=self.env.get("MLPFORGE_S3_REGION"),
            access_key_id=self.env.get("MLPFORGE_S3_ACCESS_KEY_ID"),
            secret_access_key=self.env.get("MLPFORGE_S3_SECRET_ACCESS_KEY"),
        )

    def open(self) -> ExternalBlobs | None:
        return open_external(self.url, self.s3_options())

    def settings_kwargs(self) -> dict[str, str]:
        """The same, as keyword arguments of mlpforge.settings.Settings."""
        return {k.removeprefix("MLPFORGE_").lower(): v for k, v in self.env.items()}


def backend(kind: str, folder: Path, s3: S3Server | None) -> BlobBackend:
    """A fresh place for ``kind``'s blobs: a new folder, or a new prefix in the bucket."""
    if kind == "redis":
        return BlobBackend("redis")
    if kind == "file":
        folder.mkdir(parents=True, exist_ok=True)
        return BlobBackend("file", {"MLPFORGE_BLOB_URL": f"file://{folder}"})
    assert s3 is not None
    return BlobBackend(
        "s3",
        {
            "MLPFORGE_BLOB_URL": f"s3://{BUCKET}/run-{secrets.token_hex(4)}",
            "MLPFORGE_S3_ENDPOINT_URL": s3.endpoint,
            "MLPFORGE_S3_REGION": REGION,
            "MLPFORGE_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "MLPFORGE_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        },
    )
