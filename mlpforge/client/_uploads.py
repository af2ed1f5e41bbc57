"""``POST /v1/datasets``: a file, a DataFrame or arrays, as the request body the API takes."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mlpforge.client._arrays import feature_array, is_dataframe, target_array
from mlpforge.client._calls import Call, given, idempotency, json_body, one
from mlpforge.client._models import Dataset

# .npz uploads larger than this are compressed (zlib costs ~30 ms per MiB; the body limit is
# 64 MiB by default, so compression lets larger datasets through).
COMPRESS_ABOVE_BYTES = 1 << 20
PATH = "/v1/datasets"


def _file(content: bytes | io.BytesIO) -> io.BytesIO:
    """A file part as a file object, never as bytes: httpx sends a bytes part by copying what
    is left of it after every socket write (a 760 MB upload took 54 s instead of ~1 s; see
    bench/RESULTS.md, "Bigger data"). A file object is read in chunks, and rewound by httpx if
    the request is sent again."""
    return content if isinstance(content, io.BytesIO) else io.BytesIO(content)


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
    headers = idempotency(idempotency_key)
    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if y is not None or sample_weight is not None:
            raise TypeError("with a file, name the target column with target=, not y=")
        form = given(target=target, weights=weights)
        files = {"file": (name or path.name, _file(path.read_bytes()), "application/octet-stream")}
        return Call("POST", PATH, one(Dataset), files=files, data=form, headers=headers)
    if is_dataframe(data):
        frame = data
        if y is not None:
            column = target or getattr(y, "name", None) or "target"
            frame = frame.assign(**{str(column): np.asarray(y)})
            target = str(column)
        if sample_weight is not None:
            weights = weights or "sample_weight"
            frame = frame.assign(**{weights: np.asarray(sample_weight)})
        csv = frame.to_csv(index=False).encode()
        form = given(target=target, weights=weights)
        files = {"file": (name or "dataframe.csv", _file(csv), "text/csv")}
        return Call("POST", PATH, one(Dataset), files=files, data=form, headers=headers)
    if y is None:
        raise TypeError("upload_dataset(X, y): y is required unless data is a file or a DataFrame")
    X = feature_array(data)
    targets = target_array(y)
    names = list(feature_names) if feature_names is not None else None
    weight_array = (
        np.asarray(sample_weight, dtype=np.float64) if sample_weight is not None else None
    )
    if format == "json":
        payload = given(
            name=name,
            features=X,
            targets=targets.tolist(),
            feature_names=names,
            weights=weight_array,
        )
        content, json_headers = json_body(payload)
        return Call("POST", PATH, one(Dataset), content=content, headers=headers | json_headers)
    if format != "npz":
        raise ValueError(f"format must be 'npz' or 'json', got {format!r}")
    arrays: dict[str, np.ndarray] = {"X": X, "y": targets}
    if names is not None:
        arrays["feature_names"] = np.asarray(names, dtype=str)
    if weight_array is not None:
        arrays["w"] = weight_array
    buffer = io.BytesIO()
    if X.nbytes > COMPRESS_ABOVE_BYTES:
        np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    else:
        np.savez(buffer, **arrays)  # type: ignore[arg-type]
    buffer.seek(0)
    files = {"file": (name or "arrays.npz", _file(buffer), "application/octet-stream")}
    return Call("POST", PATH, one(Dataset), files=files, headers=headers)
