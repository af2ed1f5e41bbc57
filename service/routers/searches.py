"""/v1/searches: start a hyper-parameter search, read it with its leaderboard, list, cancel,
delete, and follow its trials as server-sent events. Its trials are jobs (/v1/jobs?search_id=).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from mlpforge.search.controller import Controller
from service.access import GuardedRoute
from service.deps import QueueDep, SettingsDep, StoreDep
from service.errors import ApiError, not_found, problem_response
from service.event_ids import STREAM_RESPONSES, After, LastEventId, resume_point
from service.events import open_events
from service.idempotent import bind, check_key, replay
from service.pagination import Cursor, Limit
from service.placement import place
from service.request_id import request_id_of
from service.schemas import LOCATION_HEADER, Page
from service.schemas.search_create import SearchCreate
from service.schemas.searches import SearchPublic
from service.search_admission import admit_search
from service.search_view import present, status_body
from store import JobStatus, Store, TransitionRefused
from store.connection import AsyncConnection
from store.ids import new_id, utcnow, well_formed
from store.search_events import SearchEvents
from store.search_records import SearchRecord
from store.searches import TooManyActiveSearches

log = logging.getLogger("mlpforge.api")

router = APIRouter(prefix="/v1/searches", tags=["searches"], route_class=GuardedRoute)

# A listing shows each search's best trials; GET /v1/searches/{id} shows them all.
LIST_LEADERBOARD = 10


def get_search_or_404(search_id: str, store: StoreDep) -> SearchRecord:
    record = store.searches.get(search_id) if well_formed("srch", search_id) else None
    if record is None:
        raise not_found("search", search_id)
    return record


SearchDep = Annotated[SearchRecord, Depends(get_search_or_404)]


def _step(request: Request, store: Store, search_id: str) -> SearchRecord | None:
    controller = Controller(store.client, request.app.state.queue, request.app.state.settings)
    return controller.step_quietly(store.tenant, search_id)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SearchPublic,
    operation_id="create_search",
    summary="Start a hyper-parameter search",
    description="Each trial is a job (`GET /v1/jobs?search_id=`), at most `max_parallel` "
    "queued or running at once. Every candidate is checked as a job would be before "
    "anything is queued.",
    responses={
        202: {"headers": LOCATION_HEADER},
        404: problem_response("The dataset does not exist (or belongs to another tenant)."),
    },
)
def create_search(
    body: SearchCreate,
    request: Request,
    response: Response,
    store: StoreDep,
    queue: QueueDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> SearchPublic:
    check_key(idempotency_key)
    raw = body.model_dump_json().encode()
    earlier = replay(store, "searches", idempotency_key, raw, store.searches.get)
    if earlier is not None:
        response.headers["Location"] = f"/v1/searches/{earlier.id}"
        return present(store, earlier)
    dataset = store.datasets.get(body.dataset_id) if well_formed("ds", body.dataset_id) else None
    if dataset is None:
        raise not_found("dataset", body.dataset_id)
    admitted = admit_search(body, dataset, settings)
    if body.max_parallel > settings.max_active_jobs:
        raise ApiError(
            422,
            f"body.max_parallel: at most {settings.max_active_jobs} (MLPFORGE_MAX_ACTIVE_JOBS)",
            errors=[{"loc": ["body", "max_parallel"], "msg": "over the active-jobs limit"}],
        )
    placement = place(
        store.client, body.device, refuse_gpu_without_worker=settings.refuse_gpu_without_worker
    )
    search = SearchRecord(
        id=new_id("srch"),
        dataset_id=dataset.id,
        task=admitted.task,  # type: ignore[arg-type]
        strategy=body.strategy,
        params=body.params,
        space={name: _plain(value) for name, value in body.space.items()},
        objective=admitted.objective,
        cv=body.cv,
        fold_seed=admitted.seed,
        random_state=body.random_state,
        max_trials=body.max_trials or len(admitted.candidates),
        max_parallel=body.max_parallel,
        halving=admitted.halving,
        refit=body.cv is not None and body.refit,
        n_candidates=len(admitted.candidates),
        planned_jobs=admitted.planned_jobs,
        device=body.device,
        queue=placement.queue,
        max_runtime_secs=admitted.max_runtime_secs,
        name=body.name,
        tags=body.tags,
        request_id=request_id_of(request),
        warnings=[*placement.warnings, *admitted.warnings],
        state={"rung_candidates": list(range(len(admitted.candidates)))},  # type: ignore[arg-type]
        created_at=utcnow(),
    )
    try:
        store.searches.create(search, admitted.candidates, max_active=settings.max_active_searches)
    except TooManyActiveSearches:
        raise ApiError(
            429,
            f"this tenant already has {settings.max_active_searches} queued or running searches "
            "(MLPFORGE_MAX_ACTIVE_SEARCHES); wait for one to finish, or cancel one",
            headers={"Retry-After": "5"},
        ) from None
    twin = bind(
        store,
        "searches",
        idempotency_key,
        raw,
        search.id,
        store.searches.get,
        store.searches.discard,
    )
    if twin is not None:
        response.headers["Location"] = f"/v1/searches/{twin.id}"
        return present(store, twin)
    store.searches.activate(search.id)
    log.info("search %s created: %d candidates", search.id, len(admitted.candidates))
    stepped = _step(request, store, search.id)  # its first trials are queued before we answer
    response.headers["Location"] = f"/v1/searches/{search.id}"
    return present(store, stepped or search)


def _plain(value: object) -> object:
    """A space dimension as JSON (a range model as its dict)."""
    dump = getattr(value, "model_dump", None)
    return dump() if dump is not None else value


@router.get(
    "",
    response_model=Page[SearchPublic],
    operation_id="list_searches",
    summary="List searches",
    description=f"Newest first. Each search shows its {LIST_LEADERBOARD} best trials; "
    "GET /v1/searches/{search_id} shows its whole leaderboard.",
)
def list_searches(
    store: StoreDep,
    status_filter: Annotated[JobStatus | None, Query(alias="status")] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[SearchPublic]:
    found = store.searches.page(limit=limit, cursor=cursor, status=status_filter)
    return Page[SearchPublic](
        data=[present(store, search, top=LIST_LEADERBOARD) for search in found.data],
        next_cursor=found.next_cursor,
    )


@router.get("/{search_id}", response_model=SearchPublic, operation_id="get_search")
def get_search(search: SearchDep, store: StoreDep) -> SearchPublic:
    return present(store, search)


@router.post(
    "/{search_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SearchPublic,
    operation_id="cancel_search",
    summary="Cancel a search: its queued and running trials, and every trial not yet started",
    responses={409: problem_response("The search has already finished.")},
)
def cancel_search(search: SearchDep, store: StoreDep, request: Request) -> SearchPublic:
    if search.finished:
        raise ApiError(409, f"search {search.id} already finished ({search.status})")
    store.searches.request_cancel(search.id)
    stepped = _step(request, store, search.id)  # queued trials end at once
    return present(store, stepped or store.searches.get(search.id) or search)


@router.delete(
    "/{search_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    operation_id="delete_search",
    summary="Delete a finished search and its trial jobs (their models stay)",
    responses={409: problem_response("The search is queued or running: cancel it first.")},
)
def delete_search(search: SearchDep, store: StoreDep) -> Response:
    if not search.finished:
        raise ApiError(
            409,
            f"search {search.id} is {search.status}; cancel it first "
            f"(POST /v1/searches/{search.id}/cancel), then delete it once it has finished",
        )
    for job_id in store.searches.trial_job_ids(search.id):
        try:
            store.jobs.delete(job_id)
        except TransitionRefused:
            # Not expected: a search finishes only once every trial job it started has. Should
            # one still run, it is kept (and listed on its own) rather than fail the delete.
            log.warning("search %s: trial job %s not finished; kept", search.id, job_id)
    if not store.searches.delete(search.id):
        raise not_found("search", search.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{search_id}/events",
    operation_id="stream_search_events",
    response_class=StreamingResponse,
    summary="Follow a search: one `trial` event per finished trial job, then `status`",
    responses=STREAM_RESPONSES,
)
async def stream_search_events(
    search: SearchDep,
    store: StoreDep,
    request: Request,
    last_event_id: LastEventId = None,
    after: After = None,
) -> Response:
    start = resume_point(last_event_id, after)
    connection: AsyncConnection = request.app.state.async_redis
    events = SearchEvents(connection.client(), store.keys, search.id)

    async def body(record: SearchRecord) -> bytes:
        return await status_body(events, record)

    return await open_events(
        request,
        tenant=store.tenant,
        events=events,
        finished=search.finished,
        start=start,
        what=search.id,
        body=body,
    )
