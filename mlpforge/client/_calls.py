"""What each API operation sends and how its answer is read: shared by Client and AsyncClient.

Every operation is a function that returns a :class:`Call` — the request to make and a parser
of the successful response — so the sync and async clients differ only in how they send it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
import numpy as np
import orjson

from mlpforge.client._models import (
    Dataset,
    Event,
    HistoryEntry,
    Identified,
    Job,
    Model,
    Page,
    Prediction,
    Readiness,
    Resource,
    Search,
    parse_event_data,
)

T = TypeVar("T")
R = TypeVar("R", bound=Resource)

DEFAULT_URL = "http://127.0.0.1:8000"
# Rows per predict request: well under the server's MLPFORGE_MAX_PREDICT_ROWS (100,000).
PREDICT_CHUNK_ROWS = 10_000
# .npz uploads larger than this are compressed (zlib costs ~30 ms per MiB; the body limit is
# 64 MiB by default, so compression lets larger datasets through).
COMPRESS_ABOVE_BYTES = 1 << 20
EXPORT_SUFFIXES = {"safetensors": "safetensors", "onnx": "onnx", "skops": "skops"}


def resolve_url(url: str | None) -> str:
    return (url or os.environ.get("MLPFORGE_URL") or DEFAULT_URL).rstrip("/")


def resolve_key(api_key: str | None) -> str | None:
    return api_key if api_key is not None else (os.environ.get("MLPFORGE_API_KEY") or None)


def _id(resource: str | Identified) -> str:
    """An id, or the id of a resource object (``client.get_job(job)`` works too)."""
    value = resource if isinstance(resource, str) else resource.id
    return quote(value, safe="")


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


def _json_body(payload: Any) -> tuple[bytes, dict[str, str]]:
    body = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
    return body, {"Content-Type": "application/json"}


def _one(model: type[R]) -> Callable[[httpx.Response], R]:
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


def _given(**values: Any) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


# ---------------------------------------------------------------------------------- datasets


def _is_dataframe(value: Any) -> bool:
    return hasattr(value, "to_csv") and hasattr(value, "columns") and hasattr(value, "iloc")


def _target_array(y: Any) -> np.ndarray:
    array = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if array.dtype == object:
        kinds = {type(value) for value in array.ravel().tolist()}
        if kinds <= {str}:
            array = array.astype(str)
        elif kinds <= {bool}:
            array = array.astype(bool)
        elif kinds <= {int, float} and not kinds <= {bool}:
            array = array.astype(np.float64 if float in kinds else np.int64)
        else:
            names = ", ".join(sorted(kind.__name__ for kind in kinds))
            raise TypeError(f"y mixes value types ({names}); use one type for every label")
    return array


def _feature_array(X: Any) -> np.ndarray:
    array = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X)
    if array.dtype.kind not in "biuf":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError("X must hold numbers only") from None
    if array.ndim != 2:
        raise ValueError(f"X must be 2-D (rows × features); got an array of shape {array.shape}")
    return array


def upload_dataset(
    data: Any,
    y: Any = None,
    *,
    target: str | None = None,
    name: str | None = None,
    feature_names: Sequence[str] | None = None,
    sample_weight: Any = None,
    weights: str | None = None,
    format: str = "npz",
    idempotency_key: str | None = None,
) -> Call[Dataset]:
    headers = _given(**{"Idempotency-Key": idempotency_key})
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if y is not None or sample_weight is not None:
            raise TypeError("with a file, name the target column with target=, not y=")
        form = _given(target=target, weights=weights)
        files = {"file": (name or path.name, path.read_bytes(), "application/octet-stream")}
        return Call("POST", "/v1/datasets", _one(Dataset), files=files, data=form, headers=headers)
    if _is_dataframe(data):
        frame = data
        if y is not None:
            column = target or getattr(y, "name", None) or "target"
            frame = frame.assign(**{str(column): np.asarray(y)})
            target = str(column)
        if sample_weight is not None:
            weights = weights or "sample_weight"
            frame = frame.assign(**{weights: np.asarray(sample_weight)})
        csv = frame.to_csv(index=False).encode()
        form = _given(target=target, weights=weights)
        files = {"file": (name or "dataframe.csv", csv, "text/csv")}
        return Call("POST", "/v1/datasets", _one(Dataset), files=files, data=form, headers=headers)
    if y is None:
        raise TypeError("upload_dataset(X, y): y is required unless data is a file or a DataFrame")
    X = _feature_array(data)
    targets = _target_array(y)
    if format == "json":
        payload = _given(
            name=name,
            features=X,
            targets=targets.tolist(),
            feature_names=list(feature_names) if feature_names is not None else None,
            weights=np.asarray(sample_weight, dtype=np.float64)
            if sample_weight is not None
            else None,
        )
        content, json_headers = _json_body(payload)
        return Call(
            "POST", "/v1/datasets", _one(Dataset), content=content, headers=headers | json_headers
        )
    if format != "npz":
        raise ValueError(f"format must be 'npz' or 'json', got {format!r}")
    arrays: dict[str, np.ndarray] = {"X": X, "y": targets}
    if feature_names is not None:
        arrays["feature_names"] = np.asarray(list(feature_names), dtype=str)
    if sample_weight is not None:
        arrays["w"] = np.asarray(sample_weight, dtype=np.float64)
    buffer = io.BytesIO()
    if X.nbytes > COMPRESS_ABOVE_BYTES:
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    else:
        np.savez(buffer, **arrays)  # type: ignore[arg-type]
    filename = name or "arrays.npz"
    files = {"file": (filename, buffer.getvalue(), "application/octet-stream")}
    return Call("POST", "/v1/datasets", _one(Dataset), files=files, headers=headers)


def list_datasets(cursor: str | None, limit: int) -> Call[Page[Dataset]]:
    params = _given(cursor=cursor, limit=limit)
    return Call("GET", "/v1/datasets", _page(Dataset), params=params)


def get_dataset(dataset: str | Identified) -> Call[Dataset]:
    return Call("GET", f"/v1/datasets/{_id(dataset)}", _one(Dataset))


def delete_dataset(dataset: str | Identified) -> Call[None]:
    return Call("DELETE", f"/v1/datasets/{_id(dataset)}", _nothing)


def dataset_preview(dataset: str | Identified, rows: int | None = None) -> Call[dict[str, Any]]:
    return Call("GET", f"/v1/datasets/{_id(dataset)}/preview", _json, params=_given(rows=rows))


# ---------------------------------------------------------------------------------- jobs


def train(
    dataset: str | Identified,
    task: str | None = None,
    params: Mapping[str, Any] | None = None,
    *,
    max_runtime_secs: int | None = None,
    device: str | None = None,
    name: str | None = None,
    tags: Sequence[str] | None = None,
    init_model_id: str | None = None,
    test_dataset_id: str | None = None,
    callback_url: str | None = None,
    idempotency_key: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Call[Job]:
    body: dict[str, Any] = {"dataset_id": dataset if isinstance(dataset, str) else dataset.id}
    body |= _given(
        task=task,
        params=_plain_params(params) if params is not None else None,
        max_runtime_secs=max_runtime_secs,
        device=device,
        name=name,
        tags=list(tags) if tags is not None else None,
        init_model_id=init_model_id,
        test_dataset_id=test_dataset_id,
        callback_url=callback_url,
    )
    body |= dict(extra or {})
    content, headers = _json_body(body)
    headers |= _given(**{"Idempotency-Key": idempotency_key})
    return Call("POST", "/v1/jobs", _one(Job), content=content, headers=headers)


def _plain_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Params as JSON types: tuples to lists, numpy scalars to Python numbers."""

    def plain(value: Any) -> Any:
        if isinstance(value, tuple | list):
            return [plain(item) for item in value]
        if isinstance(value, np.generic):
            return value.item()
        return value

    return {str(key): plain(value) for key, value in params.items()}


