"""V2 tensors: the request's ``input`` as a float32 matrix, the answers as V2 output tensors.

Both encodings of the protocol are understood: JSON ``data`` (flat or nested, row-major), and
the binary tensor data extension, where the JSON header is followed by raw little-endian
bytes (request header ``Inference-Header-Content-Length``; per tensor
``parameters.binary_data_size``). tritonclient uses the binary form by default.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import orjson
from pydantic import ValidationError

from service.errors import ApiError, invalid
from service.exports.signature import INPUT, TensorSpec
from service.prediction import too_many_rows
from service.v2.schemas import InferInput, InferRequest

HEADER_LENGTH = "Inference-Header-Content-Length"

_DATATYPES: dict[Any, str] = {
    np.dtype(np.float32): "FP32",
    np.dtype(np.float64): "FP64",
    np.dtype(np.int64): "INT64",
    np.dtype(np.bool_): "BOOL",
    str: "BYTES",
}


def datatype(dtype: Any) -> str:
    """The V2 datatype of a numpy dtype (str: BYTES)."""
    return _DATATYPES[dtype if dtype is str else np.dtype(dtype)]


@dataclass(frozen=True)
class Request:
    header: InferRequest
    binary: bytes  # what follows the JSON header (the binary extension), often empty


def parse_request(body: bytes, header_length: str | None) -> Request:
    """The JSON header, validated, and the binary section after it."""
    size = len(body)
    if header_length is not None:
        try:
            size = int(header_length)
        except ValueError:
            size = -1
        if not 0 <= size <= len(body):
            raise invalid(
                ["header", HEADER_LENGTH],
                f"must be the byte length of the JSON header, at most the body's {len(body)}",
            )
    try:
        raw = orjson.loads(body[:size])
    except orjson.JSONDecodeError as error:
        raise invalid(["body"], f"invalid JSON: {error}") from None
    try:
        header = InferRequest.model_validate(raw)
    except ValidationError as error:
        raise _refused(error) from None
    return Request(header, body[size:])


def _refused(error: ValidationError) -> ApiError:
    issues = [
        {"loc": ["body", *issue["loc"]], "msg": issue["msg"]}
        for issue in error.errors(include_url=False)
    ]
    first = issues[0]
    where = ".".join(map(str, first["loc"]))
    return ApiError(422, f"{where}: {first['msg']}", errors=issues)


def input_matrix(request: Request, n_features: int, max_rows: int) -> np.ndarray:
    """The one input tensor, ``input`` FP32 [N, n_features], as a float32 matrix."""
    inputs = request.header.inputs
    if len(inputs) != 1 or inputs[0].name != INPUT:
        names = ", ".join(repr(tensor.name[:40]) for tensor in inputs)
        raise invalid(["body", "inputs"], f"expected one input named {INPUT!r}; got {names}")
    tensor = inputs[0]
    loc: list[Any] = ["body", "inputs", 0]
    if tensor.datatype != "FP32":
        raise invalid([*loc, "datatype"], f"must be FP32, got {tensor.datatype!r}")
    rows = _rows(tensor, n_features, loc)
    if rows > max_rows:
        raise too_many_rows(rows, max_rows)
    size = _binary_size(tensor, loc)
    if size is None:
        matrix = _from_json(tensor.data, rows, n_features, [*loc, "data"])
    else:
        matrix = _from_binary(request.binary, size, rows, n_features, loc)
    return _finite(matrix, [*loc, "data"])


def _rows(tensor: InferInput, n_features: int, loc: list[Any]) -> int:
    shape = tensor.shape
    if len(shape) != 2 or shape[0] < 1:
        raise invalid([*loc, "shape"], f"must be [rows, {n_features}] with rows >= 1, got {shape}")
    if shape[1] != n_features:
        raise invalid(
            [*loc, "shape"],
            f"this model expects {n_features} features per row, got shape {shape}",
        )
    return shape[0]


def _binary_size(tensor: InferInput, loc: list[Any]) -> int | None:
    size = (tensor.parameters or {}).get("binary_data_size")
    if size is None:
        if tensor.data is None:
            raise invalid([*loc, "data"], "missing: send data, or binary_data_size and bytes")
        return None
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise invalid([*loc, "parameters", "binary_data_size"], "must be a byte count")
    if tensor.data is not None:
        raise invalid([*loc, "data"], "send data or binary_data_size, not both")
    return size


def _from_binary(
    binary: bytes, size: int, rows: int, n_features: int, loc: list[Any]
) -> np.ndarray:
    expected = rows * n_features * 4
    if size != expected:
        raise invalid(
            [*loc, "parameters", "binary_data_size"],
            f"shape [{rows}, {n_features}] of FP32 takes {expected} bytes, not {size}",
        )
    if len(binary) != size:
        raise invalid(
            ["body"], f"{len(binary)} bytes follow the JSON header; binary_data_size says {size}"
        )
    return np.frombuffer(binary, dtype="<f4").astype(np.float32).reshape(rows, n_features)


def _from_json(data: Any, rows: int, n_features: int, loc: list[Any]) -> np.ndarray:
    if not isinstance(data, list) or not data:
        raise invalid(loc, "expected a non-empty list of numbers (flat or one list per row)")
    flat: Sequence[Any] = data
    if isinstance(data[0], list):
        nested = all(isinstance(row, list) for row in data)
        if not nested or len(data) != rows or set(map(len, data)) != {n_features}:
            raise invalid(
                loc, f"nested data must be {rows} lists of {n_features} numbers (the shape)"
            )
        flat = list(chain.from_iterable(data))
    if len(flat) != rows * n_features:
        raise invalid(
            loc, f"shape [{rows}, {n_features}] needs {rows * n_features} values, got {len(flat)}"
        )
    if not set(map(type, flat)) <= {int, float}:
        index = next(i for i, v in enumerate(flat) if type(v) not in (int, float))
        row, column = divmod(index, n_features)
        raise invalid([*loc, row, column], f"not a number: {flat[index]!r:.40}")
    with np.errstate(over="ignore"):  # overflow to inf is reported by `_finite`
        return np.array(flat, dtype=np.float32).reshape(rows, n_features)


def _finite(matrix: np.ndarray, loc: list[Any]) -> np.ndarray:
    if not np.isfinite(matrix).all():
        row, column = (int(i) for i in np.argwhere(~np.isfinite(matrix))[0])
        raise invalid([*loc, row, column], "not a finite float32 number")
    return matrix


def _flag(parameters: dict[str, Any] | None, key: str, default: bool, loc: list[Any]) -> bool:
    value = (parameters or {}).get(key, default)
    if not isinstance(value, bool):
        raise invalid([*loc, "parameters", key], "must be true or false")
    return value


def _raw(values: np.ndarray, spec: TensorSpec) -> bytes:
    if spec.dtype is str:
        encoded = [str(v).encode() for v in values.ravel().tolist()]
        return b"".join(struct.pack("<I", len(e)) + e for e in encoded)
    return np.ascontiguousarray(values, dtype=np.dtype(spec.dtype).newbyteorder("<")).tobytes()


def encode_response(
    model_name: str,
    request: InferRequest,
    specs: list[TensorSpec],
    values: dict[str, np.ndarray],
) -> tuple[bytes, int | None]:
    """The response body, and the JSON header's length when binary data follows it."""
    by_name = {spec.name: spec for spec in specs}
    all_binary = _flag(request.parameters, "binary_data_output", False, ["body"])
    wanted = request.outputs or []
    for index, output in enumerate(wanted):
        if output.name not in by_name:
            known = ", ".join(by_name)
            raise invalid(
                ["body", "outputs", index, "name"],
                f"no output {output.name[:40]!r}; this model has {known}",
            )
    chosen = [(o.name, o.parameters) for o in wanted] or [(s.name, None) for s in specs]
    tensors: list[dict[str, Any]] = []
    chunks: list[bytes] = []
    for index, (name, parameters) in enumerate(chosen):
        spec, array = by_name[name], values[name]
        tensor: dict[str, Any] = {
            "name": name,
            "datatype": datatype(spec.dtype),
            "shape": list(array.shape),
        }
        if _flag(parameters, "binary_data", all_binary, ["body", "outputs", index]):
            chunk = _raw(array, spec)
            tensor["parameters"] = {"binary_data_size": len(chunk)}
            chunks.append(chunk)
        else:
            tensor["data"] = array.ravel().tolist() if spec.dtype is str else array.ravel()
        tensors.append(tensor)
    answer: dict[str, Any] = {"model_name": model_name, "model_version": "1", "outputs": tensors}
    if request.id is not None:
        answer["id"] = request.id
    header = orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY)
    if not chunks:
        return header, None
    return header + b"".join(chunks), len(header)
