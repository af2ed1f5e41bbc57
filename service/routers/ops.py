"""Operations: liveness and readiness, without /v1 and without a key."""

from __future__ import annotations

import orjson
import redis
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.deps import RedisDep
from service.errors import PROBLEM_JSON, RETRY_AFTER, problem, problem_response
from service.schemas import Health, Readiness
from store import workers

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, operation_id="healthz")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    operation_id="readyz",
    responses={
        503: problem_response("Redis does not answer.", schema="NotReady", headers=RETRY_AFTER)
    },
)
def readyz(client: RedisDep) -> JSONResponse:
    try:
        client.ping()
        live = workers.count_live(client)
    except (redis.ConnectionError, redis.TimeoutError):
        response = problem(503, "Redis does not answer", headers={"Retry-After": "2"})
        body = orjson.loads(response.body)
        body.update({"redis": "unavailable", "workers": 0})
        return JSONResponse(body, status_code=503, media_type=PROBLEM_JSON)
    return JSONResponse({"redis": "ok", "workers": live})
