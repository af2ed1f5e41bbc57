"""One step of a search: read where it stands, take in its finished trials, decide what runs
next, write it all back in one fenced MULTI, then create and queue the new trial jobs.

A step is idempotent: it derives everything from Redis (the record, the jobs it has in
flight, the results) and changes nothing unless its write lands, so running it again — after
a crash, by another process, or for no reason — is harmless. The order of effects keeps every
crash recoverable: a trial's job id is written into the search before its job exists; a job
that exists is never created twice (`JobExists`); a job queued without its task message is
sent again by the reaper (worker.reaper), as any job is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from celery import Celery

from mlpforge.queueing import send_training
from mlpforge.search import allocation, leaderboard
from mlpforge.search.trials import job_of, result_of
from store import Store, TooManyActiveJobs, TransitionRefused
from store.ids import utcnow
from store.jobs import JobExists
from store.records import JobError, JobStatus
from store.search_records import SearchRecord, SearchState, TrialResult
from store.searches import SearchEvent, event_body

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What a step found and decided, before it is written."""

    state: SearchState
    results: list[TrialResult]
    status: JobStatus | None = None  # the search's final status, once decided
    error: JobError | None = None


class Step:
    def __init__(self, store: Store, queue: Celery, *, max_active_jobs: int) -> None:
        self._store = store
        self._searches = store.searches
        self._queue = queue
        self._max_active = max_active_jobs

    def run(self, search_id: str) -> SearchRecord | None:
        search = self._searches.get(search_id)
        if search is None or search.finished:
            return search
        outcome = Outcome(state=search.state.model_copy(deep=True), results=[])
        cancelling = self._searches.cancel_requested(search_id)
        self._take_in(search, outcome, cancelling)
        if cancelling:
            outcome.state.active = [t for t in outcome.state.active if t.created]
            if not outcome.state.active:
                outcome.status = "cancelled"
        else:
            self._advance(search, outcome)
        saved = self._searches.save(
            search,
            self._updated(search, outcome),
            results=outcome.results,
            events=self._events(search, outcome),
        )
        return saved if saved.finished else self._create_jobs(saved)

    # ---- what happened ------------------------------------------------------------------
    def _take_in(self, search: SearchRecord, outcome: Outcome, cancelling: bool) -> None:
        """Results of the trials in flight that have finished (cancelling the others)."""
        state = outcome.state
        still = []
        for trial in state.active:
            if not trial.created:
                still.append(trial)
                continue
            job = self._store.jobs.get(trial.job_id)
            if job is not None and not job.finished and cancelling:
                try:
                    job = self._store.jobs.request_cancel(trial.job_id)
                except (TransitionRefused, KeyError):
                    job = self._store.jobs.get(trial.job_id)
            if job is not None and not job.finished:
                still.append(trial)
                continue
            result = result_of(search, trial, job)
            outcome.results.append(result)
            state.finished_jobs += 1
            if result.status == "succeeded":
                state.succeeded += 1
            elif result.status == "cancelled":
                state.cancelled += 1
            else:
                state.failed += 1
        state.active = still
        values = self._searches.candidates(search.id, {r.candidate for r in outcome.results})
        outcome.results = [
            r.model_copy(update={"values": values[r.candidate].values})
            if r.candidate in values
            else r
            for r in outcome.results
        ]

    def _results(
        self, search: SearchRecord, outcome: Outcome, units: list[str]
    ) -> dict[str, TrialResult]:
        """Stored results of ``units``, with this step's (not yet written) ones."""
        found = self._searches.results_of(search.id, units)
        wanted = set(units)
        found.update({r.unit: r for r in outcome.results if r.unit in wanted})
        return found

    # ---- what runs next -----------------------------------------------------------------
    def _advance(self, search: SearchRecord, outcome: Outcome) -> None:
        state = outcome.state
        while state.phase == "trials":
            allocation.allocate(
                search,
                state,
                lambda indices: self._searches.candidates(search.id, indices),
                lambda units: self._results(search, outcome, list(units)),
            )
            if state.active or state.next_unit < len(allocation.rung_units(search, state)):
                return
            if not self._promote(search, outcome):
                self._conclude(search, outcome)
        if state.phase == "refit" and not state.active:
            self._refit_done(search, outcome)

    def _promote(self, search: SearchRecord, outcome: Outcome) -> bool:
        """Successive halving: the rung has finished; its best go on to the next rung."""
        state, halving = outcome.state, search.halving
        if halving is None or state.rung + 1 >= len(halving.n_resources):
            return False
        rung = leaderboard.trials(
            self._results(search, outcome, allocation.unit_keys(search, state)).values(),
            folds=search.cv or 1,
        )
        keep = halving.n_candidates[state.rung + 1]
        state.rung_candidates = leaderboard.survivors(rung, search.objective.goal, keep)
        state.rung += 1
        state.next_unit = 0
        return True

    def _conclude(self, search: SearchRecord, outcome: Outcome) -> None:
        """Every trial has finished: the best one, and its refit with cv."""
        state = outcome.state
        stored = {r.unit: r for r in self._searches.results(search.id)}
        stored.update({r.unit: r for r in outcome.results})
        ordered = leaderboard.ranked(
            leaderboard.trials(stored.values(), folds=search.cv or 1),
            search.objective.goal,
            by_rung=search.halving is not None,
        )
        best = leaderboard.best(ordered)
        state.phase = "done"
        if best is None:
            first = next((t.error for t in ordered if t.error), None)
            outcome.status = "failed"
            outcome.error = JobError(
                type="NoSuccessfulTrial",
                message="no trial has an objective"
                + (f"; the first error: {first}" if first else ""),
            )
            return
        state.best_candidate, state.best_objective = best.candidate, best.objective
        if search.refit:
            state.phase = "refit"
            state.active.append(
                allocation.refit_trial(search, best.candidate, best.rung, best.resources or 1)
            )
            return
        state.best_job_id, state.best_model_id = best.job_id, best.model_id
        outcome.status = "succeeded"

    def _refit_done(self, search: SearchRecord, outcome: Outcome) -> None:
        state = outcome.state
        refit = self._results(search, outcome, [leaderboard.REFIT_UNIT]).get(leaderboard.REFIT_UNIT)
        state.phase = "done"
        if refit is not None and refit.status == "succeeded":
            state.best_job_id, state.best_model_id = refit.job_id, refit.model_id
            state.refit_job_id = refit.job_id
            outcome.status = "succeeded"
            return
        outcome.status = "failed"
        outcome.error = JobError(
            type="RefitFailed",
            message="refitting the best candidate on every row failed"
            + (f": {refit.error}" if refit is not None and refit.error else ""),
        )

    # ---- what is written ------------------------------------------------------------------
    def _updated(self, search: SearchRecord, outcome: Outcome) -> SearchRecord:
        update: dict[str, object] = {"state": outcome.state}
        if outcome.status is not None:
            update.update(status=outcome.status, finished_at=utcnow(), error=outcome.error)
            outcome.state.phase = "done"
            outcome.state.active = []
        return search.model_copy(update=update)

    def _events(self, search: SearchRecord, outcome: Outcome) -> list[SearchEvent]:
        """One ``trial`` event per finished job (ids ``n-0``), then the final ``status``."""
        events = []
        number = outcome.state.finished_jobs - len(outcome.results)
        for result in outcome.results:
            number += 1
            payload = result.model_dump(mode="json")
            payload["params"] = payload.pop("values")
            payload["progress"] = round(min(1.0, number / max(1, search.planned_jobs)), 4)
            events.append(SearchEvent(f"{number}-0", "trial", event_body(payload)))
        if outcome.status is not None:
            body = event_body({"id": search.id, "status": outcome.status})
            events.append(SearchEvent(f"{number}-1", "status", body))
        return events

    def _create_jobs(self, search: SearchRecord) -> SearchRecord:
        """Create and queue the allocated trials that have no job yet."""
        waiting = [t for t in search.state.active if not t.created]
        if not waiting:
            return search
        state = search.state.model_copy(deep=True)
        candidates = self._searches.candidates(search.id, {t.candidate for t in waiting})
        created: set[str] = set()
        blocked = None
        for trial in waiting:
            job = job_of(search, trial, candidates[trial.candidate])
            try:
                self._store.jobs.create(job, max_active=self._max_active)
            except JobExists:
                created.add(trial.job_id)  # created by an earlier step; the reaper re-sends
                continue
            except TooManyActiveJobs:
                blocked = (
                    f"waiting for the tenant's active jobs to drop below {self._max_active} "
                    "(MLPFORGE_MAX_ACTIVE_JOBS)"
                )
                break
            created.add(trial.job_id)
            try:
                send_training(
                    self._queue,
                    tenant=self._store.tenant,
                    job_id=job.id,
                    queue=job.queue,
                    runtime_secs=job.max_runtime_secs,
                    request_id=job.request_id,
                )
            except Exception:  # the job is queued in Redis: the reaper sends it again
                log.exception("search %s: queueing trial job %s failed", search.id, job.id)
        state.active = [
            t.model_copy(update={"created": True}) if t.job_id in created else t
            for t in state.active
        ]
        state.blocked = blocked
        update: dict[str, object] = {"state": state}
        if created and search.started_at is None:
            update.update(status="running", started_at=utcnow())
        return self._searches.save(search, search.model_copy(update=update))
