"""/v1/models: read, list, delete, predict, export."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request, Response, status
from starlette._exception_handler import wrap_app_handling_exceptions
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from engine import FittedModel, load_model
from service.access import GuardedRoute, guard, tenant_of
from service.deps import ModelCacheDep, ModelDep, StoreDep, get_async_redis
from service.errors import ApiError, invalid, not_found, problem_response
from service.exports import ExportFormat, NotExpressible
from service.exports import export_model as export_file
from service.listing import LIST_HELP, SortQuery, TagQuery, listing
from service.model_cache import ModelCache
from service.npy_io import NPY_MEDIA_TYPE, npy_payload, parse_npy_rows
from service.pagination import Cursor, Limit
from service.prediction import (
    JSON_DTYPES,
    Outputs,
    json_payload,
    parse_rows,
    predict_outputs,
)
from service.schemas import (
    ModelPublic,
    NamingUpdate,
    Page,
    Prediction,
    PredictRequest,
    model_public,
)
from store.ids import well_formed
from store.keys import TenantKeys
from store.models import AsyncModels

router = APIRouter(prefix="/v1/models", tags=["models"], route_class=GuardedRoute)

PREDICT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": PredictRequest.model_json_schema()},
            NPY_MEDIA_TYPE: {
                "schema": {
                    "type": "string",
                    "format": "binary",
                    "description": "One 2-D numeric array (rows × features) saved by np.save.",
                }
            },
        },
    },
    "parameters": [
        {
            "name": "output",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": ["predictions", "probabilities"]},
            "description": "With `Accept: application/x-npy`: which array to answer with.",
        },
        {
            "name": "dtype",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "enum": ["float64", "float32"], "default": "float64"},
            "description": "JSON answers: probabilities and continuous predictions as float64 "
            "(default) or float32 numbers (shorter; the model computes in float32 by default).",
        },
    ],
}
OUTPUTS = ("predictions", "probabilities")


# A small body is parsed on the event loop (parsing 32 KiB of JSON takes ~0.1 ms); a larger
# one, in a thread.
INLINE_BODY_BYTES = 32 * 1024
# The forward pass runs on the event loop only while rows × (weights per row) stays under this:
# about a millisecond of numpy. Deciding by the model's cost rather than the body's size keeps a
# one-row request to a huge (or very deep) model off the loop, and a tiny model's batch on it.
INLINE_WORK = 2_000_000
# numpy's per-layer overhead, counted as this many multiply-adds per row (a deep, narrow model
# costs ~10 µs per layer whatever its width).
LAYER_WORK = 5_000
# Model blobs up to this size are loaded on the event loop; larger ones in a thread.
INLINE_BLOB_BYTES = 1024 * 1024
# A loaded model is checked to still exist in Redis at least this often (see ModelCache).
RECHECK_SECS = 1.0


async def cached_model(request: Request, tenant: str, model_id: str) -> FittedModel:
    """The model from this process's cache: Redis is asked at most once a second per model."""
    if not well_formed("mdl", model_id):
        raise not_found("model", model_id)
    cache: ModelCache = request.app.state.model_cache
    model = cache.get(tenant, model_id, max_age=RECHECK_SECS)
    if model is not None:
        return model
    models = AsyncModels(get_async_redis(request), TenantKeys(tenant), request.app.state.blobs)
    model = cache.peek(tenant, model_id)
    if model is not None:
        if not await models.exists(model_id):
            cache.evict(tenant, model_id)
            raise not_found("model", model_id)
    else:
        blob = await models.blob(model_id)
        if blob is None:
            raise not_found("model", model_id)
        if len(blob) <= INLINE_BLOB_BYTES:
            model = load_model(blob)
        else:
            model = await run_in_threadpool(load_model, blob)
    cache.put(tenant, model_id, model)
    return model


def work_per_row(model: FittedModel) -> int:
    return model.n_parameters + LAYER_WORK * (len(model.hidden_layer_sizes) + 1)


async def _off_loop_if_costly(
    model: FittedModel, body_bytes: int, parse: Callable[[], np.ndarray]
) -> Outputs:
    """Parse and predict, each on the event loop only when it is cheap."""
    if body_bytes > INLINE_BODY_BYTES:
        return await run_in_threadpool(lambda: predict_outputs(model, parse()))
    X = parse()
    if X.shape[0] * work_per_row(model) <= INLINE_WORK:
        return predict_outputs(model, X)
    return await run_in_threadpool(predict_outputs, model, X)


