"""The loop that delivers job callbacks, one in every API process.

It takes the next due job from the outbox (store.callbacks.claim: one process per callback),
POSTs the job's public body — the very body ``GET /v1/jobs/{id}`` answers, less the ``callback``
field — signed with the tenant's secret (mlpforge.webhooks), and records the outcome on the job
with the next due time: network errors, timeouts, 408, 429 and 5xx are retried after
``MLPFORGE_CALLBACK_RETRY_SECS``, then 3 times longer each time, up to
``MLPFORGE_CALLBACK_MAX_ATTEMPTS`` attempts (15 s and 5: 15 s, 45 s, 2¼ min, 6¾ min, ten minutes
in all); any other answer ends it. A job's training never waits for any of this: its final
status was written first, and the callback is delivered afterwards, from here.

Delivered from the API rather than the workers: the body is the API's own public shape, the
signing secrets stay with the API's configuration, and a slow receiver costs an `await`, not a
thread. At least once: a process that dies mid-delivery leaves the callback to be claimed again
after `LEASE_SECS`; receivers deduplicate with ``X-Mlpforge-Delivery``.
"""

from __future__ import annotations

import asyncio
import logging
import random

import httpx
import orjson
import redis

from mlpforge import __version__
from mlpforge.blob_config import blob_store
from mlpforge.log_context import bound
from mlpforge.settings import Settings
from mlpforge.webhooks import SIGNATURE_HEADER, sign
from service.callbacks.delivery import Attempt, attempt, new_client
from service.callbacks.policy import allowed_entry, refusal
from service.callbacks.target import parse_callback_url
from service.schemas import job_public
from store import Store
from store import callbacks as outbox
from store.loop_task import LoopTask
from store.records import CallbackState, CallbackStatus, JobRecord

log = logging.getLogger("mlpforge.callbacks")

POLL_SECS = 1.0
# Longer than one attempt can take (delivery.TOTAL_SECS) plus recording its outcome.
LEASE_SECS = 60.0
CONCURRENCY = 8  # deliveries in flight per process
BACKOFF_FACTOR = 3
JITTER = 0.1  # ± 10 %, so that callbacks failed together are not retried together


class CallbackDrainer:
    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self._task = LoopTask(self._run, name="callback-drainer", on_new_loop=lambda: None)

    def start(self) -> None:
        self._task.ensure()

    async def aclose(self) -> None:
        await self._task.aclose()

    async def _run(self) -> None:
        slots = asyncio.Semaphore(CONCURRENCY)
        in_flight: set[asyncio.Task[None]] = set()
        http = new_client()
        try:
            while True:
                await slots.acquire()
                try:
                    claimed = await asyncio.to_thread(
                        outbox.claim, self._client, lease_secs=LEASE_SECS
                    )
                except redis.RedisError as error:  # an outage: the API answers 503 meanwhile
                    log.debug("callback outbox unreadable: %s", error)
                    claimed = None
                except Exception:  # the loop must outlive any one failure
                    log.exception("callback outbox: claim failed")
                    claimed = None
                if claimed is None:
                    slots.release()
                    await asyncio.sleep(POLL_SECS)
                    continue
                task = asyncio.create_task(self._deliver(http, *claimed, slots))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
        finally:
            # Cut short at shutdown: each one is claimed again once its lease runs out.
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
            await http.aclose()

    async def _deliver(
        self, http: httpx.AsyncClient, tenant: str, job_id: str, slots: asyncio.Semaphore
    ) -> None:
        try:
            store = Store(
                self._client, tenant, self._settings.job_retention_secs, blob_store(self._settings)
            )
            job = await asyncio.to_thread(store.jobs.get, job_id)
            if job is None or job.callback_url is None:
                await asyncio.to_thread(self._drop, tenant, job_id)  # the job was deleted
                return
            with bound(request_id=job.request_id, tenant=tenant, job_id=job_id):
                await self._deliver_job(http, store, job)
        except Exception:
            # Its claim lapses and the callback is tried again: nothing is lost.
            log.exception("callback of job %s: delivery interrupted", job_id)
        finally:
            slots.release()

    async def _deliver_job(self, http: httpx.AsyncClient, store: Store, job: JobRecord) -> None:
        number = (job.callback.attempts if job.callback else 0) + 1
        result = await self._attempt(http, store.tenant, job, number)
        retry = result.outcome == "retry" and number < self._settings.callback_max_attempts
        status: CallbackStatus = "pending" if retry else "failed"
        if result.outcome == "delivered":
            status = "delivered"
        state = CallbackState(
            status=status,
            attempts=number,
            last_status_code=result.status_code,
            last_error=result.error,
        )
        delay = self._backoff(number) if retry else None
        try:
            await asyncio.to_thread(self._record, store, job.id, state, delay)
        except KeyError:
            await asyncio.to_thread(self._drop, store.tenant, job.id)  # deleted meanwhile
            return
        where = _shown(job.callback_url)
        if state.status == "delivered":
            log.info(
                "callback delivered to %s (attempt %d)",
                where,
                number,
                extra={"status": result.status_code},
            )
        elif delay is not None:
            log.warning(
                "callback to %s failed (attempt %d): %s; next attempt in %.1f s",
                where,
                number,
                result.error,
                delay,
            )
        else:
            log.warning(
                "callback to %s failed for good after %d attempt(s): %s",
                where,
                number,
                result.error,
            )

    async def _attempt(
        self, http: httpx.AsyncClient, tenant: str, job: JobRecord, number: int
    ) -> Attempt:
        assert job.callback_url is not None
        try:
            target = parse_callback_url(job.callback_url)
        except ValueError as error:
            return Attempt("failed", error=f"callback_url {error}")
        refused = refusal(target, tenant, self._settings)
        entry = allowed_entry(target, self._settings.callback_host_table())
        if refused is not None or entry is None:
            return Attempt("failed", error=refused)
        public = job_public(job).model_dump(mode="json", exclude={"callback"})
        body = orjson.dumps(public)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"mlpforge/{__version__} (job callbacks)",
            SIGNATURE_HEADER: sign(self._settings.callback_secret_table()[tenant], body),
            # The same for every attempt at this job's callback: receivers deduplicate with it.
            "X-Mlpforge-Delivery": job.id,
            "X-Mlpforge-Attempt": str(number),
        }
        if job.request_id is not None:
            headers["X-Request-ID"] = job.request_id
        return await attempt(http, target, entry, body, headers)

    def _backoff(self, attempts: int) -> float:
        base = self._settings.callback_retry_secs * BACKOFF_FACTOR ** (attempts - 1)
        return base * random.uniform(1 - JITTER, 1 + JITTER)

    def _record(self, store: Store, job_id: str, state: CallbackState, delay: float | None) -> None:
        retry_at = None if delay is None else outbox.server_time(self._client) + delay
        store.jobs.record_callback(job_id, state, retry_at=retry_at)

    def _drop(self, tenant: str, job_id: str) -> None:
        with self._client.pipeline(transaction=False) as pipe:
            outbox.drop(pipe, tenant, job_id)
            pipe.execute()


def _shown(url: str | None) -> str:
    try:
        return parse_callback_url(url or "").shown
    except ValueError:
        return "an invalid URL"
