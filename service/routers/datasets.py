"""/v1/datasets: upload (JSON, CSV, .npz), list, read, delete."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from service.access import GuardedRoute
from service.deps import DatasetDep, SettingsDep, StoreDep
from service.errors import ApiError, not_found, problem_response
from service.idempotent import bind, check_key, replay
from service.ingest import (
    DatasetError,
    IngestLimits,
    ParsedDataset,
    check_dataset_name,
    parse_csv_dataset,
    parse_json_dataset,
    parse_npz_dataset,
)
from service.pagination import Cursor, Limit
from service.schemas import (
    LOCATION_HEADER,
    DatasetJSON,
    DatasetPublic,
    DatasetUpload,
    Page,
    dataset_public,
)
from store.previews import MAX_COLUMNS, MAX_ROWS, DatasetPreview, dataset_preview

router = APIRouter(prefix="/v1/datasets", tags=["datasets"], route_class=GuardedRoute)

NPZ_MAGIC = b"PK\x03\x04"
# Previews computed at once per API process: each holds its dataset's arrays (up to ~80 MB)
# while it runs; more wait, without holding a thread of the pool that every route shares.
PREVIEW_CONCURRENCY = 2

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": DatasetJSON.model_json_schema()},
            "multipart/form-data": {"schema": DatasetUpload.model_json_schema()},
        },
    }
}


def _limits(settings: SettingsDep) -> IngestLimits:
    return IngestLimits(
        max_cells=settings.max_dataset_cells,
        max_label_chars=settings.max_label_chars,
        max_classes=settings.max_classes,
    )


def _refuse(error: DatasetError) -> ApiError:
    return ApiError(error.status, str(error), errors=error.errors)


def _form_text(form: Any, field: str, given: str | None) -> str | None:
    """A query parameter, else the form field of the same name (CSV options come either way)."""
    value = form.get(field)
    return given or (value if isinstance(value, str) else None)


async def _parse(
    request: Request, target: str | None, weights: str | None, limits: IngestLimits
) -> tuple[ParsedDataset, str | None, bytes]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if content_type == "application/json" or content_type.endswith("+json"):
            body = await request.body()
            dataset, name = await run_in_threadpool(parse_json_dataset, body, limits=limits)
            return dataset, name, body
        if content_type == "multipart/form-data":
            form = await request.form(max_files=1, max_fields=8)
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise ApiError(
                    422,
                    "the multipart body needs a file field named 'file'",
                    errors=[{"loc": ["body", "file"], "msg": "missing file"}],
                )
            target = _form_text(form, "target", target)
            weights = _form_text(form, "weights", weights)
            name = upload.filename
            check_dataset_name(
                name,
                loc=["body", "file", "filename"],
                limits=limits,
                what="the file's name, used as the dataset's name,",
            )
            data = await upload.read()
            filename = (name or "").lower()
            if filename.endswith(".npz") or data.startswith(NPZ_MAGIC):
                dataset = await run_in_threadpool(parse_npz_dataset, data, limits=limits)
            else:
                dataset = await run_in_threadpool(
                    parse_csv_dataset, data, target=target, weights=weights, limits=limits
                )
            options = f"{target or ''}\x00{weights or ''}" if weights else target or ""
            return dataset, name, data + options.encode()
    except DatasetError as error:
        raise _refuse(error) from None
    raise ApiError(
        415,
        f"unsupported Content-Type {content_type or '(none)'!r}: send application/json or "
        "multipart/form-data with a CSV or .npz file in the field 'file'",
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=DatasetPublic,
    operation_id="create_dataset",
    summary="Upload a dataset (JSON, CSV or .npz)",
    openapi_extra=UPLOAD_BODY,
    responses={
        201: {"headers": LOCATION_HEADER},
        200: {
            "model": DatasetPublic,
            "description": "Replayed: this Idempotency-Key already created this dataset.",
            "headers": LOCATION_HEADER,
        },
        413: problem_response(
            "The body is over MLPFORGE_MAX_BODY_BYTES, or the dataset over "
            "MLPFORGE_MAX_DATASET_CELLS."
        ),
        415: problem_response("The body is neither JSON nor multipart/form-data."),
    },
)
async def create_dataset(
    request: Request,
    response: Response,
    store: StoreDep,
    settings: SettingsDep,
    target: Annotated[
        str | None,
        Query(
            description="CSV target column (default: the last one); several, separated by "
            "commas, make a multi-column target.",
            max_length=10_000,
        ),
    ] = None,
    weights: Annotated[
        str | None,
        Query(description="CSV column of per-row sample weights.", max_length=1_000),
    ] = None,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> DatasetPublic:
    check_key(idempotency_key)
    dataset, name, fingerprint_source = await _parse(request, target, weights, _limits(settings))
    # Everything below talks to Redis (and hashes up to 64 MB): in a thread, off the event loop.
    earlier = await run_in_threadpool(
        replay, store, "datasets", idempotency_key, fingerprint_source, store.datasets.get
    )
    if earlier is not None:
        response.status_code = status.HTTP_200_OK
        response.headers["Location"] = f"/v1/datasets/{earlier.id}"
        return dataset_public(earlier)
    record = await run_in_threadpool(
        lambda: store.datasets.create(
            X=dataset.X,
            y=dataset.y,
            name=name,
            feature_names=dataset.feature_names,
            target_name=dataset.target_name,
            target_kind=dataset.target_kind,
            classes=dataset.classes,
            w=dataset.weights,
            target_names=dataset.target_names,
            weights_column=dataset.weights_name,
        )
    )
    twin = await run_in_threadpool(
        bind,
        store,
        "datasets",
        idempotency_key,
        fingerprint_source,
        record.id,
        store.datasets.get,
        store.datasets.delete,
    )
    if twin is not None:  # a concurrent request with the same key created it: a replay
        response.status_code = status.HTTP_200_OK
        record = twin
    response.headers["Location"] = f"/v1/datasets/{record.id}"
    return dataset_public(record)


@router.get("", response_model=Page[DatasetPublic], operation_id="list_datasets")
def list_datasets(store: StoreDep, limit: Limit = 20, cursor: Cursor = None) -> Page[DatasetPublic]:
    page = store.datasets.page(limit=limit, cursor=cursor)
    data = [dataset_public(d) for d in page.data]
    return Page[DatasetPublic](data=data, next_cursor=page.next_cursor)


@router.get("/{dataset_id}", response_model=DatasetPublic, operation_id="get_dataset")
def get_dataset(dataset: DatasetDep) -> DatasetPublic:
    return dataset_public(dataset)


@router.delete(
    "/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="delete_dataset"
)
def delete_dataset(dataset: DatasetDep, store: StoreDep) -> Response:
    store.datasets.delete(dataset.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/{dataset_id}/preview",
    response_model=DatasetPreview,
    operation_id="preview_dataset",
    summary="The first rows and per-column statistics of a dataset",
)
async def preview_dataset(
    request: Request,
    dataset: DatasetDep,
    store: StoreDep,
    rows: Annotated[int, Query(ge=0, le=MAX_ROWS, description="First rows to show.")] = MAX_ROWS,
    columns: Annotated[
        int, Query(ge=1, le=MAX_COLUMNS, description="Feature columns to show (the first).")
    ] = 100,
) -> DatasetPreview:
    state = request.app.state
    if getattr(state, "preview_limiter", None) is None:  # made on the app's own event loop
        state.preview_limiter = anyio.CapacityLimiter(PREVIEW_CONCURRENCY)
    preview = await anyio.to_thread.run_sync(
        lambda: dataset_preview(store.datasets, dataset, rows=rows, columns=columns),
        limiter=state.preview_limiter,
    )
    if preview is None:  # deleted meanwhile
        raise not_found("dataset", dataset.id)
    return preview
