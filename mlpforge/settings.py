"""One place for configuration: environment variables with the MLPFORGE_ prefix."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Every knob of the service; read once per process from the environment."""

    model_config = SettingsConfigDict(env_prefix="MLPFORGE_", extra="ignore")

    redis_url: str = "redis://127.0.0.1:6379/0"
    # Raw "tenant:key,tenant2:key2"; parsed by `api_key_table`. Unset = open single-tenant mode.
    api_keys: str | None = None
    max_body_bytes: int = Field(64 * MIB, gt=0)
    max_dataset_cells: int = Field(20_000_000, gt=0)
    max_parameters: int = Field(10_000_000, gt=0)
    max_epochs: int = Field(100_000, gt=0)
    max_batch_size: int = Field(100_000, gt=0)
    max_runtime_secs: int = Field(24 * 3600, gt=0)
    default_runtime_secs: int = Field(3600, gt=0)
    max_active_jobs: int = Field(1000, gt=0, description="queued + running jobs per tenant")
    # Requests per second per tenant (token bucket of `rate_limit_burst`); 0 turns it off.
    rate_limit_per_second: float = Field(100.0, ge=0)
    rate_limit_burst: int = Field(200, gt=0)
    model_cache_size: int = Field(32, gt=0)
    # Seconds a worker may be silent before its running job is handed to another worker.
    lease_secs: int = Field(15, gt=1)
    # Inside an epoch longer than this, the worker also checkpoints every this many seconds.
    checkpoint_secs: float = Field(60.0, gt=0)
    # How long /readyz waits for worker pings before answering.
    ready_timeout_secs: float = Field(1.0, gt=0)
    # Short, so that an API call answers 503 within ~2 s while Redis is unreachable.
    redis_timeout_secs: float = Field(0.9, gt=0)

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


def parse_api_keys(raw: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        tenant, sep, key = item.partition(":")
        if not sep or not tenant.strip() or not key.strip():
            raise ValueError(
                f"MLPFORGE_API_KEYS: expected 'tenant:key', got {item.split(':')[0]!r}:…"
            )
        table[key.strip()] = tenant.strip()
    return table


@lru_cache
def get_settings() -> Settings:
    return Settings()