async def answer(model: FittedModel, body: bytes, max_rows: int, dtype: str) -> bytes:
    """The JSON answer to a JSON body, its numbers in ``dtype`` (a key of JSON_DTYPES)."""
    outputs = await _off_loop_if_costly(
        model, len(body), lambda: parse_rows(body, model.n_features_in_, max_rows)
    )
    return json_payload(outputs, dtype)


@router.get(
    "",
    response_model=Page[ModelPublic],
    operation_id="list_models",
    summary="List models",
    description=LIST_HELP,
)
def list_models(
    store: StoreDep,
    tag: TagQuery = None,
    job_id: Annotated[
        str | None, Query(max_length=64, description="Only the model this job trained.")
    ] = None,
    sort: SortQuery = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[ModelPublic]:
    return listing(
        sort,
        recent=lambda window: store.models.recent(window=window, tag=tag, job_id=job_id),
        page=lambda newest_first: store.models.page(
            limit=limit, cursor=cursor, tag=tag, job_id=job_id, newest_first=newest_first
        ),
        public=model_public,
        limit=limit,
        cursor=cursor,
    )


@router.get("/{model_id}", response_model=ModelPublic, operation_id="get_model")
def get_model(model: ModelDep) -> ModelPublic:
    return model_public(model)


@router.patch(
    "/{model_id}",
    response_model=ModelPublic,
    operation_id="update_model",
    summary="Rename or retag a model",
)
def update_model(model: ModelDep, body: NamingUpdate, store: StoreDep) -> ModelPublic:
    updated = store.models.annotate(model.id, name=body.name, tags=body.tags, rename=body.renames)
    if updated is None:
        raise not_found("model", model.id)  # deleted meanwhile
    return model_public(updated)


@router.delete("/{model_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="delete_model")
def delete_model(model: ModelDep, store: StoreDep, cache: ModelCacheDep) -> Response:
    store.models.delete(model.id)
    cache.evict(store.tenant, model.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class PredictRoute(GuardedRoute):
    """Predict's route: documented from the endpoint's signature like any other, but each
    request calls the endpoint directly instead of through FastAPI's dependency solving, which
    costs ~25 µs per dependency and was most of a one-row prediction's time. It runs the same
    `guard` as every /v1 route first, before the body is read.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        # Its ASGI app answers with `prediction` whatever the endpoint: predict's only.
        if endpoint.__name__ != "predict":
            raise TypeError(f"PredictRoute serves the predict endpoint, not {endpoint.__name__}")
        super().__init__(path, endpoint, **kwargs)
        if self.max_body_size is None:  # else FastAPI's own limit wraps the app: keep it
            self.app = _predict_app

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            await guard(request)
            response: Response = await endpoint(request, request.path_params["model_id"])
            return response

        return handle


async def _predict_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Predict's route as plain ASGI: FastAPI's `request_response` without its two
    AsyncExitStacks (they exist for dependencies with ``yield``; predict has none) and without
    a `Response` object: `guard`, then `prediction`, its answer sent as the two messages
    `Response` would send (the same headers, in the same order). Errors are still answered by
    the app's exception handlers inside the route, as there."""
    request = Request(scope, receive, send)

    async def respond(scope: Scope, receive: Receive, send: Send) -> None:
        await guard(request)
        content, media_type = await prediction(request, scope["path_params"]["model_id"])
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(content)).encode("latin-1")),
                    (b"content-type", media_type.encode("latin-1")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})

    await wrap_app_handling_exceptions(respond, request)(scope, receive, send)


# Predict has a router of its own, whose routes take no dependencies: it is the hot path.
prediction_router = APIRouter(prefix="/v1/models", tags=["models"], route_class=PredictRoute)


