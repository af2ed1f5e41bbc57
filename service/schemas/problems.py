"""RFC 9457 problem details: the body of every 4xx and 5xx."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ValidationIssue(BaseModel):
    """One problem in a request: where it is (FastAPI's ``loc``) and what is wrong."""

    loc: list[str | int] = Field(examples=[["body", "params", "max_iter"]])
    msg: str = Field(examples=["Input should be greater than 0"])
    type: str | None = Field(None, description="Machine-readable kind of validation error.")


class Problem(BaseModel):
    """RFC 9457 problem details: the ``application/problem+json`` body of every 4xx and 5xx."""

    type: str = Field(examples=["https://mlpforge.dev/problems/not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(ge=400, le=599, examples=[404])
    detail: str = Field(examples=["job 'job_0193a7b2c3d4e5f6a7b8c9d0' does not exist"])
    errors: list[ValidationIssue] | None = Field(
        None, description="For invalid requests: every problem found, with its location."
    )


class NotReady(Problem):
    """``/readyz`` when Redis does not answer: a problem that also carries the readiness fields."""

    redis: Literal["unavailable"]
    workers: int
    queues: dict[str, int] = Field(default_factory=dict)
