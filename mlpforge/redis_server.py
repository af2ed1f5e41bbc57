"""A private `redis-server` child: for `make run` when no Redis answers, and for tests and
benchmarks, which never touch a Redis they did not start.

One definition of how this project starts Redis, so the launcher, the tests (`tests/conftest.py`)
and the benchmarks (`bench/harness.py`) cannot drift apart.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str, timeout: float = 1.0) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        with client:
            return bool(client.ping())
    except redis.RedisError:
        return False


class RedisServer:
    """`redis-server` in the foreground as a child process, with its files in ``data_dir``.

    ``persistent``: AOF with fsync every second (what `make run` and the compose file use);
    otherwise nothing is written to disk. ``extra`` arguments are passed through
    (``--maxmemory 3mb``, say). `start` and `stop` may alternate: the same port and files.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        data_dir: Path | None = None,
        host: str = "127.0.0.1",
        persistent: bool = False,
        extra: tuple[str, ...] = (),
    ) -> None:
        self.host = host
        self.port = port or free_port()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="mlpforge-redis-")
            data_dir = Path(self._tmp.name)
        self.data_dir = data_dir.resolve()
        self.persistent = persistent
        self.extra = extra
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL of database 0."""
        return f"redis://{self.host}:{self.port}/0"

    @property
    def base_url(self) -> str:
        """The URL without a database, for callers that pick one (``f"{base_url}/3"``)."""
        return f"redis://{self.host}:{self.port}"

    def command(self) -> list[str]:
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("redis-server is not on PATH (Debian: apt-get install redis-server)")
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "everysec"]
            if self.persistent
            else ["--appendonly", "no"]
        )
        return [
            server,
            "--port", str(self.port),
            "--bind", self.host,
            "--dir", str(self.data_dir),
            "--save", "",
            *persistence,
            "--logfile", str(self.data_dir / "redis.log"),
            *self.extra,
        ]  # fmt: skip

    def start(self, timeout: float = 20.0) -> RedisServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # Its own session: a Ctrl-C meant for the launcher must not kill Redis before the
        # workers and the API have stopped writing to it.
        self.popen = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if answers(self.url, timeout=0.5):
                return self
            if self.popen.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        log = self.data_dir / "redis.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"redis-server did not come up at {self.url}:\n{tail}")

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self.popen = None

    def close(self) -> None:
        self.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
