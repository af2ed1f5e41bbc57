"""The worker's Celery app: shared config, the tasks, a heartbeat, and the reaper."""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

from celery.signals import worker_ready, worker_shutdown

from mlpforge.queueing import make_celery
from mlpforge.settings import settings_or_exit
from store import workers
from store.connection import connect
from worker.reaper import reap_once

log = logging.getLogger(__name__)

settings = settings_or_exit()
app = make_celery(settings)
app.conf.include = ["worker.tasks"]

HOUSEKEEPING_EVERY_SECS = 3.0
_stop = threading.Event()


def _housekeeping(hostname: str) -> None:
    """Beat (so /readyz counts this worker) and reap jobs whose workers died."""
    client = connect(settings.redis_url, settings.redis_timeout_secs)
    while not _stop.is_set():
        try:
            workers.beat(client, hostname, ttl_secs=int(HOUSEKEEPING_EVERY_SECS * 4))
            reap_once(client, app)
        except Exception:  # Redis away: try again next round; Celery reconnects on its own.
            log.debug("housekeeping round failed", exc_info=True)
        _stop.wait(HOUSEKEEPING_EVERY_SECS)


@worker_ready.connect
def _start_housekeeping(sender: Any = None, **_: Any) -> None:
    hostname = getattr(sender, "hostname", None) or "worker"
    threading.Thread(target=_housekeeping, args=(hostname,), daemon=True).start()


@worker_shutdown.connect
def _stop_housekeeping(sender: Any = None, **_: Any) -> None:
    _stop.set()
    hostname = getattr(sender, "hostname", None)
    if hostname:
        with contextlib.suppress(Exception):
            workers.forget(connect(settings.redis_url, settings.redis_timeout_secs), hostname)
