""".npz features keep their dtype; the default limits admit MNIST- and covertype-sized data."""

from __future__ import annotations

import numpy as np
import pytest

from service.ingest import DatasetError, IngestLimits, parse_npz_dataset
from tests.service.ingest_helpers import as_npz, only, parse_npz, refusal


@pytest.mark.parametrize(
    "dtype",
    [
        np.uint8,
        np.int8,
        np.uint16,
        np.int16,
        np.int32,
        np.int64,
        np.uint64,
        bool,
        np.float16,
        np.float32,
        np.float64,
    ],
)
def test_npz_features_are_kept_in_their_own_dtype(dtype: type) -> None:
    X = (np.arange(12).reshape(4, 3) % 3).astype(dtype)
    ds = parse_npz(X=X, y=np.array([0, 1, 0, 1]))
    assert ds.X.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(ds.X, X)


def test_float64_features_keep_their_precision_but_must_fit_float32() -> None:
    X = np.array([[0.1, 1e-300], [1 / 3, 2.0]])
    ds = parse_npz(X=X, y=np.array([0.0, 1.0]))
    assert ds.X.dtype == np.float64 and ds.X.tolist() == X.tolist()
    big = np.array([[1.0, 2.0], [3.0, -1e39]])
    err = refusal(lambda: parse_npz(X=big, y=np.array([0.0, 1.0])))
    assert only(err) == (
        ["file", "X", 1, 1],
        "X[1, 1] = -1e+39 is outside the float32 range (about ±3.4e38)",
    )
    # What float32 rounds to its largest value is still within it.
    edge = np.nextafter(np.float64(np.finfo(np.float32).max), np.inf)
    assert parse_npz(X=np.array([[edge], [0.0]]), y=np.array([0.0, 1.0])).X[0, 0] == edge


def test_float16_infinity_is_refused() -> None:
    X = np.array([[1.0, np.inf]], np.float16)
    err = refusal(lambda: parse_npz(X=X, y=np.array([0.0])))
    assert only(err) == (["file", "X", 0, 1], "X[0, 1] is inf")


@pytest.mark.parametrize(
    ("rows", "features", "dtype"),
    [(60_000, 784, np.uint8), (581_012, 54, np.int16)],
    ids=["mnist-sized uint8", "covertype-sized int16"],
)
def test_the_default_limits_admit_mnist_and_covertype_sized_data(
    rows: int, features: int, dtype: type
) -> None:
    X = np.zeros((rows, features), dtype)
    X[::7, ::5] = 3
    y = (np.arange(rows) % 7).astype(np.uint8)
    ds = parse_npz_dataset(as_npz(compressed=True, X=X, y=y), limits=IngestLimits())
    assert ds.X.shape == (rows, features) and ds.X.dtype == np.dtype(dtype)
    assert ds.classes == list(range(7))


def test_the_default_cell_limit_is_100_million() -> None:
    assert IngestLimits().max_cells == 100_000_000
    X = np.zeros((100_001, 1000), np.uint8)  # 100,001,000 cells, refused from the header
    with pytest.raises(DatasetError) as info:
        parse_npz_dataset(as_npz(compressed=True, X=X, y=np.zeros(100_001)), limits=IngestLimits())
    assert info.value.status == 413
