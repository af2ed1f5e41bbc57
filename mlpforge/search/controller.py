"""Who steps a search, and when: whoever notices first, one at a time.

A search lives in Redis only; no process owns it. Every unfinished search is in one sorted set
(`store.keys.due_searches`) scored by when it is next due. It is stepped (mlpforge.search.step)

* by the API, when it is created (its first trials are queued before the 202) and cancelled;
* by the worker that finished one of its trials, right after (the transaction that finished
  the job also made the search due at once, so a worker killed in between loses nothing);
* by every worker's housekeeping round (every few seconds) for each search that is due —
  the safety net that makes a search outlive any worker or API process.

A step holds the search's lease (a few seconds, SET NX) so that two processes never step one
search at once, and its write is fenced by the record's version besides. Before stepping, the
search is made due again `STEP_EVERY_SECS` later; a trial that ends meanwhile makes it due at
once, which the stepper sees when it lets go, and steps again.
"""

from __future__ import annotations

import logging
import secrets

import redis
from celery import Celery

from mlpforge.blob_config import blob_store
from mlpforge.search.step import Step
from mlpforge.settings import Settings
from store import Store, queued, search_steps
from store.search_records import SearchRecord
from store.searches import StaleStep

log = logging.getLogger(__name__)

STEP_EVERY_SECS = 5.0
LEASE_SECS = 30.0
# Steps in a row for one search while trials keep ending as it is being stepped.
MAX_ROUNDS = 5
# Searches one housekeeping round looks at, oldest due first.
DUE_BATCH = 100


class Controller:
    def __init__(self, client: redis.Redis, queue: Celery, settings: Settings) -> None:
        self._client = client
        self._queue = queue
        self._settings = settings

    def step_due(self) -> int:
        """Step every search that is due; returns how many were stepped."""
        now = queued.server_time(self._client)
        due = search_steps.due(self._client, now=now, limit=DUE_BATCH)
        for tenant, search_id in due:
            self.step(tenant, search_id)
        return len(due)

    def step(self, tenant: str, search_id: str) -> SearchRecord | None:
        """Step the search unless another process is stepping it; its record as last seen."""
        token = secrets.token_hex(8)
        record = None
        for _ in range(MAX_ROUNDS):
            if not search_steps.claim(self._client, tenant, search_id, token, LEASE_SECS):
                return record
            try:
                later = queued.server_time(self._client) + STEP_EVERY_SECS
                search_steps.schedule(self._client, tenant, search_id, later)
                record = self._step_once(tenant, search_id)
            finally:
                search_steps.release(self._client, tenant, search_id, token)
            if search_steps.due_at(self._client, tenant, search_id) != 0:
                return record  # finished, or nothing ended while it was being stepped
        return record

    def _step_once(self, tenant: str, search_id: str) -> SearchRecord | None:
        store = Store(
            self._client,
            tenant,
            job_retention_secs=self._settings.job_retention_secs,
            blobs=blob_store(self._settings),
        )
        try:
            record = Step(store, self._queue, max_active_jobs=self._settings.max_active_jobs).run(
                search_id
            )
        except StaleStep:
            return store.searches.get(search_id)
        except KeyError:
            record = None  # deleted while being stepped
        if record is None:
            search_steps.forget(self._client, tenant, search_id)
        return record

    def step_quietly(self, tenant: str, search_id: str) -> SearchRecord | None:
        """`step`, for callers whose own work must not fail with it (a finished training
        task, an API request): an error is logged, and the next housekeeping round retries."""
        try:
            return self.step(tenant, search_id)
        except Exception:
            log.exception(
                "stepping search %s of tenant %s failed; retried shortly", search_id, tenant
            )
            return None
