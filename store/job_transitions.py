"""Job transitions: every change of a job's status, fenced against stale workers.

Every change goes through `_change`, an optimistic (WATCH/MULTI) read-modify-write, so the
API and a worker can never overwrite each other's transition. A worker's writes carry its
`attempt` number as a fencing token: once another worker has taken the job over, the stale
one's writes are refused with `StaleWorker`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
import redis

from store import callbacks
from store.blobs import ExternalBlobs
from store.checkpoint_blobs import Checkpoints, Staged
from store.ids import utcnow
from store.keys import (
    TenantKeys,
    due_searches,
    job_member,
    jobs_finished_counts,
    queued_jobs,
    running_jobs,
)
from store.records import FINISHED, CallbackState, Evaluation, JobError, JobRecord, JobStatus

# Holds the most recent events of a job; SSE readers replay from here.
EVENTS_MAXLEN = 100_000

# Extend a lease only while it still holds this attempt's token.
_RENEW_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class StaleWorker(Exception):
    """This worker no longer owns the job (another attempt took it over)."""


class LeaseHeld(Exception):
    """Another worker holds a live lease on this job: a duplicate delivery must not train it."""


class TransitionRefused(Exception):
    """The job is not in a state that allows the requested change."""

    def __init__(self, job: JobRecord) -> None:
        super().__init__(f"job {job.id} is {job.status}")
        self.job = job


Mutation = Callable[[JobRecord], JobRecord]
# Extra commands for the same MULTI, given the pipeline and the record being written.
PipeWork = Callable[[Any, JobRecord], None]


class JobTransitions:
    """One tenant's jobs as a state machine. ``retention_secs``: how long a finished job's
    history and events are kept (0: for ever); its record stays until deleted."""

    def __init__(
        self,
        client: redis.Redis,
        keys: TenantKeys,
        retention_secs: int = 0,
        blobs: ExternalBlobs | None = None,
    ) -> None:
        self._r = client
        self._k = keys
        self._retention = retention_secs
        self._checkpoints = Checkpoints(client, keys, blobs)

    def get(self, job_id: str) -> JobRecord | None:
        raw = self._r.get(self._k.job(job_id))
        return JobRecord.model_validate_json(raw) if raw else None

    def _change(
        self,
        job_id: str,
        mutate: Mutation,
        extra: PipeWork | None = None,
        watch: Iterable[str] = (),
    ) -> JobRecord:
        key = self._k.job(job_id)
        with self._r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key, *watch)
                    raw = pipe.get(key)
                    if raw is None:
                        raise KeyError(job_id)
                    job = mutate(JobRecord.model_validate_json(raw))
                    pipe.multi()
                    pipe.set(key, job.model_dump_json())
                    if extra is not None:
                        extra(pipe, job)
                    pipe.execute()
                    return job
                except redis.WatchError:
                    continue

    def start(self, job_id: str, *, lease_secs: int, device: str | None = None) -> JobRecord:
        """queued/running → running as a new attempt, holding the job's lease.

        The attempt number is the fencing token. A running job whose lease is still alive
        belongs to a live worker: a duplicate delivery gets `LeaseHeld` and must not train.
        ``device``: what this attempt trains on ("cpu" or "gpu"), shown as the job's device.
        """
        lease_key = self._k.job_lease(job_id)

        def mutate(job: JobRecord) -> JobRecord:
            if job.finished:
                raise TransitionRefused(job)
            if job.status == "running" and self._r.exists(lease_key):
                raise LeaseHeld(job_id)
            update: dict[str, Any] = {
                "status": "running",
                "attempts": job.attempts + 1,
                "started_at": job.started_at or utcnow(),
            }
            if device is not None:
                update["device"] = device
            return job.model_copy(update=update)

        def set_lease(pipe: Any, job: JobRecord) -> None:
            # The lease holds the new attempt number, the job's fencing token.
            pipe.set(lease_key, str(job.attempts), ex=lease_secs)
            pipe.sadd(running_jobs(), job_member(self._k.tenant, job_id))
            pipe.zrem(queued_jobs(), job_member(self._k.tenant, job_id))

        return self._change(job_id, mutate, set_lease, watch=(lease_key,))

    def renew_lease(self, job_id: str, *, attempt: int, lease_secs: int) -> bool:
        """Extend this attempt's lease; False once it is lost (expired or taken over)."""
        renew = self._r.register_script(_RENEW_LUA)
        return bool(renew(keys=[self._k.job_lease(job_id)], args=[str(attempt), lease_secs]))

    def record_epoch(
        self,
        job_id: str,
        *,
        attempt: int,
        entry: dict[str, Any],
        progress: float,
        checkpoint: bytes | None,
    ) -> JobRecord:
        """Epoch k's history entry, event, job fields and checkpoint land together or not at all.

        An epoch already recorded (a resumed run recomputes it bit for bit) is not added twice,
        and does not move the job's epoch, progress and metrics back.
        """
        epoch = int(entry["epoch"])
        history_key = self._k.job_history(job_id)
        payload = orjson.dumps(entry)
        # The job's latest metrics: the entry less its bookkeeping.
        metrics = {k: v for k, v in entry.items() if k not in ("epoch", "seconds")}

        def mutate(job: JobRecord) -> JobRecord:
            if job.attempts != attempt:
                raise StaleWorker(job_id)
            if job.status != "running":
                raise TransitionRefused(job)
            if epoch <= job.epoch:
                return job
            return job.model_copy(update={"epoch": epoch, "progress": progress, "metrics": metrics})

        def extra(pipe: Any, _job: JobRecord) -> None:
            if known < epoch:
                pipe.rpush(history_key, payload)
                pipe.xadd(
                    self._k.job_events(job_id),
                    {"type": "progress", "data": payload},
                    id=f"{epoch}-0",
                    maxlen=EVENTS_MAXLEN,
                    approximate=True,
                )
            if staged is not None:
                self._checkpoints.make_current(pipe, job_id, staged)

        known = int(self._r.llen(history_key))
        staged, previous = self._stage(job_id, attempt, checkpoint)
        return self._fenced(job_id, staged, previous, mutate, extra, watch=(history_key,))

    def _stage(
        self, job_id: str, attempt: int, checkpoint: bytes | None
    ) -> tuple[Staged | None, str | None]:
        """The checkpoint ready for the transaction, and the blob it replaces."""
        if checkpoint is None:
            return None, None
        previous = self._checkpoints.current_blob(job_id)
        return self._checkpoints.stage(job_id, attempt, checkpoint), previous

    def _fenced(
        self,
        job_id: str,
        staged: Staged | None,
        previous: str | None,
        mutate: Mutation,
        extra: PipeWork,
        watch: Iterable[str] = (),
    ) -> JobRecord:
        """`_change` with a staged checkpoint: its blob is removed if the transaction is
        refused (a stale attempt), the one it replaced once it is current."""
        try:
            job = self._change(job_id, mutate, extra, watch=watch)
        except BaseException:
            self._checkpoints.discard(None if staged is None else staged.blob)
            raise
        if staged is not None and staged.blob is not None and previous != staged.blob:
            self._checkpoints.discard(previous)
        return job

    def save_checkpoint(self, job_id: str, *, attempt: int, checkpoint: bytes) -> None:
        """A checkpoint taken inside a long epoch, written only while this attempt owns the job."""

        def mutate(job: JobRecord) -> JobRecord:
            if job.attempts != attempt:
                raise StaleWorker(job_id)
            if job.status != "running":
                raise TransitionRefused(job)
            return job

        def extra(pipe: Any, _job: JobRecord) -> None:
            if staged is not None:
                self._checkpoints.make_current(pipe, job_id, staged)

        staged, previous = self._stage(job_id, attempt, checkpoint)
        self._fenced(job_id, staged, previous, mutate, extra)

    def finish(
        self,
        job_id: str,
        *,
        status: JobStatus,
        attempt: int | None,
        model_id: str | None = None,
        error: JobError | None = None,
        evaluation: Evaluation | None = None,
        converged: bool | None = None,
        warnings: Sequence[str] = (),
    ) -> JobRecord:
        """Move to a final status (once), publish the final event, drop transient state.

        One MULTI: the final status, the final event (its id sorts after every progress event
        of the job), the removal of transient state and the retention of history and events.
        ``attempt`` None is the API acting on a job no worker holds (a queued cancel).
        A succeeded job also gets its ``evaluation`` and ``converged``; ``warnings`` are added
        to the job's. A job with a ``callback_url`` enters the callback outbox in the same
        MULTI (store.callbacks): its callback is sent whoever finished it, and never lost.
        A search's trial makes its search due in the same MULTI (mlpforge.search).
        """
        assert status in FINISHED

        def mutate(job: JobRecord) -> JobRecord:
            if attempt is not None and job.attempts != attempt:
                raise StaleWorker(job_id)
            if job.finished:
                raise TransitionRefused(job)
            if attempt is None and job.status != "queued":
                raise TransitionRefused(job)
            update: dict[str, Any] = {
                "status": status,
                "finished_at": utcnow(),
                "model_id": model_id,
                "error": error,
                "evaluation": evaluation,
                "converged": converged,
                "warnings": [*job.warnings, *warnings],
            }
            if status == "succeeded":
                update["progress"] = 1.0
            if job.callback_url is not None:
                update["callback"] = CallbackState()
            return job.model_copy(update=update)

        events_key = self._k.job_events(job_id)
        history_key = self._k.job_history(job_id)

        def extra(pipe: Any, job: JobRecord) -> None:
            pipe.xadd(
                events_key,
                {"type": "status", "data": orjson.dumps({"status": job.status})},
                id=f"{job.epoch}-1",
            )
            if self._retention > 0:
                pipe.expire(events_key, self._retention)
                pipe.expire(history_key, self._retention)
            self._checkpoints.drop(pipe, job_id)
            pipe.delete(self._k.job_cancel(job_id), self._k.job_lease(job_id))
            member = job_member(self._k.tenant, job_id)
            pipe.srem(self._k.active_jobs(), job_id)
            pipe.srem(running_jobs(), member)
            pipe.zrem(queued_jobs(), member)
            pipe.hincrby(jobs_finished_counts(), job.status, 1)  # for /metrics
            if job.callback_url is not None:
                callbacks.enqueue(pipe, self._k.tenant, job_id)
            if job.search_id is not None:
                # Its search is due at once (XX: never brings back a finished search), whoever
                # finished the trial: the controller never misses a trial's end.
                pipe.zadd(due_searches(), {job_member(self._k.tenant, job.search_id): 0}, xx=True)

        checkpoint = self._checkpoints.current_blob(job_id)
        job = self._change(job_id, mutate, extra)
        self._checkpoints.discard(checkpoint)  # after the transaction that forgot it
        return job

    def record_callback(
        self, job_id: str, state: CallbackState, *, retry_at: float | None
    ) -> JobRecord:
        """One delivery attempt's outcome and what follows, together: another attempt at
        ``retry_at`` (Redis server time), or none (delivered, or given up). KeyError once the
        job is deleted."""

        def mutate(job: JobRecord) -> JobRecord:
            return job.model_copy(update={"callback": state})

        def extra(pipe: Any, _job: JobRecord) -> None:
            if retry_at is None:
                callbacks.drop(pipe, self._k.tenant, job_id)
            else:
                callbacks.schedule(pipe, self._k.tenant, job_id, retry_at)

        return self._change(job_id, mutate, extra)

    def request_cancel(self, job_id: str) -> JobRecord:
        """A queued job is cancelled at once; a running one is flagged for its worker."""
        job = self.get(job_id)
        if job is None:
            raise KeyError(job_id)
        if job.status == "queued":
            try:
                return self.finish(job_id, status="cancelled", attempt=None)
            except TransitionRefused as refused:
                job = refused.job  # a worker took it meanwhile: flag it below
        if job.finished:
            raise TransitionRefused(job)
        self._r.set(self._k.job_cancel(job_id), b"1", ex=7 * 24 * 3600)
        return job
