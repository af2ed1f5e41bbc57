"""Datasets in Redis: categorical targets are stored as class codes plus the record's classes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import redis

from store import DatasetRecord, Store
from store.datasets import class_table
from store.records import Label


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


X = np.arange(12, dtype=np.float32).reshape(6, 2)


def _create(store: Store, y: np.ndarray, classes: list[Label] | None) -> DatasetRecord:
    return store.datasets.create(
        X=X,
        y=y,
        name=None,
        feature_names=["a", "b"],
        target_name=None,
        target_kind="continuous" if classes is None else "categorical",
        classes=classes,
    )


def _y(store: Store, record: DatasetRecord) -> np.ndarray:
    arrays = store.datasets.arrays(record.id)
    assert arrays is not None
    return arrays[1]


@pytest.mark.parametrize(
    ("values", "classes"),
    [
        (np.array(["b", "a", "b", "c", "a", "a"]), ["a", "b", "c"]),
        (np.array([True, False, True, True, False, True]), [False, True]),
        (np.array([7, -1, 7, 3, 3, 3]), [-1, 3, 7]),
        (np.array(["x" * 256, "a", "a", "a", "a", "a"]), ["a", "x" * 256]),
    ],
)
def test_labels_are_stored_as_one_byte_codes(
    store: Store, values: np.ndarray, classes: list[Any]
) -> None:
    """Given as values or as codes, a categorical y lands as uint8 codes, whatever the labels'
    width; the labels live once, in the record."""
    codes = np.searchsorted(np.array(classes), values).astype(np.uint8)
    for y in (values, codes):
        record = _create(store, y, classes)
        stored = _y(store, record)
        assert stored.dtype == np.uint8
        np.testing.assert_array_equal(stored, codes)
        assert record.classes == classes
        assert record.n_distinct_targets == len(classes)
        assert class_table(record, stored) == classes
        np.testing.assert_array_equal(np.asarray(classes)[stored], values)
        assert store.datasets.get(record.id) == record


def test_many_classes_take_the_smallest_dtype_that_fits(store: Store) -> None:
    classes: list[Label] = [f"c{i:03}" for i in range(300)]
    y = np.arange(300, dtype=np.uint16)
    record = store.datasets.create(
        X=np.zeros((300, 1), np.float32),
        y=y,
        name=None,
        feature_names=["a"],
        target_name=None,
        target_kind="categorical",
        classes=classes,
    )
    assert _y(store, record).dtype == np.uint16


def test_continuous_targets_are_stored_as_values(store: Store) -> None:
    y = np.array([0.5, 1.5, 2.5, 3.5, 4.5, 0.5])
    record = _create(store, y, None)
    stored = _y(store, record)
    assert stored.dtype == np.float64 and np.array_equal(stored, y)
    assert record.n_distinct_targets == 5
    assert class_table(record, stored) is None


def test_a_dataset_stored_with_label_values_keeps_working(store: Store) -> None:
    """Datasets stored before targets were encoded hold the values (int64, bool or strings,
    never unsigned): class_table says so, and the worker trains on the values as before."""
    record = _create(store, np.array([0, 1, 0, 1, 0, 1]), [0, 1])
    old_y = np.array([0, 1, 0, 1, 0, 1], dtype=np.int64)
    assert class_table(record, old_y) is None
    assert class_table(record, np.array(["a", "b"])) is None


def test_codes_or_values_outside_the_classes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="not below 2 classes"):
        _create(store, np.array([0, 1, 2, 0, 1, 0], dtype=np.uint8), ["a", "b"])
    with pytest.raises(ValueError, match="not one of the classes"):
        _create(store, np.array(["a", "b", "z", "a", "b", "a"]), ["a", "b"])
    assert store.datasets.page(limit=10, cursor=None).data == []


def test_the_same_codes_over_other_labels_are_other_data(store: Store) -> None:
    y = np.array([0, 1, 0, 1, 0, 1], dtype=np.uint8)
    first = _create(store, y, ["cat", "dog"])
    second = _create(store, y, ["no", "yes"])
    again = _create(store, y, ["cat", "dog"])
    assert first.sha256 != second.sha256
    assert first.sha256 == again.sha256
