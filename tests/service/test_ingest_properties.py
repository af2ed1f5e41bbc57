"""Properties of service.ingest: exact round-trips, and nothing but DatasetError for bad input."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import orjson
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from service.ingest import (
    DatasetError,
    IngestLimits,
    ParsedDataset,
    parse_csv_dataset,
    parse_json_dataset,
    parse_npz_dataset,
)

LIMITS = IngestLimits()
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GARBAGE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FLOAT32_MAX = float(np.finfo(np.float32).max)
# Any finite float64 whose float32 rounding is finite: beyond ±FLOAT32_MAX it may round to inf.
finite_floats = st.one_of(
    st.floats(width=32, allow_nan=False, allow_infinity=False),
    st.floats(min_value=-FLOAT32_MAX, max_value=FLOAT32_MAX),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
)


def stored_dtype(matrix: list[list[float]], expected: np.ndarray) -> np.dtype:
    """JSON and CSV features: when all are written as integers and their float32 values are
    within ±2**24, the first of uint8, int8, uint16, int16, int32 holding them; else float32."""
    written_as_integers = all(type(v) is int for row in matrix for v in row)
    if written_as_integers and np.abs(expected).max() <= 2**24:
        lo, hi = int(expected.min()), int(expected.max())
        for t in (np.uint8, np.int8, np.uint16, np.int16, np.int32):
            if np.iinfo(t).min <= lo and hi <= np.iinfo(t).max:
                return np.dtype(t)
    return np.dtype(np.float32)


@st.composite
def matrices(draw: st.DrawFn) -> list[list[float]]:
    rows = draw(st.integers(1, 8))
    cols = draw(st.integers(1, 6))
    return draw(
        st.lists(
            st.lists(finite_floats, min_size=cols, max_size=cols), min_size=rows, max_size=rows
        )
    )


def expected_float32(matrix: list[list[float]]) -> np.ndarray:
    # Python float (a double) cast to float32: the one rounding every format must do.
    return np.array([[float(v) for v in row] for row in matrix], dtype=np.float64).astype(
        np.float32
    )


def to_csv(matrix: list[list[float]], *, quote: bool = False) -> bytes:
    def cell(value: object) -> str:
        text = repr(value)  # repr of a float is its shortest exact round-trip text
        return f'"{text}"' if quote else text

    width = len(matrix[0])
    lines = [",".join([*(f"f{j}" for j in range(width)), "target"])]
    lines += [",".join([*(cell(v) for v in row), str(i % 3)]) for i, row in enumerate(matrix)]
    return ("\n".join(lines) + "\n").encode()


@FAST
@given(matrices())
def test_finite_matrices_round_trip_through_csv_and_json(matrix: list[list[float]]) -> None:
    expected = expected_float32(matrix)
    targets = [i % 3 for i in range(len(matrix))]

    from_json, _ = parse_json_dataset(
        orjson.dumps({"features": matrix, "targets": targets}), limits=LIMITS
    )
    from_csv = parse_csv_dataset(to_csv(matrix), target=None, limits=LIMITS)
    from_quoted_csv = parse_csv_dataset(to_csv(matrix, quote=True), target=None, limits=LIMITS)
    for ds in (from_json, from_csv, from_quoted_csv):
        assert ds.X.dtype == stored_dtype(matrix, expected)  # whichever parser read it
        np.testing.assert_array_equal(ds.X, expected)
        assert ds.target_values().tolist() == targets


# Labels holding NUL are refused (numpy drops trailing NULs, merging "a" and "a\0").
labels_text = st.text(min_size=1).map(str.strip).filter(lambda t: "\x00" not in t)


@FAST
@given(matrices(), st.lists(st.integers(-5, 5) | labels_text))
def test_npz_round_trip(matrix: list[list[float]], labels: list[Any]) -> None:
    expected = expected_float32(matrix)
    y = np.array(([*labels, 0] * len(matrix))[: len(matrix)])
    if y.dtype.kind == "U" and not all(y.tolist()):
        y = np.where(y == "", "empty", y)
    buf = io.BytesIO()
    np.savez(buf, X=expected, y=y)
    ds = parse_npz_dataset(buf.getvalue(), limits=LIMITS)
    np.testing.assert_array_equal(ds.X, expected)
    assert ds.target_values().tolist() == y.tolist()
    assert ds.y.dtype.kind == "u" or ds.target_kind == "continuous"


# Cells from an alphabet that reaches every numeric branch: signs, exponents, nan/inf
# spellings, underscores, blanks, junk.
cell_text = st.text(alphabet="0123456789.eE+-_ nafiNAFIx", max_size=6)


@FAST
@given(
    st.integers(2, 4).flatmap(
        lambda width: st.tuples(
            st.just(width),
            st.lists(
                st.lists(cell_text, min_size=width - 1, max_size=width + 1),
                min_size=1,
                max_size=6,
            ),
        )
    ),
    st.booleans(),
)
def test_csv_fast_and_csv_module_paths_agree(
    table: tuple[int, list[list[str]]], middle: bool
) -> None:
    """A file without quotes (numpy's parser) and its quoted twin (the csv module) get the same
    verdict: the same arrays, or the same errors."""
    width, rows = table
    # A lone empty cell renders as a blank line unquoted (skipped) but '""' quoted (a row).
    assume(all(row != [""] for row in rows))
    header = [f"c{j}" for j in range(width)]
    target = header[width // 2] if middle else None

    def render(quote: bool) -> bytes:
        def line(cells: list[str]) -> str:
            return ",".join(f'"{c}"' if quote else c for c in cells)

        return ("\n".join([line(header)] + [line(r) for r in rows]) + "\n").encode()

    outcomes: list[tuple[str, object]] = []
    for quote in (False, True):
        try:
            ds = parse_csv_dataset(render(quote), target=target, limits=LIMITS)
        except DatasetError as exc:
            outcomes.append(("error", exc.errors))
        else:
            outcomes.append(("ok", (ds.X.tolist(), ds.y.tolist(), ds.y.dtype.str, ds.classes)))
    assert outcomes[0] == outcomes[1]


def _only_dataset_errors(parse: Any, data: bytes) -> None:
    try:
        result = parse(data)
    except DatasetError as exc:
        assert exc.status in (413, 422)
        assert exc.errors and all(isinstance(e["msg"], str) and e["msg"] for e in exc.errors)
        assert all(isinstance(part, str | int) for e in exc.errors for part in e["loc"])
    else:
        ds = result[0] if isinstance(result, tuple) else result
        assert isinstance(ds, ParsedDataset)


def _json(data: bytes) -> Any:
    return parse_json_dataset(data, limits=LIMITS)


def _csv(data: bytes) -> Any:
    return parse_csv_dataset(data, target=None, limits=LIMITS)


def _csv_target(data: bytes) -> Any:
    return parse_csv_dataset(data, target="b", limits=LIMITS)


def _npz(data: bytes) -> Any:
    return parse_npz_dataset(data, limits=LIMITS)


@GARBAGE
@given(st.binary(max_size=300))
def test_random_bytes_only_raise_dataset_error(data: bytes) -> None:
    for parse in (_json, _csv, _csv_target, _npz):
        _only_dataset_errors(parse, data)
    _only_dataset_errors(_npz, b"PK\x03\x04" + data)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=20,
)


@GARBAGE
@given(
    st.dictionaries(
        st.sampled_from(["name", "features", "targets", "feature_names", "other"]),
        json_values,
    )
    | json_values
)
def test_random_json_documents_only_raise_dataset_error(doc: Any) -> None:
    try:
        body = orjson.dumps(doc)
    except TypeError:  # integers beyond 64 bits: not JSON orjson can write; nothing to test
        return
    _only_dataset_errors(_json, body)


@GARBAGE
@given(st.text(alphabet='ab,"\n\r 1.5e-nanif\x00\ufeff', max_size=80))
def test_random_csv_text_only_raises_dataset_error(text: str) -> None:
    data = ("a,b,c\n" + text).encode()
    for parse in (_csv, _csv_target):
        _only_dataset_errors(parse, data)
        _only_dataset_errors(parse, text.encode())


def _valid_npz() -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(
        buf,
        X=np.arange(24, dtype=np.float32).reshape(6, 4),
        y=np.array(["a", "b"] * 3),
        feature_names=np.array(["p", "q", "r", "s"]),
    )
    return buf.getvalue()


VALID_NPZ = _valid_npz()


@GARBAGE
@given(
    st.lists(
        st.tuples(st.integers(0, len(VALID_NPZ) - 1), st.integers(0, 255)), min_size=1, max_size=4
    ),
    st.integers(1, len(VALID_NPZ)),
)
def test_damaged_npz_only_raises_dataset_error(flips: list[tuple[int, int]], keep: int) -> None:
    data = bytearray(VALID_NPZ)
    for position, value in flips:
        data[position] = value
    _only_dataset_errors(_npz, bytes(data))
    _only_dataset_errors(_npz, VALID_NPZ[:keep])