@prediction_router.post(
    "/{model_id}/predict",
    response_model=Prediction,
    operation_id="predict",
    summary="Predict with a trained model",
    openapi_extra=PREDICT_BODY,
    responses={
        200: {
            "description": "JSON, or with `Accept: application/x-npy` one .npy array "
            "(predictions, or probabilities with `?output=probabilities`).",
            "content": {NPY_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        413: problem_response(
            "The body is over MLPFORGE_MAX_BODY_BYTES, or holds more rows than "
            "MLPFORGE_MAX_PREDICT_ROWS."
        ),
    },
)
async def predict(request: Request, model_id: str) -> Response:
    content, media_type = await prediction(request, model_id)
    return Response(content, media_type=media_type)


def _first_headers(scope: Scope) -> tuple[str, str]:
    """``Accept`` and ``Content-Type`` as ``request.headers.get`` gives them (the first of each,
    "" when absent), in one pass over the raw headers instead of a Headers object and two
    scans."""
    accept = content_type = None
    for name, value in scope["headers"]:
        if name == b"accept":
            if accept is None:
                accept = value.decode("latin-1")
        elif name == b"content-type" and content_type is None:
            content_type = value.decode("latin-1")
    return accept or "", content_type or ""


async def prediction(request: Request, model_id: str) -> tuple[bytes, str]:
    """Predict's answer, its body and media type (`predict` makes it a Response; the route's
    own ASGI app sends it as the same two messages)."""
    model = await cached_model(request, tenant_of(request), model_id)
    accept, content_type = _first_headers(request.scope)
    wants_npy = NPY_MEDIA_TYPE in accept
    if request.scope.get("query_string"):
        query = request.query_params
        output = query.get("output", "predictions")
        if output not in OUTPUTS:
            raise invalid(["query", "output"], f"must be one of {', '.join(OUTPUTS)}")
        dtype = query.get("dtype", "float64")
        if dtype not in JSON_DTYPES:
            raise invalid(["query", "dtype"], f"must be one of {', '.join(JSON_DTYPES)}")
    else:
        output, dtype = "predictions", "float64"
    body = await request.body()
    max_rows: int = request.app.state.settings.max_predict_rows
    sent_npy = content_type.split(";")[0].strip() == NPY_MEDIA_TYPE
    if not sent_npy and not wants_npy:
        return await answer(model, body, max_rows, dtype), "application/json"
    n_features = model.n_features_in_
    outputs = await _off_loop_if_costly(
        model,
        len(body),
        (lambda: parse_npy_rows(body, n_features, max_rows))
        if sent_npy
        else (lambda: parse_rows(body, n_features, max_rows)),
    )
    if wants_npy:
        return npy_payload(outputs, output), NPY_MEDIA_TYPE
    return json_payload(outputs, dtype), "application/json"


def predict_dispatch_route() -> PredictRoute:
    """The predict route once more, for the app's own route list, ahead of every router;
    `prediction_router` keeps the documented one.

    FastAPI (0.165) matches an included router lazily: each one before it is scanned route by
    route, and the router that matches is scanned twice (once to choose it, once to dispatch
    in it), ~40 µs of a one-row prediction. A plain route in the app's list is one regex.
    It is the same class and endpoint, so every request it takes is answered exactly as the
    documented route would answer it; it stays out of the OpenAPI document (the documented
    one is there, with the /v1 problem responses its router adds).
    """
    return PredictRoute(
        f"{prediction_router.prefix}/{{model_id}}/predict",
        predict,
        methods=["POST"],
        name="predict",
        include_in_schema=False,
    )


@router.get(
    "/{model_id}/export",
    operation_id="export_model",
    summary="Download the model as a file",
    response_class=Response,
    responses={
        200: {
            "description": "The model file (Content-Disposition: attachment).",
            "content": {"application/octet-stream": {}, "application/zip": {}},
        },
        422: problem_response(
            "The model cannot be written in this format (skops: an activation scikit-learn "
            "does not have)."
        ),
    },
)
def export_model(
    record: ModelDep,
    store: StoreDep,
    format: Annotated[
        ExportFormat,
        Query(
            description="safetensors: the weights and metadata as stored; onnx: a graph for "
            "onnxruntime (input `input`, raw features); skops: a scikit-learn Pipeline."
        ),
    ] = "safetensors",
) -> Response:
    blob = store.models.blob(record.id)
    if blob is None:
        raise ApiError(404, f"model {record.id!r} has no stored weights")
    try:
        exported = export_file(blob, format)
    except NotExpressible as refused:
        raise invalid(["query", "format"], str(refused)) from None
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="{record.id}.{format}"'},
    )
