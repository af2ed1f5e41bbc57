"""The worker's Celery app: shared config, the tasks, and a heartbeat the API can count."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from celery.signals import worker_ready, worker_shutdown

from mlpforge.queueing import make_celery
from mlpforge.settings import get_settings
from store import workers
from store.connection import connect

settings = get_settings()
app = make_celery(settings)
app.conf.include = ["worker.tasks"]

HEARTBEAT_EVERY_SECS = 5.0
_stop_beating = threading.Event()


def _beat_forever(hostname: str) -> None:
    client = connect(settings.redis_url, settings.redis_timeout_secs)
    while not _stop_beating.is_set():
        # Redis away: keep trying; the worker itself reconnects too.
        with contextlib.suppress(Exception):
            workers.beat(client, hostname, ttl_secs=int(HEARTBEAT_EVERY_SECS * 3))
        _stop_beating.wait(HEARTBEAT_EVERY_SECS)


@worker_ready.connect
def _start_heartbeat(sender: Any = None, **_: Any) -> None:
    hostname = getattr(sender, "hostname", None) or "worker"
    threading.Thread(target=_beat_forever, args=(hostname,), daemon=True).start()


@worker_shutdown.connect
def _stop_heartbeat(sender: Any = None, **_: Any) -> None:
    _stop_beating.set()
    hostname = getattr(sender, "hostname", None)
    if hostname:
        with contextlib.suppress(Exception):
            workers.forget(connect(settings.redis_url, settings.redis_timeout_secs), hostname)
