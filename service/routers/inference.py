"""The Open Inference Protocol (V2) beside /v1: health, model metadata and readiness, infer.

``/v2`` and ``/v2/health/*`` say whether the server lives and is ready, for load balancers and
orchestrators: no key, like /healthz. Everything under ``/v2/models`` takes the tenant keys
of /v1 (checked before a body is read) and sees only the tenant's own models.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import redis
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from mlpforge import __version__
from service.access import GuardedRoute, tenant_of
from service.deps import get_async_redis
from service.errors import RETRY_AFTER, problem, problem_response
from service.exports.signature import TensorSpec, input_spec, output_specs
from service.routers.models import INLINE_BODY_BYTES, INLINE_WORK, cached_model, work_per_row
from service.v2.inference import answer, parse
from service.v2.schemas import (
    InferRequest,
    InferResponse,
    Live,
    ModelMetadata,
    ModelReady,
    Ready,
    ServerMetadata,
    TensorMetadata,
)
from service.v2.tensors import HEADER_LENGTH, datatype

TAGS: list[str | Enum] = ["inference (V2)"]
PLATFORM = "mlpforge"
VERSION = "1"  # a model is never changed once trained: one version each

health_router = APIRouter(prefix="/v2", tags=TAGS)
router = APIRouter(prefix="/v2/models", tags=TAGS, route_class=GuardedRoute)

INFER_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": InferRequest.model_json_schema()},
            "application/octet-stream": {
                "schema": {"type": "string", "format": "binary"},
                "description": "Binary tensor data extension: the JSON header, its length in "
                f"the {HEADER_LENGTH} header, then each tensor's raw little-endian bytes.",
            },
        },
    }
}


@health_router.get("", response_model=ServerMetadata, operation_id="v2_server_metadata")
async def server_metadata() -> ServerMetadata:
    return ServerMetadata(name="mlpforge", version=__version__, extensions=["binary_tensor_data"])


@health_router.get("/health/live", response_model=Live, operation_id="v2_live")
async def live() -> Live:
    return Live(live=True)


@health_router.get(
    "/health/ready",
    response_model=Ready,
    operation_id="v2_ready",
    responses={503: problem_response("Redis does not answer.", headers=RETRY_AFTER)},
)
async def ready(request: Request) -> JSONResponse:
    try:
        await get_async_redis(request).ping()
    except (redis.ConnectionError, redis.TimeoutError):
        return problem(503, "Redis does not answer", headers={"Retry-After": "2"})
    return JSONResponse({"ready": True})


def _tensor(spec: TensorSpec) -> TensorMetadata:
    return TensorMetadata(name=spec.name, datatype=datatype(spec.dtype), shape=list(spec.shape))


@router.get("/{model_id}", response_model=ModelMetadata, operation_id="v2_model_metadata")
async def model_metadata(request: Request, model_id: str) -> ModelMetadata:
    model = await cached_model(request, tenant_of(request), model_id)
    return ModelMetadata(
        name=model_id,
        versions=[VERSION],
        platform=PLATFORM,
        inputs=[_tensor(input_spec(model))],
        outputs=[_tensor(spec) for spec in output_specs(model)],
    )


@router.get("/{model_id}/ready", response_model=ModelReady, operation_id="v2_model_ready")
async def model_ready(request: Request, model_id: str) -> ModelReady:
    await cached_model(request, tenant_of(request), model_id)  # loaded, or a 404
    return ModelReady(name=model_id, ready=True)


@router.post(
    "/{model_id}/infer",
    response_model=InferResponse,
    operation_id="v2_infer",
    summary="Infer with a trained model (V2 tensors)",
    openapi_extra=INFER_BODY,
    responses={
        413: problem_response(
            "The body is over MLPFORGE_MAX_BODY_BYTES, or the input has more rows than "
            "MLPFORGE_MAX_PREDICT_ROWS."
        )
    },
)
async def infer(request: Request, model_id: str) -> Response:
    model = await cached_model(request, tenant_of(request), model_id)
    body = await request.body()
    max_rows: int = request.app.state.settings.max_predict_rows
    header_length = request.headers.get(HEADER_LENGTH)
    n_features = model.n_features_in_
    # As /predict: parse and predict on the event loop only while that is cheap.
    if len(body) > INLINE_BODY_BYTES:
        parsed, X = await run_in_threadpool(parse, body, header_length, n_features, max_rows)
    else:
        parsed, X = parse(body, header_length, n_features, max_rows)
    if X.shape[0] * work_per_row(model) <= INLINE_WORK:
        payload, json_size = answer(model, model_id, parsed, X)
    else:
        payload, json_size = await run_in_threadpool(answer, model, model_id, parsed, X)
    if json_size is None:
        return Response(payload, media_type="application/json")
    return Response(
        payload,
        media_type="application/octet-stream",
        headers={HEADER_LENGTH: str(json_size)},
    )
