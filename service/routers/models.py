"""/v1/models: read, list, delete, predict, export."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, Security, status
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from engine import FittedModel
from service.auth import api_key_scheme, bearer_scheme
from service.deps import (
    ModelCacheDep,
    ModelDep,
    StoreDep,
    admit,
    get_async_redis,
    refuse_repeated_query,
)
from service.errors import ApiError, not_found
from service.model_cache import ModelCache
from service.pagination import Cursor, Limit
from service.prediction import parse_rows, predict_payload
from service.schemas import Prediction, PredictRequest
from store import ModelRecord, Page
from store.keys import TenantKeys
from store.models import AsyncModels

router = APIRouter(prefix="/v1/models", tags=["models"])

PREDICT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PredictRequest.model_json_schema()}},
    }
}


# Bodies up to this size are parsed and answered on the event loop; larger ones in a thread.
INLINE_BODY_BYTES = 32 * 1024
# Model blobs up to this size are loaded on the event loop; larger ones in a thread.
INLINE_BLOB_BYTES = 1024 * 1024
# A loaded model is checked to still exist in Redis at least this often (see ModelCache).
RECHECK_SECS = 1.0


async def cached_model(request: Request, tenant: str, model_id: str) -> FittedModel:
    """The model from this process's cache: Redis is asked at most once a second per model."""
    cache: ModelCache = request.app.state.model_cache
    model = cache.get(tenant, model_id, max_age=RECHECK_SECS)
    if model is not None:
        return model
    models = AsyncModels(get_async_redis(request), TenantKeys(tenant))
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
            model = FittedModel.from_bytes(blob)
        else:
            model = await run_in_threadpool(FittedModel.from_bytes, blob)
    cache.put(tenant, model_id, model)
    return model


def answer(model: FittedModel, body: bytes) -> bytes:
    return predict_payload(model, parse_rows(body, model.n_features_in_))


@router.get("", response_model=Page[ModelRecord], operation_id="list_models")
def list_models(store: StoreDep, limit: Limit = 20, cursor: Cursor = None) -> Page[ModelRecord]:
    return store.models.page(limit=limit, cursor=cursor)


@router.get("/{model_id}", response_model=ModelRecord, operation_id="get_model")
def get_model(model: ModelDep) -> ModelRecord:
    return model


@router.delete("/{model_id}", status_code=status.HTTP_204_NO_CONTENT, operation_id="delete_model")
def delete_model(model: ModelDep, store: StoreDep, cache: ModelCacheDep) -> Response:
    store.models.delete(model.id)
    cache.evict(store.tenant, model.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class PredictRoute(APIRoute):
    """Predict's route: documented from the endpoint's signature like any other, but each
    request calls the endpoint directly instead of through FastAPI's dependency solving, which
    costs ~25 µs per dependency and was most of a one-row prediction's time. The security
    schemes are called here exactly as FastAPI would call them. Route or router dependencies
    are therefore not run: `prediction_router` must be included without any.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            response: Response = await endpoint(
                request,
                request.path_params["model_id"],
                await bearer_scheme(request),
                await api_key_scheme(request),
            )
            return response

        return handle


# Predict has a router of its own, without the /v1 routers' shared dependencies: it is the hot
# path. It runs the same checks inline, in the same order: key (401) and rate (429), repeated
# query parameters (422), model (404).
prediction_router = APIRouter(prefix="/v1/models", tags=["models"], route_class=PredictRoute)


@prediction_router.post(
    "/{model_id}/predict",
    response_model=Prediction,
    operation_id="predict",
    summary="Predict with a trained model",
    openapi_extra=PREDICT_BODY,
)
async def predict(
    request: Request,
    model_id: str,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Response:
    tenant = await admit(request, bearer, api_key)
    refuse_repeated_query(request)
    model = await cached_model(request, tenant, model_id)
    body = await request.body()
    # Small requests answer inline; big ones must not hold the event loop.
    if len(body) <= INLINE_BODY_BYTES:
        payload = answer(model, body)
    else:
        payload = await run_in_threadpool(answer, model, body)
    return Response(payload, media_type="application/json")


@router.get(
    "/{model_id}/export",
    operation_id="export_model",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def export_model(
    record: ModelDep,
    store: StoreDep,
    format: Annotated[Literal["safetensors"], Query(description="File format.")] = "safetensors",
) -> Response:
    blob = store.models.blob(record.id)
    if blob is None:
        raise ApiError(404, f"model {record.id!r} has no stored weights")
    return Response(
        blob,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{record.id}.{format}"'},
    )
