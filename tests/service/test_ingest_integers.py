"""Integer features from JSON and CSV: read by numpy's integer reader where the text allows,
stored in the smallest integer dtype that holds them exactly, training as float32 would.

Features written as integers (no ".", "e" or "E") get the same array whichever parser reads
them (fast or slow, quoted CSV cells or not); written as floats ("3.0") they stay float32.
Errors are the slow paths' as before.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import orjson
import pytest

from engine import MLPParams, Trainer
from service.ingest import csv_file, json_matrix
from service.ingest.numeric import narrow_parsed_integers
from tests.service.ingest_helpers import LIMITS, only, parse_csv, parse_json, refusal


def _csv(X: np.ndarray, *, quote: bool = False, floats: bool = False) -> str:
    def cell(v: Any) -> str:
        text = f"{v}.0" if floats else str(v)
        return f'"{text}"' if quote else text

    head = ",".join([*(f"f{j}" for j in range(X.shape[1])), "target"])
    rows = [",".join([*(cell(v) for v in row), str(i % 2)]) for i, row in enumerate(X.tolist())]
    return "\n".join([head, *rows]) + "\n"


def _json(X: np.ndarray, *, pretty: bool = False, floats: bool = False) -> bytes:
    features = X.astype(np.float64).tolist() if floats else X.tolist()
    doc = {"features": features, "targets": [i % 2 for i in range(X.shape[0])]}
    body = orjson.dumps(doc)
    return body.replace(b"],", b"],\n ") if pretty else body  # pretty: the slow path


def _every_way(X: np.ndarray) -> dict[str, np.ndarray]:
    """X, written as integers, as stored when uploaded each way: both parsers of each format."""
    return {
        "json fast": parse_json(_json(X)).X,
        "json slow": parse_json(_json(X, pretty=True)).X,
        "csv fast": parse_csv(_csv(X)).X,
        "csv quoted": parse_csv(_csv(X, quote=True)).X,
    }


def _as_floats(X: np.ndarray) -> dict[str, np.ndarray]:
    """X, written as floats ("3.0"), as stored: float32, as before."""
    return {
        "json fast": parse_json(_json(X, floats=True)).X,
        "json slow": parse_json(_json(X, pretty=True, floats=True)).X,
        "csv fast": parse_csv(_csv(X, floats=True)).X,
        "csv quoted": parse_csv(_csv(X, quote=True, floats=True)).X,
    }


@pytest.mark.parametrize(
    ("lo", "hi", "dtype"),
    [
        (0, 0, np.uint8),
        (0, 255, np.uint8),
        (-1, 127, np.int8),
        (-128, 0, np.int8),
        (0, 256, np.uint16),
        (0, 65535, np.uint16),
        (-1, 255, np.int16),
        (-32768, 32767, np.int16),
        (0, 65536, np.int32),
        (-1, 32768, np.int32),
        (-(2**24), 2**24, np.int32),
        # The rule reads the float32 values: 2**24 + 1 is 2**24 in float32, as before.
        (0, 2**24 + 1, np.int32),
        (-(2**24) - 1, 0, np.int32),
        # Beyond ±2**24 float32 no longer holds every integer: float32, as before.
        (0, 2**24 + 2, np.float32),
        (-(2**24) - 2, 0, np.float32),
        (-(2**31), 2**31 - 1, np.float32),
        (0, 2**31, np.float32),  # beyond int32: the float reader
        (-(2**63), 2**63 - 1, np.float32),
    ],
)
def test_the_smallest_dtype_that_holds_the_values_exactly(lo: int, hi: int, dtype: Any) -> None:
    X = np.array([[lo, hi, 0], [hi, lo, 1], [0, 1, lo]], dtype=object)
    expected = np.array([[float(v) for v in row] for row in X.tolist()]).astype(np.float32)
    for way, stored in _every_way(X).items():
        assert stored.dtype == np.dtype(dtype), way
        assert np.array_equal(stored, expected), way
    for way, stored in _as_floats(X).items():
        assert stored.dtype == np.float32, way
        assert np.array_equal(stored, expected), way


def test_pixels_are_stored_as_uint8_a_quarter_of_float32() -> None:
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(200, 30), dtype=np.uint8)
    for way, stored in _every_way(X).items():
        assert stored.dtype == np.uint8 and stored.flags.c_contiguous, way
        assert np.array_equal(stored, X), way
        assert stored.nbytes == X.astype(np.float32).nbytes // 4


def test_a_fraction_anywhere_keeps_float32() -> None:
    text = _csv(np.arange(40).reshape(20, 2)).replace("39,1\n", "2.5,1\n")
    X = np.arange(40.0).reshape(20, 2)
    X[19, 1] = 2.5
    assert text.count("2.5") == 1
    for stored in (parse_csv(text).X, parse_json(_json(X)).X):
        assert stored.dtype == np.float32 and np.array_equal(stored, X.astype(np.float32))


def test_beyond_2_24_the_integer_reader_rounds_as_the_float_reader() -> None:
    # int32 → float32 rounds the exact integer once, to nearest; so does reading the text as a
    # double (exact below 2**53) and rounding that to float32.
    rng = np.random.default_rng(1)
    ints = rng.integers(-(2**31), 2**31, size=200_000, dtype=np.int64)
    ints[:4] = [2**24 + 1, 2**24 + 3, -(2**24) - 1, 2**31 - 1]  # ties and the edge
    text = "\n".join(map(str, ints.tolist()))
    from_text = np.loadtxt(io.StringIO(text), dtype=np.float32, ndmin=2)
    from_ints = narrow_parsed_integers(ints.astype(np.int32).reshape(-1, 1))
    assert from_ints.dtype == np.float32
    assert np.array_equal(from_ints, from_text)
    assert np.array_equal(from_ints[:, 0], np.array([float(v) for v in ints]).astype(np.float32))


def test_csv_integer_features_beside_text_and_decimal_columns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "." and "e" in the target and weights columns do not keep the features off the integer
    # reader; the features hold none.
    used: list[bool] = []
    real = csv_file._read_integers

    def spy(*args: Any) -> Any:
        used.append(True)
        return real(*args)

    monkeypatch.setattr(csv_file, "_read_integers", spy)
    text = "a,label,b,w\n1,yes,200,0.5\n-3,no.e,7,1e0\n"
    ds = csv_file.parse_csv_dataset(text.encode(), target="label", weights="w", limits=LIMITS)
    assert used == [True]
    assert ds.X.dtype == np.int16 and ds.X.tolist() == [[1, 200], [-3, 7]]
    assert ds.classes == ["no.e", "yes"] and ds.weights is not None
    assert ds.weights.tolist() == [0.5, 1.0]


@pytest.mark.parametrize(
    ("cell", "value"),
    [("-0", 0.0), ("+5", 5.0), ("01", 1.0), (" 7 ", 7.0), ("\t7", 7.0), ("1_000", 1000.0)],
)
def test_csv_spellings_keep_their_verdicts(cell: str, value: float) -> None:
    text = f"a,b,target\n{cell},1,0\n2,3,1\n"
    quoted = text.replace(cell, f'"{cell}"', 1)  # the csv module's path: the authority
    for ds in (parse_csv(text), parse_csv(quoted)):
        assert ds.X.dtype == (np.uint16 if value > 255 else np.uint8)
        assert ds.X.tolist() == [[value, 1], [2, 3]]


@pytest.mark.parametrize("cell", ["x", "", "nan", "1e400", "0x10", "1.5.1"])
def test_csv_errors_are_the_slow_paths(cell: str) -> None:
    rows = [f"{i},{i % 7},{i % 2}" for i in range(50)]
    rows[41] = f"{cell},1,0"
    text = "a,b,target\n" + "\n".join(rows) + "\n"
    quoted = text.replace(f"\n{cell},1,0", f'\n"{cell}",1,0')
    fast, slow = refusal(lambda: parse_csv(text)), refusal(lambda: parse_csv(quoted))
    assert only(fast) == only(slow)
    assert only(fast)[0] == ["file", "row 42", "a"]


def test_json_spellings_keep_their_verdicts() -> None:
    assert parse_json(b'{"features":[[-0,1],[2,3]],"targets":[0,1]}').X.tolist() == [
        [0, 1],
        [2, 3],
    ]
    for bad in (b"+5", b"01", b"-01"):
        body = b'{"features":[[' + bad + b',1],[2,3]],"targets":[0,1]}'
        assert json_matrix.split_features(body) is None
        assert "invalid JSON" in only(refusal(lambda body=body: parse_json(body)))[1]


def test_json_integers_beyond_int64_fall_back_to_the_float_reader() -> None:
    body = b'{"features":[[18446744073709551615,1],[2,3]],"targets":[0,1]}'
    fast = json_matrix.split_features(body)
    assert fast is not None and fast[1].dtype == np.float32
    assert fast[1][0, 0] == np.float32(18446744073709551615.0)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.int32])
@pytest.mark.parametrize("params", [{}, {"solver": "lbfgs", "max_iter": 5}, {"standardize": False}])
def test_integer_features_train_exactly_as_their_float32_values(
    dtype: Any, params: dict[str, Any]
) -> None:
    info = np.iinfo(dtype)
    lo, hi = max(int(info.min), -(2**24)), min(int(info.max), 2**24)
    rng = np.random.default_rng(2)
    X = rng.integers(lo, hi, size=(120, 6), endpoint=True, dtype=np.int64)
    stored = parse_csv(_csv(X)).X
    assert stored.dtype == np.dtype(dtype)
    y = (X[:, 0] > X[:, 1]).astype(np.int64)
    p = MLPParams(**{"hidden_layer_sizes": (8,), "max_iter": 3, "random_state": 0, **params})
    a = Trainer(stored, y, task="classification", params=p).run()
    b = Trainer(stored.astype(np.float32), y, task="classification", params=p).run()
    for left, right in zip(a.coefs_, b.coefs_, strict=True):
        assert np.array_equal(left, right)
    assert np.array_equal(a.predict_proba(stored), b.predict_proba(stored.astype(np.float32)))
