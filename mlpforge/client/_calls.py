"""What each API operation sends and how its answer is read: shared by Client and AsyncClient.

Every operation is a :class:`Call`: the request to make and a parser of the successful answer.
A resource's pages, get, delete and actions come from its :class:`Collection`; dataset uploads
are in :mod:`._uploads`, predictions in :mod:`._predictions`; what takes more than one request
(retries, streams, waiting, paging) is in :mod:`._steps`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
import numpy as np
import orjson

from mlpforge.client._models import (
    Dataset,
    HistoryEntry,
    Identified,
    Job,
    Model,
    Page,
    Readiness,
    Resource,
    Search,
)

T = TypeVar("T")
R = TypeVar("R", bound=Resource)

DEFAULT_URL = "http://127.0.0.1:8000"
EXPORT_SUFFIXES = {"safetensors": "safetensors", "onnx": "onnx", "skops": "skops"}


def resolve_url(url: str | None) -> str:
    return (url or os.environ.get("MLPFORGE_URL") or DEFAULT_URL).rstrip("/")


def resolve_key(api_key: str | None) -> str | None:
    return api_key if api_key is not None else (os.environ.get("MLPFORGE_API_KEY") or None)


def plain_id(resource: str | Identified) -> str:
    """An id, or the id of a resource object (``client.get_job(job)`` works too)."""
    return resource if isinstance(resource, str) else resource.id


@dataclass
class Call(Generic[T]):
    """One request and the parser of its successful answer."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: dict[str, Any] | None = None
    content: bytes | None = None
    files: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # Statuses >= 400 that are answers rather than errors (readyz's 503).
    accept: frozenset[int] = frozenset()

    def options(self) -> dict[str, Any]:
        """The keyword arguments of ``httpx.Client.request`` beside the method and path."""
        return {
            "params": self.params,
            "content": self.content,
            "files": self.files,
            "data": self.data,
            "headers": self.headers,
        }


def json_body(payload: Any) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
    return body, {"Content-Type": "application/json"}


def idempotency(key: str | None) -> dict[str, str]:
    return given(**{"Idempotency-Key": key})


def one(model: type[R]) -> Callable[[httpx.Response], R]:
    return lambda response: model.model_validate(response.json())


def _page(model: type[R]) -> Callable[[httpx.Response], Page[R]]:
    def parse(response: httpx.Response) -> Page[R]:
        body = response.json()
        return Page[model](  # type: ignore[valid-type]
            data=[model.model_validate(item) for item in body.get("data", [])],
            next_cursor=body.get("next_cursor"),
        )

    return parse


def _nothing(response: httpx.Response) -> None:
    return None


def _json(response: httpx.Response) -> Any:
    return response.json()


def given(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def plain_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Params as JSON types: tuples to lists, numpy scalars to Python numbers."""

    def plain(value: Any) -> Any:
        if isinstance(value, tuple | list):
            return [plain(item) for item in value]
        if isinstance(value, np.generic):
            return value.item()
        return value

    return {str(key): plain(value) for key, value in params.items()}


# A listing's call for a page: (cursor, limit) -> Call.
Listing = Callable[[str | None, int], Call[Page[R]]]


@dataclass(frozen=True)
class Collection(Generic[R]):
    """A resource's routes: ``GET path`` (its pages), ``GET|DELETE path/{id}``, and
    ``path/{id}/...`` beneath."""

    path: str
    model: type[R]

    def item(self, resource: str | Identified, *rest: str) -> str:
        return "/".join((self.path, quote(plain_id(resource), safe=""), *rest))

    def page(self, cursor: str | None, limit: int, **filters: Any) -> Call[Page[R]]:
        """One page of the listing, filtered."""
        return Call(
            "GET", self.path, _page(self.model), params=given(cursor=cursor, limit=limit, **filters)
        )

    def get(self, resource: str | Identified) -> Call[R]:
        return Call("GET", self.item(resource), one(self.model))

    def delete(self, resource: str | Identified) -> Call[None]:
        return Call("DELETE", self.item(resource), _nothing)

    def act(self, resource: str | Identified, action: str) -> Call[R]:
        """``POST path/{id}/{action}``, answered with the resource (``cancel``)."""
        return Call("POST", self.item(resource, action), one(self.model))

    def events_path(self, resource: str | Identified) -> str:
        return self.item(resource, "events")


DATASETS = Collection("/v1/datasets", Dataset)
JOBS = Collection("/v1/jobs", Job)
MODELS = Collection("/v1/models", Model)
SEARCHES = Collection("/v1/searches", Search)


def _create(collection: Collection[R], body: Any, idempotency_key: str | None) -> Call[R]:
    content, headers = json_body(body)
    headers |= idempotency(idempotency_key)
    return Call("POST", collection.path, one(collection.model), content=content, headers=headers)


def dataset_preview(dataset: str | Identified, rows: int | None = None) -> Call[dict[str, Any]]:
    return Call("GET", DATASETS.item(dataset, "preview"), _json, params=given(rows=rows))


def train(
    dataset: str | Identified,
    idempotency_key: str | None,
    extra: Mapping[str, Any],
    **fields: Any,
) -> Call[Job]:
    """``POST /v1/jobs``: each of ``fields`` sent only when given, every ``extra`` field."""
    if fields.get("params") is not None:
        fields["params"] = plain_params(fields["params"])
    if fields.get("tags") is not None:
        fields["tags"] = list(fields["tags"])
    body = {"dataset_id": plain_id(dataset)} | given(**fields) | dict(extra)
    return _create(JOBS, body, idempotency_key)


def job_metrics(job: str | Identified) -> Call[list[HistoryEntry]]:
    def parse(response: httpx.Response) -> list[HistoryEntry]:
        return [HistoryEntry.model_validate(entry) for entry in response.json()["history"]]

    return Call("GET", JOBS.item(job, "metrics"), parse)


def export(model: str | Identified, format: str) -> Call[bytes]:
    return Call(
        "GET",
        MODELS.item(model, "export"),
        lambda response: response.content,
        params={"format": format},
    )


def export_target(model: str | Identified, format: str, path: str | os.PathLike[str]) -> Path:
    """Where ``export(..., path=...)`` writes: the path, or ``{model_id}.{format}`` inside it
    when it is a folder."""
    target = Path(path)
    if target.is_dir():
        target = target / f"{plain_id(model)}.{EXPORT_SUFFIXES.get(format, format)}"
    return target


def create_search(body: Mapping[str, Any], idempotency_key: str | None = None) -> Call[Search]:
    return _create(SEARCHES, plain_params(body), idempotency_key)


# ---------------------------------------------------------------------------------- operations


def health() -> Call[dict[str, Any]]:
    return Call("GET", "/healthz", _json)


def readiness() -> Call[Readiness]:
    def parse(response: httpx.Response) -> Readiness:
        body = response.json()
        return Readiness.model_validate({**body, "ready": response.status_code == 200})

    return Call("GET", "/readyz", parse, accept=frozenset({503}))
