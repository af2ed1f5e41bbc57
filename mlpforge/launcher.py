"""`make run` / `make api` / `make worker` / `make test`: make sure Redis answers, start the parts.

    python -m mlpforge.launcher run|api|worker|ensure-redis

Redis: if MLPFORGE_REDIS_URL does not answer, points at this machine, and `redis-server` is on
PATH, a private Redis is started with its data (AOF, fsync every second) under `.run/redis/`.
Ctrl-C or SIGTERM stops every process this launcher started, in reverse order.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import redis

from mlpforge.settings import get_settings

RUN_DIR = Path(".run")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def start_private_redis(url: str, *, daemonize: bool) -> subprocess.Popen[bytes] | None:
    """Start redis-server for a local URL; returns the child when it runs in the foreground."""
    parsed = urlparse(url)
    server = shutil.which("redis-server")
    if server is None or (parsed.hostname or "") not in LOCAL_HOSTS:
        sys.exit(
            f"Redis does not answer at {url} and no local redis-server can be started "
            "(install redis-server or set MLPFORGE_REDIS_URL)"
        )
    data_dir = (RUN_DIR / "redis").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [
        server,
        "--port",
        str(parsed.port or 6379),
        "--bind",
        parsed.hostname or "127.0.0.1",
        "--dir",
        str(data_dir),
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--save",
        "",
        "--daemonize",
        "yes" if daemonize else "no",
        "--logfile",
        str(data_dir / "redis.log"),
        "--pidfile",
        str(data_dir / "redis.pid"),
    ]
    print(f"mlpforge: starting a private redis-server at {url} (data in {data_dir})", flush=True)
    child = None if daemonize else subprocess.Popen(command)
    if daemonize:
        subprocess.run(command, check=True)
    for _ in range(100):
        if redis_answers(url):
            return child
        time.sleep(0.1)
    sys.exit(f"redis-server did not come up at {url}; see {data_dir / 'redis.log'}")


def worker_command() -> list[str]:
    concurrency = os.environ.get("MLPFORGE_WORKER_CONCURRENCY", "1")
    queues = os.environ.get("MLPFORGE_WORKER_QUEUES", "cpu")
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "worker.celery_app:app",
        "worker",
        "--loglevel",
        os.environ.get("MLPFORGE_LOG_LEVEL", "INFO"),
        "--concurrency",
        concurrency,
        "-Q",
        queues,
        "--without-gossip",
        "--without-mingle",
        "--hostname",
        f"{queues.replace(',', '+')}-{os.getpid()}@%h",
    ]


def api_command(host: str, port: str) -> list[str]:
    workers = os.environ.get("MLPFORGE_API_WORKERS", "1")
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "service.main:app",
        "--host",
        host,
        "--port",
        port,
        "--workers",
        workers,
        "--no-access-log",
    ]


def supervise(children: list[subprocess.Popen[bytes]]) -> int:
    """Wait until a child exits or we are told to stop; then stop them all."""
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for child in children:
            if child.poll() is not None:
                code = child.returncode or 0
                stopping = True
        time.sleep(0.2)
    for child in reversed(children):
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + 15
    for child in reversed(children):
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    return code


def main(argv: list[str]) -> int:
    mode = argv[1] if len(argv) > 1 else "run"
    if mode not in {"run", "api", "worker", "ensure-redis"}:
        print(__doc__)
        return 2
    settings = get_settings()
    children: list[subprocess.Popen[bytes]] = []
    if not redis_answers(settings.redis_url):
        child = start_private_redis(settings.redis_url, daemonize=mode == "ensure-redis")
        if child is not None:
            children.append(child)
    if mode == "ensure-redis":
        return 0
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
    if mode in {"run", "worker"}:
        children.append(subprocess.Popen(worker_command()))
    if mode in {"run", "api"}:
        children.append(subprocess.Popen(api_command(host, port)))
        shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
        print(
            f"\nmlpforge API:  http://{shown}:{port}/docs  (Swagger UI)\n"
            f"health:        http://{shown}:{port}/readyz\n",
            flush=True,
        )
    return supervise(children)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
