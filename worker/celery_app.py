"""The worker's Celery app: shared config, the tasks, a heartbeat, and the reaper."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Mapping
from contextvars import Token
from typing import Any

from celery.signals import (
    celeryd_init,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_process_init,
    worker_ready,
    worker_shutdown,
)

from mlpforge import logging_setup
from mlpforge.log_context import bind, unbind
from mlpforge.queueing import CPU_QUEUE, TRAIN_TASK, make_celery
from mlpforge.search.controller import Controller
from mlpforge.settings import settings_or_exit
from store import workers
from store.connection import connect
from store.workers import HEARTBEAT_TTL_SECS, LiveWorker
from worker.blas_threads import limit_blas_threads
from worker.reaper import reap_once

log = logging.getLogger(__name__)

settings = settings_or_exit()
app = make_celery(settings)
app.conf.include = ["worker.tasks"]


# ---- logs (mlpforge.logging_setup) ---------------------------------------------------------


@setup_logging.connect
def _setup_logging(**_: Any) -> None:
    # Connected, this signal makes Celery leave logging alone: its loggers and ours write
    # through mlpforge's one handler, in MLPFORGE_LOG_FORMAT at MLPFORGE_LOG_LEVEL (which
    # the commands also pass as --loglevel).
    logging_setup.configure(settings.log_level, settings.log_format)


@celeryd_init.connect
def _log_from_the_start(
    instance: Any = None, options: Mapping[str, Any] | None = None, **_: Any
) -> None:
    # Sent before the worker's first words (a warning about running as root, say), which
    # would otherwise be raw text in a JSON log.
    logging_setup.configure(settings.log_level, settings.log_format)
    if settings.log_format == "json" and instance is not None:
        instance.quiet = True  # Celery's ASCII-art banner: not a log line
        log.info("worker %s starting", instance.hostname)
    # The command's --concurrency (None: Celery's default, the host's cores); the pool
    # processes, forked after this, inherit it.
    concurrency = (options or {}).get("concurrency") or len(os.sched_getaffinity(0))
    _pool["concurrency"] = int(concurrency)


# How many pool processes this worker runs (--concurrency), known before they are forked.
_pool: dict[str, int] = {"concurrency": 1}


@worker_process_init.connect
def _share_the_cores(**_: Any) -> None:
    limit_blas_threads(_pool["concurrency"])


_task_fields: dict[str, Token[Mapping[str, str]]] = {}


@task_prerun.connect
def _name_the_job(task_id: str = "", task: Any = None, args: Any = (), kwargs: Any = None,
                  **_: Any) -> None:  # fmt: skip
    """Every line of a training task, Celery's own "succeeded" or "raised" included, names
    the tenant, the job and the request that created it (mlpforge.log_context)."""
    if getattr(task, "name", None) != TRAIN_TASK or len(args) != 2:
        return
    tenant, job_id = (str(arg) for arg in args)
    request_id = (kwargs or {}).get("request_id")
    _task_fields[task_id] = bind(
        tenant=tenant, job_id=job_id, request_id=str(request_id) if request_id else None
    )


@task_postrun.connect
def _forget_the_job(task_id: str = "", **_: Any) -> None:
    token = _task_fields.pop(task_id, None)
    if token is not None:
        unbind(token)


# Well inside the heartbeat's TTL, so that a late round or two never makes a worker look dead.
HOUSEKEEPING_EVERY_SECS = HEARTBEAT_TTL_SECS / 4


def _queues(consumer: Any) -> tuple[str, ...]:
    """The queues this worker consumes (its -Q), read from Celery at every beat, so that a
    queue added or cancelled at run time (celery control add_consumer) shows at the next."""
    task_consumer = getattr(consumer, "task_consumer", None)
    names = sorted(queue.name for queue in getattr(task_consumer, "queues", None) or ())
    return tuple(names or sorted(app.amqp.queues.consume_from or (CPU_QUEUE,)))


class Housekeeping:
    """Beat (so the API knows this worker and its queues) and reap lost jobs, every round."""

    def __init__(self, hostname: str, consumer: Any) -> None:
        self._hostname = hostname
        self._consumer = consumer
        self._stop = threading.Event()
        self._beating: LiveWorker | None = None

    def run(self) -> None:
        client = connect(settings.redis_url, settings.redis_timeout_secs)
        while not self._stop.is_set():
            try:
                self._beat(client)
                reap_once(client, app, requeue_after_secs=settings.requeue_after_secs)
                Controller(client, app, settings).step_due()  # mlpforge.search
            except Exception:  # Redis away: try again next round; Celery reconnects on its own.
                log.debug("housekeeping round failed", exc_info=True)
            self._stop.wait(HOUSEKEEPING_EVERY_SECS)

    def _beat(self, client: Any) -> None:
        me = LiveWorker(self._hostname, _queues(self._consumer))
        if self._beating is not None and self._beating != me:
            workers.forget(client, self._beating)  # its queues changed: drop the old entry now
        workers.beat(client, me)
        self._beating = me

    def stop(self) -> None:
        self._stop.set()
        if self._beating is not None:
            with contextlib.suppress(Exception):
                workers.forget(
                    connect(settings.redis_url, settings.redis_timeout_secs), self._beating
                )


_housekeeping: list[Housekeeping] = []


@worker_ready.connect
def _start_housekeeping(sender: Any = None, **_: Any) -> None:
    # The sender is the worker's consumer: it knows the hostname and the queues consumed.
    hostname = getattr(sender, "hostname", None) or "worker"
    housekeeping = Housekeeping(hostname, sender)
    _housekeeping.append(housekeeping)
    threading.Thread(target=housekeeping.run, daemon=True).start()


@worker_shutdown.connect
def _stop_housekeeping(sender: Any = None, **_: Any) -> None:
    for housekeeping in _housekeeping:
        housekeeping.stop()
