"""The FastAPI application: settings, Redis, the task queue, routers and error handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from mlpforge import __version__
from mlpforge.blob_config import blob_store
from mlpforge.queueing import make_celery
from mlpforge.settings import Settings, get_settings
from service.access_log import AccessLogMiddleware
from service.body_limit import BodyLimitMiddleware, BodyLimits
from service.callbacks.drain import CallbackDrainer
from service.dashboard import install_dashboard
from service.docs import install_docs
from service.errors import V1_PROBLEMS, install_error_handlers
from service.headers import SecurityHeadersMiddleware
from service.metrics.http import HttpMetricsMiddleware
from service.metrics.redis_errors import count_redis_errors
from service.model_cache import ModelCache
from service.openapi import install_openapi
from service.request_id import RequestIdMiddleware
from service.routers import datasets, inference, jobs, metrics, models, ops, searches
from service.v2.errors import V2ErrorMiddleware
from store.connection import AsyncConnection, connect
from store.event_hub import EventHub
from store.rate_limit import RateLimiter
from store.streams import StreamSlots

log = logging.getLogger("mlpforge.api")

DESCRIPTION = """
Train scikit-learn-style multi-layer perceptrons as a service.

1. `POST /v1/datasets` — upload data (inline JSON, CSV or .npz).
2. `POST /v1/jobs` — train on it with MLPClassifier/MLPRegressor parameters.
3. `GET /v1/jobs/{id}` (or `/events`) — follow the loss, epoch by epoch.
4. `POST /v1/models/{id}/predict` — predict with the trained model.

When the server has API keys configured, click **Authorize** and paste yours.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.api_keys:
            log.warning(
                "MLPFORGE_API_KEYS is not set: the API is open to anyone who can reach it "
                "(single-tenant mode)"
            )
        # The event hub's reader and the stream slots' renewal run on this loop until shutdown.
        app.state.event_hub.start()
        app.state.stream_slots.start()
        app.state.callbacks.start()
        yield
        await app.state.callbacks.aclose()
        await app.state.event_hub.aclose()
        await app.state.stream_slots.aclose()
        await app.state.async_redis.aclose()

    app = FastAPI(
        title="mlpforge",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": True, "tryItOutEnabled": True},
        # /docs and /redoc are service.docs's, with their assets served from the package.
        docs_url=None,
        redoc_url=None,
        # /v1/jobs/ is a 404, not a 307 whose Location would be built from the Host header.
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.blobs = blob_store(settings)  # None: datasets and models are kept in Redis
    # Both pools bounded: a burst waits up to redis_pool_timeout_secs for a connection (then
    # 503 "busy") instead of opening one per request.
    app.state.redis = connect(
        settings.redis_url,
        settings.redis_timeout_secs,
        max_connections=settings.redis_max_connections,
        pool_timeout_secs=settings.redis_pool_timeout_secs,
    )
    app.state.async_redis = AsyncConnection(
        settings.redis_url,
        settings.redis_timeout_secs,
        max_connections=settings.redis_max_connections,
        pool_timeout_secs=settings.redis_pool_timeout_secs,
    )
    app.state.event_hub = EventHub(
        app.state.async_redis, settings.redis_url, timeout_secs=settings.redis_timeout_secs
    )
    app.state.stream_slots = StreamSlots(app.state.async_redis)
    app.state.callbacks = CallbackDrainer(app.state.redis, settings)
    app.state.api_keys = settings.api_key_table()
    app.state.queue = make_celery(settings, name="mlpforge-api")
    app.state.model_cache = ModelCache(settings.model_cache_size)
    app.state.rate_limiter = (
        RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
        if settings.rate_limit_per_second > 0
        else None
    )

    install_error_handlers(app)
    count_redis_errors(app)
    app.add_middleware(
        BodyLimitMiddleware,
        limits=BodyLimits(
            data_bytes=settings.max_body_bytes,
            request_bytes=settings.max_request_bytes,
            upload_bytes=settings.max_upload_bytes,
        ),
    )
    app.add_middleware(V2ErrorMiddleware)  # /v2 errors also carry V2's {"error": ...}
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(HttpMetricsMiddleware)
    app.add_middleware(AccessLogMiddleware)  # sees every answer, with the request's id bound
    app.add_middleware(RequestIdMiddleware)  # outermost: every line below carries the id
    # One-row predictions are the latency-bound route: matched first, before any router is
    # scanned (models.predict_dispatch_route says why; the documented route is below). Every
    # other request pays one regex for it (~1 µs).
    app.router.routes.append(models.predict_dispatch_route())
    app.include_router(ops.router)
    app.include_router(metrics.router)
    app.include_router(inference.health_router)
    # Every /v1 route is a GuardedRoute: key and rate are checked before a body is read.
    for router in (
        datasets.router,
        jobs.router,
        searches.router,
        models.prediction_router,
        models.router,
        inference.router,
    ):
        app.include_router(router, responses=V1_PROBLEMS)
    install_openapi(app)
    install_docs(app)
    install_dashboard(app)
    return app
