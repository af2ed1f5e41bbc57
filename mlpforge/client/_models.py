"""What the client returns: small pydantic models of the client's own, one per resource.

Every model keeps the fields the server sends that it does not declare (``extra="allow"``):
they read as attributes (``job.search_id``) and come back in ``to_dict()``. Every declared
field but ``id`` has a default, so a server that adds, renames or omits a field never breaks
the client.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

FINISHED = frozenset({"succeeded", "failed", "cancelled"})


class Resource(BaseModel):
    model_config = ConfigDict(extra="allow", protected_namespaces=(), frozen=False)

    def to_dict(self) -> dict[str, Any]:
        """The resource as the server sent it (JSON types), extra fields included."""
        return self.model_dump(mode="json")

    def __getitem__(self, key: str) -> Any:
        """``job["status"]``, as for the plain dict the server sent."""
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None


class Identified(Resource):
    """A resource with an id: what every method taking an id also takes."""

    id: str


class Dataset(Identified):
    name: str | None = None
    n_samples: int = 0
    n_features: int = 0
    feature_names: list[str] = Field(default_factory=list)
    target_name: str | None = None
    target_kind: str | None = None  # "categorical" | "continuous"
    classes: list[Any] | None = None
    sha256: str | None = None
    created_at: str | None = None


class Job(Identified):
    status: str = "queued"  # queued | running | succeeded | failed | cancelled
    progress: float = 0.0
    epoch: int = 0
    dataset_id: str | None = None
    task: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] | None = None
    evaluation: dict[str, Any] | None = None
    converged: bool | None = None
    device: str | None = None
    name: str | None = None
    tags: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    model_id: str | None = None
    search_id: str | None = None
    error: dict[str, Any] | None = None  # {"type": ..., "message": ...} when failed
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


class Model(Identified):
    job_id: str | None = None
    dataset_id: str | None = None
    task: str | None = None
    n_features: int = 0
    feature_names: list[str] | None = None
    classes: list[Any] | None = None
    hidden_layer_sizes: list[int] = Field(default_factory=list)
    activation: str | None = None
    n_parameters: int = 0
    metrics: dict[str, Any] = Field(default_factory=dict)
    dataset_sha256: str | None = None
    created_at: str | None = None


class Search(Identified):
    status: str = "queued"
    progress: float = 0.0
    strategy: str | None = None  # grid | random | halving
    objective: dict[str, Any] | None = None  # {"metric": ..., "goal": ...}
    trials: dict[str, int] = Field(default_factory=dict)  # planned, queued, running, ...
    leaderboard: list[dict[str, Any]] = Field(default_factory=list)  # best first
    best_job_id: str | None = None
    best_model_id: str | None = None
    best_params: dict[str, Any] | None = None
    best_objective: float | None = None
    name: str | None = None
    error: dict[str, Any] | None = None
    created_at: str | None = None
    finished_at: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class HistoryEntry(Resource):
    """One finished epoch: what ``job_metrics`` lists and each ``progress`` event carries."""

    epoch: int = 0
    loss: float = math.nan
    val_loss: float | None = None
    val_score: float | None = None
    learning_rate: float | None = None
    seconds: float | None = None


class Readiness(Resource):
    """``GET /readyz``: ``ready`` is false (and ``redis`` "unavailable") on a 503."""

    ready: bool = False
    redis: str | None = None
    workers: int = 0
    queues: dict[str, int] = Field(default_factory=dict)


R = TypeVar("R", bound=Resource)


class Page(BaseModel, Generic[R]):
    """One page of a newest-first listing; ``next_cursor`` is None on the last page."""

    data: list[R]
    next_cursor: str | None = None


@dataclass(frozen=True)
class Event:
    """One server-sent event: ``event`` is its type (``progress``, ``status``), ``data`` its
    JSON payload (a dict; the raw text when it is not JSON), ``id`` what Last-Event-ID resumes
    after (None for a repeated final status)."""

    event: str
    data: Any
    id: str | None = None

    @property
    def entry(self) -> HistoryEntry | None:
        """The history entry of a ``progress`` event."""
        if self.event == "progress" and isinstance(self.data, dict):
            return HistoryEntry.model_validate(self.data)
        return None

    @property
    def job(self) -> Job | None:
        """The job body of a ``status`` event."""
        if self.event == "status" and isinstance(self.data, dict) and "id" in self.data:
            return Job.model_validate(self.data)
        return None

    @property
    def final(self) -> bool:
        """A ``status`` event of a finished job or search: the stream's last event."""
        return (
            self.event == "status"
            and isinstance(self.data, dict)
            and self.data.get("status") in FINISHED
        )


def parse_event_data(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class Prediction:
    """``predict_full``'s answer: numpy arrays. ``predictions`` holds the original label values
    (strings stay strings, integers integers); ``probabilities`` is [n_rows, n_classes] in the
    order of ``classes`` (classification only)."""

    predictions: np.ndarray
    probabilities: np.ndarray | None = None
    classes: np.ndarray | None = None