def list_jobs(
    cursor: str | None,
    limit: int,
    *,
    status: str | None = None,
    dataset_id: str | None = None,
    tag: str | None = None,
    search_id: str | None = None,
) -> Call[Page[Job]]:
    params = _given(
        cursor=cursor,
        limit=limit,
        status=status,
        dataset_id=dataset_id,
        tag=tag,
        search_id=search_id,
    )
    return Call("GET", "/v1/jobs", _page(Job), params=params)


def get_job(job: str | Identified) -> Call[Job]:
    return Call("GET", f"/v1/jobs/{_id(job)}", _one(Job))


def cancel_job(job: str | Identified) -> Call[Job]:
    return Call("POST", f"/v1/jobs/{_id(job)}/cancel", _one(Job))


def delete_job(job: str | Identified) -> Call[None]:
    return Call("DELETE", f"/v1/jobs/{_id(job)}", _nothing)


def job_metrics(job: str | Identified) -> Call[list[HistoryEntry]]:
    def parse(response: httpx.Response) -> list[HistoryEntry]:
        return [HistoryEntry.model_validate(entry) for entry in response.json()["history"]]

    return Call("GET", f"/v1/jobs/{_id(job)}/metrics", parse)


def events_path(kind: str, resource: str | Identified) -> str:
    return f"/v1/{kind}/{_id(resource)}/events"


# ---------------------------------------------------------------------------------- models


def list_models(cursor: str | None, limit: int) -> Call[Page[Model]]:
    return Call("GET", "/v1/models", _page(Model), params=_given(cursor=cursor, limit=limit))


def get_model(model: str | Identified) -> Call[Model]:
    return Call("GET", f"/v1/models/{_id(model)}", _one(Model))


def delete_model(model: str | Identified) -> Call[None]:
    return Call("DELETE", f"/v1/models/{_id(model)}", _nothing)


