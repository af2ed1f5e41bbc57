"""Stepping a search from a worker: after one of its trials, and in every housekeeping round
(worker.celery_app) — see mlpforge.search.controller."""

from __future__ import annotations

import logging

from mlpforge.search.controller import Controller
from mlpforge.settings import get_settings
from store import Store
from store.connection import connect
from worker.celery_app import app

log = logging.getLogger(__name__)


def step_search_of(tenant: str, job_id: str) -> None:
    """Step the search the job is a trial of, if any; never fails the task."""
    settings = get_settings()
    try:
        client = connect(settings.redis_url, settings.redis_timeout_secs)
        job = Store(client, tenant).jobs.get(job_id)
    except Exception:
        log.debug("reading job %s after its task failed", job_id, exc_info=True)
        return
    if job is None or job.search_id is None:
        return
    Controller(client, app, settings).step_quietly(tenant, job.search_id)
