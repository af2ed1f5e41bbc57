"""/v1/models: read, list, delete, predict, export."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from engine import FittedModel
from service.deps import ModelCacheDep, ModelDep, StoreDep
from service.errors import ApiError, not_found
from service.pagination import Cursor, Limit
from service.prediction import parse_rows, predict_payload
from service.schemas import Prediction, PredictRequest
from store import ModelRecord, Page, Store

router = APIRouter(prefix="/v1/models", tags=["models"])

PREDICT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": PredictRequest.model_json_schema()}},
    }
}


def load_model(store: Store, cache: ModelCacheDep, record: ModelRecord) -> FittedModel:
    model = cache.get(store.tenant, record.id)
    if model is None:
        blob = store.models.blob(record.id)
        if blob is None:
            raise not_found("model", record.id)
        model = FittedModel.from_bytes(blob)
        cache.put(store.tenant, record.id, model)
    return model


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


@router.post(
    "/{model_id}/predict",
    response_model=Prediction,
    operation_id="predict",
    summary="Predict with a trained model",
    openapi_extra=PREDICT_BODY,
)
async def predict(
    request: Request, record: ModelDep, store: StoreDep, cache: ModelCacheDep
) -> Response:
    body = await request.body()
    model = load_model(store, cache, record)
    X = parse_rows(body, record.n_features)
    # Small requests answer inline; big ones must not hold the event loop.
    if X.shape[0] <= 256:
        payload = predict_payload(model, X)
    else:
        payload = await run_in_threadpool(predict_payload, model, X)
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