def predict_chunks(model: str | Identified, X: Any) -> list[Call[Prediction]]:
    """One call per PREDICT_CHUNK_ROWS rows (an empty X makes no call)."""
    rows = _feature_array(X)
    calls = []
    for start in range(0, len(rows), PREDICT_CHUNK_ROWS):
        content, headers = _json_body({"inputs": rows[start : start + PREDICT_CHUNK_ROWS]})
        calls.append(
            Call(
                "POST",
                f"/v1/models/{_id(model)}/predict",
                _prediction,
                content=content,
                headers=headers,
            )
        )
    return calls


def labels_array(values: list[Any]) -> np.ndarray:
    """Labels as a numpy array of their own type: strings stay strings, integers integers;
    a mix of types (which a server never sends for one model) becomes an object array."""
    kinds = {type(value) for value in values}
    if not values:
        return np.asarray(values)
    if kinds <= {str}:
        return np.asarray(values, dtype=str)
    if kinds <= {bool}:
        return np.asarray(values, dtype=bool)
    if kinds <= {int}:
        return np.asarray(values, dtype=np.int64)
    if kinds <= {int, float} or kinds <= {list}:
        return np.asarray(values, dtype=np.float64)
    return np.asarray(values, dtype=object)


def _prediction(response: httpx.Response) -> Prediction:
    body = response.json()
    probabilities = body.get("probabilities")
    classes = body.get("classes")
    return Prediction(
        predictions=labels_array(body["predictions"]),
        probabilities=np.asarray(probabilities, dtype=np.float64)
        if probabilities is not None
        else None,
        classes=labels_array(classes) if classes is not None else None,
    )


def join_predictions(parts: list[Prediction], n_features: int | None = None) -> Prediction:
    if not parts:
        empty = np.empty((0,), dtype=np.float64)
        return Prediction(predictions=empty)
    if len(parts) == 1:
        return parts[0]
    probabilities = [part.probabilities for part in parts]
    return Prediction(
        predictions=np.concatenate([part.predictions for part in parts]),
        probabilities=np.concatenate([p for p in probabilities if p is not None])
        if probabilities[0] is not None
        else None,
        classes=parts[0].classes,
    )


def export(model: str | Identified, format: str) -> Call[bytes]:
    return Call(
        "GET",
        f"/v1/models/{_id(model)}/export",
        lambda response: response.content,
        params={"format": format},
    )


def export_target(model: str | Identified, format: str, path: str | os.PathLike[str]) -> Path:
    """Where ``export(..., path=...)`` writes: the path, or ``{model_id}.{format}`` inside it
    when it is a folder."""
    target = Path(path)
    if target.is_dir():
        model_id = model if isinstance(model, str) else model.id
        target = target / f"{model_id}.{EXPORT_SUFFIXES.get(format, format)}"
    return target


# ---------------------------------------------------------------------------------- searches


def create_search(body: Mapping[str, Any], idempotency_key: str | None = None) -> Call[Search]:
    content, headers = _json_body(_plain_params(body))
    headers |= _given(**{"Idempotency-Key": idempotency_key})
    return Call("POST", "/v1/searches", _one(Search), content=content, headers=headers)


def list_searches(cursor: str | None, limit: int) -> Call[Page[Search]]:
    return Call("GET", "/v1/searches", _page(Search), params=_given(cursor=cursor, limit=limit))


def get_search(search: str | Identified) -> Call[Search]:
    return Call("GET", f"/v1/searches/{_id(search)}", _one(Search))


def cancel_search(search: str | Identified) -> Call[Search]:
    return Call("POST", f"/v1/searches/{_id(search)}/cancel", _one(Search))


def delete_search(search: str | Identified) -> Call[None]:
    return Call("DELETE", f"/v1/searches/{_id(search)}", _nothing)


# ---------------------------------------------------------------------------------- operations


def health() -> Call[dict[str, Any]]:
    return Call("GET", "/healthz", _json)


def readiness() -> Call[Readiness]:
    def parse(response: httpx.Response) -> Readiness:
        body = response.json()
        return Readiness.model_validate({**body, "ready": response.status_code == 200})

    return Call("GET", "/readyz", parse, accept=frozenset({503}))


# ---------------------------------------------------------------------------------- events


class SSEDecoder:
    """The text/event-stream format (WHATWG HTML §9.2), one line at a time.

    ``last_id`` is the id to resume after (kept across events, as the spec's "last event ID
    buffer"); ``retry`` the reconnection delay the server asked for, in milliseconds.
    """

    def __init__(self) -> None:
        self.last_id: str | None = None
        self.retry: int | None = None
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, line: str) -> Event | None:
        line = line.rstrip("\r\n")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: keep-alive
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._id = value
                self.last_id = value or None
        elif name == "retry" and value.isdigit():
            self.retry = int(value)
        return None

    def _dispatch(self) -> Event | None:
        event_id, self._id = self._id, None
        if not self._data:
            self._event = ""
            return None
        event = Event(
            event=self._event or "message",
            data=parse_event_data("\n".join(self._data)),
            id=event_id,
        )
        self._event, self._data = "", []
        return event
