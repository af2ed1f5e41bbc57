"""One place for configuration: environment variables with the MLPFORGE_ prefix.

Read once per process and checked then: a setting that cannot be right (keys that parse to
nothing, one key for two tenants) stops the process with a message naming it, rather than
running in a mode nobody asked for.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mlpforge.callback_config import AllowedHost, parse_callback_hosts, parse_callback_secrets
from mlpforge.tenants import tenant_pairs
from store.blobs import S3Options, parse_blob_url

KIB = 1024
MIB = 1024 * KIB
DAY_SECS = 24 * 3600


class Settings(BaseSettings):
    """Every knob of the service; read once per process from the environment."""

    # hide_input_in_errors: a bad MLPFORGE_API_KEYS or MLPFORGE_CALLBACK_SECRETS must not be
    # echoed into a traceback or a log.
    model_config = SettingsConfigDict(
        env_prefix="MLPFORGE_", extra="ignore", hide_input_in_errors=True
    )

    redis_url: str = "redis://127.0.0.1:6379/0"
    # Raw "tenant:key,tenant2:key2"; parsed by `api_key_table`. Unset = open single-tenant mode.
    api_keys: str | None = None

    # ---- request size ------------------------------------------------------------------
    # Predictions and JSON dataset bodies (the routes that carry data).
    max_body_bytes: int = Field(64 * MIB, gt=0)
    # Dataset files (multipart CSV or .npz): read without becoming Python objects, so they may
    # be larger — a covertype-sized float64 .npz is 251 MB.
    max_upload_bytes: int = Field(256 * MIB, gt=0)
    # Every other body: a job request, a cancel... is a few KB.
    max_request_bytes: int = Field(64 * KIB, gt=0)
    max_predict_rows: int = Field(100_000, gt=0)

    # ---- datasets ----------------------------------------------------------------------
    max_dataset_cells: int = Field(100_000_000, gt=0)
    # Class labels: longer ones are refused at upload, as are more distinct classes.
    max_label_chars: int = Field(256, gt=0)
    max_classes: int = Field(1000, ge=2)

    # ---- jobs --------------------------------------------------------------------------
    max_parameters: int = Field(10_000_000, gt=0)
    max_layers: int = Field(100, gt=0, description="hidden layers of one network")
    # Estimated multiply-adds of one epoch (see engine.cost); ~10 minutes on 2 CPU cores.
    max_epoch_work: float = Field(2e13, gt=0)
    max_epochs: int = Field(100_000, gt=0)
    max_batch_size: int = Field(100_000, gt=0)
    max_runtime_secs: int = Field(DAY_SECS, gt=0)
    default_runtime_secs: int = Field(3600, gt=0)
    max_active_jobs: int = Field(1000, gt=0, description="queued + running jobs per tenant")
    # ---- searches (mlpforge.search) ---------------------------------------------------
    # Candidates (parameter combinations) of one search; a grid larger than this is refused.
    max_trials: int = Field(1000, gt=0)
    # Jobs one search may start: its trials × cv folds over every rung, and the refit.
    max_search_jobs: int = Field(5000, gt=0)
    max_active_searches: int = Field(20, gt=0, description="queued + running searches per tenant")
    # A "gpu" job while no GPU worker is alive: refused with a 422 (true) or accepted with a
    # warning on the job (false).
    refuse_gpu_without_worker: bool = False
    # A finished job's history and events are kept this long (0: for ever); its record and
    # its model stay until deleted.
    job_retention_secs: int = Field(30 * DAY_SECS, ge=0)

    # ---- tenants and connections -------------------------------------------------------
    # Requests per second per tenant (token bucket of `rate_limit_burst`); 0 turns it off.
    rate_limit_per_second: float = Field(100.0, ge=0)
    rate_limit_burst: int = Field(200, gt=0)
    # Open event streams per tenant (all API processes together), and how long one may last
    # before the server ends it (a browser's EventSource reconnects with Last-Event-ID).
    max_streams_per_tenant: int = Field(20, gt=0)
    max_stream_secs: int = Field(3600, gt=0)
    # Redis connections per API process; a request waits this long for a free one (then 503).
    redis_max_connections: int = Field(64, ge=4)
    redis_pool_timeout_secs: float = Field(2.0, gt=0)
    model_cache_size: int = Field(32, gt=0)

    # ---- workers -----------------------------------------------------------------------
    # Seconds a worker may be silent before its running job is handed to another worker.
    lease_secs: int = Field(15, gt=1)
    # A job still queued this long with no task message anywhere in the broker is sent again.
    requeue_after_secs: float = Field(60.0, gt=0)
    # Inside an epoch longer than this, the worker also checkpoints every this many seconds.
    checkpoint_secs: float = Field(60.0, gt=0)
    # Short, so that an API call answers 503 within ~2 s while Redis is unreachable.
    redis_timeout_secs: float = Field(0.9, gt=0)

    # ---- blobs (store.blobs) ----------------------------------------------------------
    # Where datasets' arrays, models' weights and checkpoints are kept: "redis" (beside the
    # state), "file:///shared/folder" (mounted on every host) or "s3://bucket/prefix".
    blob_url: str = "redis"
    # An S3-compatible endpoint (MinIO, Ceph, R2...) and its credentials; unset: AWS's, or the
    # AWS_* environment variables. An http:// endpoint is allowed (a private network).
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = Field(None, repr=False)

    # ---- logs (mlpforge.logging_setup) ------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    # text for people at a terminal (`make run`); json, one object per line, for collectors
    # (the Docker image sets it).
    log_format: Literal["text", "json"] = "text"

    # ---- job callbacks (webhooks; service.callbacks) ----------------------------------------
    # Comma-separated "host" or "host:port" a callback_url may name; empty: no callbacks.
    callback_hosts: str = ""
    # "tenant:secret,..." signing each tenant's callbacks; a tenant without one cannot ask for
    # callbacks. A secret: never logged, kept out of the files.
    callback_secrets: str = ""
    callback_max_attempts: int = Field(5, ge=1, le=20)
    # The first retry waits this long, each next one 3 times longer (15 s: 5 tries in 10 min).
    callback_retry_secs: float = Field(15.0, gt=0)

    @field_validator("api_keys")
    @classmethod
    def _keys_well_formed(cls, raw: str | None) -> str | None:
        if raw is None or not raw.strip():
            return None
        parse_api_keys(raw)
        return raw

    def api_key_table(self) -> dict[str, str]:
        """key → tenant; empty in open mode."""
        return parse_api_keys(self.api_keys) if self.api_keys else {}

    @field_validator("blob_url")
    @classmethod
    def _blob_url_well_formed(cls, raw: str) -> str:
        parse_blob_url(raw)
        return raw.strip() or "redis"

    def s3_options(self) -> S3Options:
        return S3Options(
            endpoint_url=self.s3_endpoint_url,
            region=self.s3_region,
            access_key_id=self.s3_access_key_id,
            secret_access_key=self.s3_secret_access_key,
        )

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, raw: object) -> object:
        return raw.strip().upper() if isinstance(raw, str) else raw

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_in_any_case(cls, raw: object) -> object:
        return raw.strip().lower() if isinstance(raw, str) else raw

    @field_validator("callback_hosts")
    @classmethod
    def _hosts_well_formed(cls, raw: str) -> str:
        parse_callback_hosts(raw)
        return raw

    @field_validator("callback_secrets")
    @classmethod
    def _secrets_well_formed(cls, raw: str) -> str:
        parse_callback_secrets(raw)
        return raw

    def callback_host_table(self) -> frozenset[AllowedHost]:
        """Where callbacks may go; empty: callbacks are disabled."""
        return parse_callback_hosts(self.callback_hosts)

    def callback_secret_table(self) -> dict[str, str]:
        """tenant → the secret its callbacks are signed with."""
        return parse_callback_secrets(self.callback_secrets)


def parse_api_keys(raw: str) -> dict[str, str]:
    """``tenant:key,tenant2:key2`` → {key: tenant}. Refuses what would silently misbehave:
    a value with no key at all (it would run wide open), one key given twice (the last
    tenant would win), tenant names that do not belong in Redis keys."""
    table: dict[str, str] = {}
    for tenant, key in tenant_pairs(raw, "key"):
        if key in table:
            raise ValueError(
                f"the same key is given for tenants {table[key]!r} and "
                f"{tenant!r}; every key must be unique"
            )
        table[key] = tenant
    if not table:
        raise ValueError(
            "set, but holds no 'tenant:key' pair; unset it for open "
            "single-tenant mode, or give at least one key"
        )
    return table


@lru_cache
def get_settings() -> Settings:
    return Settings()


def settings_or_exit() -> Settings:
    """The settings, or — for the commands people run (`make run`, uvicorn, the worker) — a
    message naming each bad setting and exit status 2, instead of a traceback."""
    try:
        return get_settings()
    except ValidationError as error:
        problems = "\n".join(
            f"  MLPFORGE_{'.'.join(map(str, e['loc'])).upper() or 'settings'}: "
            f"{str(e['msg']).removeprefix('Value error, ')}"
            for e in error.errors()
        )
        print(f"mlpforge: the configuration is invalid:\n{problems}", file=sys.stderr, flush=True)
        sys.exit(2)
