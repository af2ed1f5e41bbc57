"""``python -m worker.healthcheck``: exit 0 iff this host's Celery worker beats in Redis.

A worker's housekeeping thread (worker.celery_app) writes a heartbeat every few seconds under
its node name (``cpu@<hostname>``), and `store.workers.live` lists those that beat within the
heartbeat's TTL. This check passes when one of them runs on this host: Docker runs it inside
the worker's container, whose hostname is the container's own, so with
``docker compose up --scale worker=N`` each container vouches for its own worker, not for
"some worker somewhere". A worker that hangs, lost Redis or never finished starting stops
beating, and the check fails within the TTL.

Exit status, as Docker's HEALTHCHECK reads it: 0 healthy, 1 unhealthy (never 2, which Docker
reserves). One line on stdout says why.
"""

from __future__ import annotations

import argparse
import socket
import sys

import redis
from pydantic import ValidationError

from mlpforge.settings import Settings
from store.connection import connect
from store.workers import HEARTBEAT_TTL_SECS, LiveWorker, live

HEALTHY, UNHEALTHY = 0, 1


def node_host(nodename: str) -> str:
    """The host part of a Celery node name: ``cpu@abc123`` → ``abc123``."""
    return nodename.rpartition("@")[2]


def mine(workers: list[LiveWorker], host: str, queues: list[str]) -> list[LiveWorker]:
    """The live workers that run on ``host`` and consume every queue of ``queues``."""
    return [
        worker
        for worker in workers
        if node_host(worker.hostname) == host and set(queues) <= set(worker.queues)
    ]


def check(host: str, queues: list[str]) -> tuple[int, str]:
    try:
        settings = Settings()
    except ValidationError as error:
        return UNHEALTHY, f"unhealthy: invalid configuration ({error.error_count()} error(s))"
    try:
        workers = live(connect(settings.redis_url, settings.redis_timeout_secs))
    except redis.RedisError as error:
        return UNHEALTHY, f"unhealthy: Redis does not answer ({type(error).__name__})"
    found = mine(workers, host, queues)
    if not found:
        wanted = f" consuming {','.join(queues)}" if queues else ""
        return UNHEALTHY, (
            f"unhealthy: no worker on {host}{wanted} beat in the last {HEARTBEAT_TTL_SECS:g} s "
            f"({len(workers)} live worker(s) elsewhere)"
        )
    names = ", ".join(sorted(worker.hostname for worker in found))
    return HEALTHY, f"healthy: {names} beats"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m worker.healthcheck",
        description="Exit 0 iff a worker on this host has a fresh heartbeat in Redis.",
    )
    parser.add_argument(
        "--host",
        default=socket.gethostname(),
        help="the host part of the worker's node name (default: this host, as Celery's %%h)",
    )
    parser.add_argument(
        "--queue",
        action="append",
        default=[],
        help="also require that the worker consumes this queue (repeatable)",
    )
    args = parser.parse_args(argv)
    status, message = check(args.host, args.queue)
    print(message, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
