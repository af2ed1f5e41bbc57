"""/v1/jobs: submit, read, list, rename and retag, cancel, delete, metrics history, events."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from mlpforge.queueing import send_training
from service.access import GuardedRoute
from service.admission import check_test_dataset, choose_task, resolve_params, runtime_limit
from service.callbacks.policy import check_submission as check_callback
from service.continuation import continued_job
from service.deps import JobDep, QueueDep, SettingsDep, StoreDep
from service.errors import ApiError, invalid, not_found, problem_response
from service.event_ids import STREAM_RESPONSES, After, LastEventId, resume_point
from service.events import open_job_events
from service.idempotent import bind, check_key, replay
from service.listing import LIST_HELP, SortQuery, TagQuery, listing
from service.pagination import Cursor, Limit
from service.placement import place
from service.request_id import request_id_of
from service.schemas import (
    LOCATION_HEADER,
    History,
    JobCreate,
    JobPublic,
    NamingUpdate,
    Page,
    history_public,
    job_public,
)
from store import JobStatus, TooManyActiveJobs, TransitionRefused
from store.ids import well_formed

log = logging.getLogger("mlpforge.api")

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], route_class=GuardedRoute)


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobPublic,
    operation_id="create_job",
    summary="Start a training job",
    responses={
        202: {"headers": LOCATION_HEADER},
        404: problem_response(
            "The dataset, test dataset or init model does not exist (or belongs to another "
            "tenant)."
        ),
    },
)
def create_job(
    body: JobCreate,
    request: Request,
    response: Response,
    store: StoreDep,
    queue: QueueDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JobPublic:
    check_key(idempotency_key)
    if body.callback_url is not None:
        check_callback(body.callback_url, store.tenant, settings)
    raw = body.model_dump_json().encode()
    earlier = replay(store, "jobs", idempotency_key, raw, store.jobs.get)
    if earlier is not None:
        response.headers["Location"] = f"/v1/jobs/{earlier.id}"
        return job_public(earlier)
    dataset = store.datasets.get(body.dataset_id) if well_formed("ds", body.dataset_id) else None
    if dataset is None:
        raise not_found("dataset", body.dataset_id)
    outputs = None
    if body.init_model_id is None:
        task = choose_task(body, dataset)
    else:
        model_id = body.init_model_id
        parent = store.models.get(model_id) if well_formed("mdl", model_id) else None
        if parent is None:
            raise not_found("model", model_id)
        body, task = continued_job(body, parent, dataset)
        outputs = parent.n_outputs
    if body.test_dataset_id is not None:
        test_id = body.test_dataset_id
        test_dataset = store.datasets.get(test_id) if well_formed("ds", test_id) else None
        if test_dataset is None:
            raise not_found("test dataset", test_id)
        check_test_dataset(task, dataset, test_dataset)
    params = resolve_params(body, task, dataset, settings, outputs=outputs)
    max_runtime = runtime_limit(body, settings)
    placement = place(
        store.client, body.device, refuse_gpu_without_worker=settings.refuse_gpu_without_worker
    )
    job = store.jobs.new_record(
        dataset_id=dataset.id,
        task=task,
        params=params.to_dict(),
        max_runtime_secs=max_runtime,
        device=body.device,
        requested_device=body.device,
        queue=placement.queue,
        warnings=placement.warnings,
        name=body.name,
        tags=body.tags,
        test_dataset_id=body.test_dataset_id,
        init_model_id=body.init_model_id,
        callback_url=body.callback_url,
        request_id=request_id_of(request),
    )
    try:
        # Admitted and written in one step: concurrent submissions cannot overshoot the limit.
        store.jobs.create(job, max_active=settings.max_active_jobs)
    except TooManyActiveJobs:
        raise ApiError(
            429,
            f"this tenant already has {settings.max_active_jobs} queued or running jobs "
            "(MLPFORGE_MAX_ACTIVE_JOBS); wait for some to finish",
            headers={"Retry-After": "5"},
        ) from None
    twin = bind(store, "jobs", idempotency_key, raw, job.id, store.jobs.get, store.jobs.discard)
    if twin is not None:
        response.headers["Location"] = f"/v1/jobs/{twin.id}"
        return job_public(twin)
    try:
        send_training(
            queue,
            tenant=store.tenant,
            job_id=job.id,
            queue=job.queue,
            runtime_secs=max_runtime,
            request_id=job.request_id,
        )
    except Exception:
        # Never queued: leave no "queued" job behind that nothing will ever run.
        store.jobs.discard(job.id)
        raise
    log.info("job %s created on queue %s", job.id, job.queue, extra={"job_id": job.id})
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job_public(job)


@router.get(
    "",
    response_model=Page[JobPublic],
    operation_id="list_jobs",
    summary="List jobs",
    description=LIST_HELP,
)
def list_jobs(
    store: StoreDep,
    status_filter: Annotated[JobStatus | None, Query(alias="status")] = None,
    dataset_id: Annotated[
        str | None, Query(max_length=64, description="Only the jobs trained on this dataset.")
    ] = None,
    tag: TagQuery = None,
    search_id: Annotated[
        str | None, Query(max_length=64, description="Only the trials of this search.")
    ] = None,
    sort: SortQuery = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[JobPublic]:
    if search_id is not None and not well_formed("srch", search_id):
        raise invalid(["query", "search_id"], f"{search_id!r} is not a search id (srch_…)")
    filters = {
        "status": status_filter,
        "dataset_id": dataset_id,
        "tag": tag,
        "search_id": search_id,
    }
    return listing(
        sort,
        recent=lambda window: store.jobs.recent(window=window, **filters),
        page=lambda newest_first: store.jobs.page(
            limit=limit, cursor=cursor, newest_first=newest_first, **filters
        ),
        public=job_public,
        limit=limit,
        cursor=cursor,
    )


@router.get("/{job_id}", response_model=JobPublic, operation_id="get_job")
def get_job(job: JobDep) -> JobPublic:
    return job_public(job)


@router.patch(
    "/{job_id}",
    response_model=JobPublic,
    operation_id="update_job",
    summary="Rename or retag a job",
    description="Whatever its status. A model already published keeps the name and tags it "
    "was published with (PATCH /v1/models/{model_id} changes those).",
)
def update_job(job: JobDep, body: NamingUpdate, store: StoreDep) -> JobPublic:
    try:
        updated = store.jobs.annotate(job.id, name=body.name, tags=body.tags, rename=body.renames)
    except KeyError:
        raise not_found("job", job.id) from None  # deleted meanwhile
    return job_public(updated)


@router.post(
    "/{job_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobPublic,
    operation_id="cancel_job",
    responses={409: problem_response("The job has already finished.")},
)
def cancel_job(job: JobDep, store: StoreDep) -> JobPublic:
    try:
        return job_public(store.jobs.request_cancel(job.id))
    except TransitionRefused as refused:
        raise ApiError(409, f"job {job.id} already finished ({refused.job.status})") from None
    except KeyError:
        raise not_found("job", job.id) from None


@router.delete(
    "/{job_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    operation_id="delete_job",
    summary="Delete a finished job (its model stays)",
    responses={409: problem_response("The job is queued or running: cancel it first.")},
)
def delete_job(job: JobDep, store: StoreDep) -> Response:
    try:
        deleted = store.jobs.delete(job.id)
    except TransitionRefused as refused:
        raise ApiError(
            409,
            f"job {job.id} is {refused.job.status}; cancel it first "
            f"(POST /v1/jobs/{job.id}/cancel), then delete it once it has finished",
        ) from None
    if not deleted:
        raise not_found("job", job.id)  # deleted meanwhile by another request
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{job_id}/metrics", response_model=History, operation_id="get_job_metrics")
def get_job_metrics(job: JobDep, store: StoreDep) -> History:
    return history_public(store.jobs.history(job.id))


@router.get(
    "/{job_id}/events",
    operation_id="stream_job_events",
    response_class=StreamingResponse,
    responses=STREAM_RESPONSES,
)
async def stream_job_events(
    job: JobDep,
    store: StoreDep,
    request: Request,
    last_event_id: LastEventId = None,
    after: After = None,
) -> Response:
    start = resume_point(last_event_id, after)
    return await open_job_events(request, tenant=store.tenant, job=job, start=start)
