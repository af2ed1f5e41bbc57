"""Operations: liveness and readiness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    redis: Literal["ok", "unavailable"]
    workers: int = Field(description="Live workers (each beat within the last few seconds).")
    queues: dict[str, int] = Field(
        default_factory=dict,
        description="Live workers consuming each queue; cpu and gpu are always named.",
        examples=[{"cpu": 2, "gpu": 0}],
    )
