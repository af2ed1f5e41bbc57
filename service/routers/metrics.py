"""GET /metrics: Prometheus's text format; operations, so no key (and no tenant in labels)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from service.deps import get_async_redis
from service.metrics.exposition import exposition, fleet_snapshot

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    operation_id="metrics",
    summary="Prometheus metrics of this API and of the whole fleet",
    response_class=Response,
    responses={
        200: {
            "description": "Prometheus's text format, or OpenMetrics when the Accept header "
            "asks for it.",
            "content": {CONTENT_TYPE_LATEST: {}, "application/openmetrics-text": {}},
        }
    },
)
async def metrics(request: Request) -> Response:
    fleet = await fleet_snapshot(get_async_redis(request))
    # Reading the other processes' files is disk work: off the event loop.
    body, media_type = await run_in_threadpool(exposition, fleet, request.headers.get("accept"))
    return Response(body, media_type=media_type)
