"""Operations: liveness and readiness, without /v1 and without a key."""

from __future__ import annotations

import orjson
import redis
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.deps import get_async_redis
from service.errors import PROBLEM_JSON, RETRY_AFTER, problem, problem_response
from service.schemas import Health, Readiness
from store import workers
from store.connection import PoolExhausted

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
async def readyz(request: Request) -> JSONResponse:
    # Awaited on the event loop: a blocking call here would wait for a thread under load,
    # and orchestrators poll this often.
    try:
        live = await workers.live_async(get_async_redis(request))
    except PoolExhausted:
        raise  # Redis is fine, this process is busy: the app's 503 "Server Busy"
    except (redis.ConnectionError, redis.TimeoutError):
        response = problem(503, "Redis does not answer", headers={"Retry-After": "2"})
        body = orjson.loads(response.body)
        body.update({"redis": "unavailable", "workers": 0, "queues": {}})
        return JSONResponse(body, status_code=503, media_type=PROBLEM_JSON)
    ready = Readiness(
        redis="ok",
        workers=len({worker.hostname for worker in live}),
        queues=workers.per_queue(live),
    )
    return JSONResponse(ready.model_dump())
