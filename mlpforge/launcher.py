"""`make run` / `make api` / `make worker`: make sure Redis answers, then start and supervise.

    python -m mlpforge.launcher run|api|worker

Redis: if MLPFORGE_REDIS_URL does not answer, points at this machine, and `redis-server` is on
PATH, a private Redis is started with its data (AOF, fsync every second) under `.run/redis/`.
The launcher says which Redis it uses and whether it started it.

Logs: the launcher's own lines go to stdout, as ``mlpforge: …`` or, with
``MLPFORGE_LOG_FORMAT=json``, as JSON lines; its children read the same settings and log the
same way (mlpforge.logging_setup).

Supervision: a child that dies (a crash, `kill -9`, the OOM killer) is restarted with
exponential backoff and each restart is logged; the others keep running, so the API stays up
whatever happens to the worker. Ctrl-C or SIGTERM stops every process this launcher started:
the API, then the worker, then the private Redis.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

from mlpforge import logging_setup, metrics_dir
from mlpforge.redis_server import RedisServer, answers
from mlpforge.settings import settings_or_exit
from mlpforge.supervisor import Child, Supervisor

RUN_DIR = Path(".run")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


log = logging.getLogger("mlpforge.launcher")


def say(message: str) -> None:
    log.info(message)


def shown_url(url: str) -> str:
    """The URL without its password, for printing."""
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    return url.replace(f":{parsed.password}@", ":***@", 1)


def private_redis(url: str) -> RedisServer:
    """The Redis `make run` starts when none answers at ``url`` (a local one only)."""
    parsed = urlparse(url)
    host = parsed.hostname or "127.0.0.1"
    if host not in LOCAL_HOSTS:
        sys.exit(
            f"mlpforge: Redis does not answer at {shown_url(url)}, which is not on this machine; "
            "start it or set MLPFORGE_REDIS_URL"
        )
    return RedisServer(
        port=parsed.port or 6379,
        host="127.0.0.1" if host in {"localhost", ""} else host,
        data_dir=RUN_DIR / "redis",
        persistent=True,
    )


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


def main(argv: list[str]) -> int:
    mode = argv[1] if len(argv) > 1 else "run"
    if mode not in {"run", "api", "worker"}:
        print(__doc__)
        return 2
    settings = settings_or_exit()
    logging_setup.configure(settings.log_level, settings.log_format)
    logging_setup.launcher_logger(settings.log_level, settings.log_format)
    supervisor = Supervisor(say)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, _frame: supervisor.request_stop(signum))
    url = shown_url(settings.redis_url)
    if answers(settings.redis_url):
        say(f"using the Redis at {url} (already running; not started or stopped by mlpforge)")
    else:
        server = private_redis(settings.redis_url)
        say(f"no Redis answers at {url}: starting a private one (data in {server.data_dir})")
        server.data_dir.mkdir(parents=True, exist_ok=True)  # redis-server refuses a missing dir
        supervisor.add(Child("redis", server.command(), ready=lambda: answers(settings.redis_url)))
        supervisor.start_all()
        if not supervisor.wait_ready("redis", timeout=20):
            supervisor.stop()
            sys.exit(f"mlpforge: redis-server did not come up; see {server.data_dir}/redis.log")
        say(f"using the private Redis at {url}, started by mlpforge; it stops with mlpforge")
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
    if mode in {"run", "worker"}:
        supervisor.add(Child("worker", worker_command()))
    metrics_folder = metrics_dir.prepare(RUN_DIR) if mode in {"run", "api"} else None
    if mode in {"run", "api"}:
        supervisor.add(Child("api", api_command(host, port)))
    supervisor.start_all()
    if mode in {"run", "api"}:
        shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host
        if settings.log_format == "text":
            print(
                f"\nmlpforge API:  http://{shown}:{port}/docs  (Swagger UI)\n"
                f"dashboard:     http://{shown}:{port}/\n"
                f"health:        http://{shown}:{port}/readyz\n",
                flush=True,
            )
        else:  # one event, like every other line
            say(
                f"API at http://{shown}:{port}/docs (Swagger UI), dashboard at "
                f"http://{shown}:{port}/, health at /readyz"
            )
    supervisor.run()
    metrics_dir.remove(metrics_folder)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except subprocess.SubprocessError as error:
        sys.exit(f"mlpforge: {error}")
