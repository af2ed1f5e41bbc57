"""Datasets: metadata as JSON in Redis; features, targets and sample weights as binary .npy
blobs, in Redis or in the blob store of store.blobs. X keeps the dtype it was uploaded in.

A categorical target is stored as class codes — each row's index into the record's
``classes``, in the smallest unsigned dtype that holds them — never as the labels: a string
array gives every row the width of the longest label, so one long label among 100,000 rows
would cost 400 MB. Continuous targets are stored as their values. A multi-column target is a
2-D ``y``: a 0/1 (multilabel) matrix as uint8 codes into ``[0, 1]``, other values as float64.
Sample weights, when a dataset has them, are one float64 per row under a key of their own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from contextlib import suppress
from typing import NamedTuple

import numpy as np
import redis

from store.arrays import from_npy, raw_bytes, to_npy_parts
from store.blob_reading import blobs_for, read_large
from store.blobs import BlobStoreError, Buffer, ExternalBlobs
from store.ids import new_id, utcnow
from store.keys import TenantKeys
from store.pagination import page_ids
from store.records import DatasetRecord, Label, Page, TargetKind

# Redis refuses a string value over 512 MB (its proto-max-bulk-len) and drops the connection:
# an array that large cannot be kept in Redis whatever its memory, only in a folder or S3.
REDIS_MAX_VALUE_BYTES = 512 * 1024 * 1024


class TooLargeForRedis(Exception):
    """An array of the dataset is over what one Redis value holds (MLPFORGE_BLOB_URL=redis)."""

    def __init__(self, size_bytes: int) -> None:
        super().__init__(
            f"the dataset's features take {size_bytes / 2**20:,.0f} MiB, over the "
            f"{REDIS_MAX_VALUE_BYTES // 2**20} MiB that one Redis value holds: datasets this "
            "large need MLPFORGE_BLOB_URL set to a shared folder or S3 (README: Blob storage)"
        )
        self.size_bytes = size_bytes


class DatasetArrays(NamedTuple):
    """A stored dataset's arrays, read-only: ``w`` is None when it has no sample weights."""

    X: np.ndarray
    y: np.ndarray
    w: np.ndarray | None = None

    def per_row(self) -> tuple[np.ndarray, ...]:
        """(X, y), or (X, y, w) with weights: what is split row by row with them."""
        return (self.X, self.y) if self.w is None else (self.X, self.y, self.w)


def dataset_sha256(
    X: np.ndarray,
    y: np.ndarray,
    classes: Sequence[Label] | None = None,
    w: np.ndarray | None = None,
) -> str:
    digest = hashlib.sha256()
    for array in (X, y) if w is None else (X, y, w):  # weights change what a model learns
        digest.update(str(array.dtype).encode())
        digest.update(str(array.shape).encode())
        digest.update(raw_bytes(np.ascontiguousarray(array)))
    if classes is not None:  # the same codes over other labels are other data
        digest.update(json.dumps(list(classes)).encode())
    return digest.hexdigest()


def class_codes(y: np.ndarray, classes: Sequence[Label]) -> np.ndarray:
    """``y`` as codes into ``classes`` (sorted, distinct): unsigned codes are checked and kept,
    label values are looked up. A ValueError when a code or a value has no class."""
    if len(classes) == 0:
        raise ValueError("a categorical target needs at least one class")
    dtype = np.min_scalar_type(len(classes) - 1)
    if y.dtype.kind == "u":
        if y.size and int(y.max()) >= len(classes):
            raise ValueError(f"class code {int(y.max())} is not below {len(classes)} classes")
        return y.astype(dtype, copy=False)
    table = np.asarray(classes)
    codes = np.minimum(np.searchsorted(table, y), len(classes) - 1)
    if not np.array_equal(table[codes], y):
        raise ValueError("y holds a value that is not one of the classes")
    return codes.astype(dtype)


def class_table(record: DatasetRecord, y: np.ndarray) -> list[Label] | None:
    """The classes ``y`` (as read by :meth:`Datasets.arrays`) holds codes of, or None when it
    holds the target values themselves: continuous targets, a 0/1 (multilabel) matrix, whose
    codes into [0, 1] are its values, and categorical ones stored before targets were encoded
    (never unsigned then: int64, bool or strings)."""
    if record.classes is None or y.dtype.kind != "u" or y.ndim != 1:
        return None
    return record.classes


class Datasets:
    """One tenant's datasets: records in Redis, arrays in Redis or in ``blobs`` (store.blobs)."""

    def __init__(
        self, client: redis.Redis, keys: TenantKeys, blobs: ExternalBlobs | None = None
    ) -> None:
        self._r = client
        self._k = keys
        self._blobs = blobs

    def create(
        self,
        *,
        X: np.ndarray,
        y: np.ndarray,
        name: str | None,
        feature_names: list[str],
        target_name: str | None,
        target_kind: TargetKind,
        classes: list[Label] | None,
        w: np.ndarray | None = None,
        target_names: list[str] | None = None,
        weights_column: str | None = None,
    ) -> DatasetRecord:
        """Store a dataset. With ``classes`` (categorical), ``y`` holds codes into them, or
        their values (which are encoded here); without, ``y`` holds the values. ``y`` may be
        2-D (one column per target); ``w`` holds one sample weight per row. X is stored in
        its own dtype."""
        if classes is not None:
            y = class_codes(y.reshape(-1), classes).reshape(y.shape)
            tally = np.bincount(y.reshape(-1), minlength=len(classes))
            n_distinct = int(np.count_nonzero(tally))
        else:
            n_distinct = int(np.unique(y).size)
        if w is not None:
            w = np.ascontiguousarray(w, dtype=np.float64)
        parts = [to_npy_parts(a) for a in ((X, y) if w is None else (X, y, w))]
        if self._blobs is None:
            largest = max(len(head) + data.nbytes for head, data in parts)
            if largest > REDIS_MAX_VALUE_BYTES:
                raise TooLargeForRedis(largest)
        record = DatasetRecord(
            id=new_id("ds"),
            name=name,
            n_samples=int(X.shape[0]),
            n_features=int(X.shape[1]),
            feature_names=feature_names,
            target_name=target_name,
            target_kind=target_kind,
            classes=classes,
            n_distinct_targets=n_distinct,
            n_targets=1 if y.ndim == 1 else int(y.shape[1]),
            target_names=target_names,
            has_weights=w is not None,
            weights_column=weights_column,
            sha256=dataset_sha256(X, y, classes, w),
            size_bytes=sum(len(head) + data.nbytes for head, data in parts),
            dtype=X.dtype.name,
            blob_store="redis" if self._blobs is None else self._blobs.kind,
            created_at=utcnow(),
        )
        names = self._blob_names(record.id)[: len(parts)]
        blobs = self._blobs
        if blobs is not None:
            # Blobs first, then the record: a reader never sees a dataset whose arrays are
            # missing. A crash in between leaves blobs nothing refers to (store.orphans).
            for blob, (head, data) in zip(names, parts, strict=True):
                blobs.put(blob, [head, data])
        try:
            with self._r.pipeline(transaction=True) as pipe:
                if blobs is None:
                    # In Redis the arrays land in the record's transaction: the .npy header,
                    # then the data appended straight from the arrays' memory.
                    for blob, (head, data) in zip(names, parts, strict=True):
                        pipe.set(blob, head)
                        pipe.append(blob, data)
                pipe.set(self._k.dataset(record.id), record.model_dump_json())
                pipe.zadd(self._k.dataset_index(), {record.id: 0})
                pipe.execute()
        except BaseException:
            if blobs is not None:  # no record refers to them (a full Redis refused it)
                with suppress(BlobStoreError):
                    blobs.delete(names)
            raise
        return record

    def get(self, dataset_id: str) -> DatasetRecord | None:
        raw = self._r.get(self._k.dataset(dataset_id))
        return DatasetRecord.model_validate_json(raw) if raw else None

    def exists(self, dataset_id: str) -> bool:
        return bool(self._r.exists(self._k.dataset(dataset_id)))

    def arrays(self, dataset_id: str) -> DatasetArrays | None:
        """(X, y, w), read-only; None if the dataset does not exist (or was deleted meanwhile).

        ``y`` holds class codes for a categorical dataset: :func:`class_table` says which.
        ``w`` is None for a dataset without sample weights. X is in the dtype it was stored in.
        """
        record = self.get(dataset_id)
        return None if record is None else self.arrays_of(record)

    def arrays_of(self, record: DatasetRecord) -> DatasetArrays | None:
        """The arrays of ``record``, from wherever it says they are; None once deleted."""
        x_name, y_name, w_name = self._blob_names(record.id)
        x_blob = self._read(record, x_name)
        y_blob = self._read(record, y_name) if x_blob is not None else None
        if x_blob is None or y_blob is None:
            return None
        # In Redis, one STRLEN when there are no weights (records from before has_weights).
        # Weights gone while X and y were read mean the dataset is being deleted: its record
        # is gone too, which every reader checks.
        wanted = record.has_weights or record.blob_store == "redis"
        w_blob = self._read(record, w_name) if wanted else None
        w = None if w_blob is None else from_npy(w_blob)
        return DatasetArrays(from_npy(x_blob), from_npy(y_blob), w)

    def _blob_names(self, dataset_id: str) -> tuple[str, str, str]:
        k = self._k
        return k.dataset_x(dataset_id), k.dataset_y(dataset_id), k.dataset_w(dataset_id)

    def _read(self, record: DatasetRecord, name: str) -> Buffer | None:
        if record.blob_store == "redis":
            return read_large(self._r, name)
        return blobs_for(self._blobs, record.blob_store).get(name)

    def page(self, *, limit: int, cursor: str | None) -> Page[DatasetRecord]:
        ids, next_cursor = page_ids(self._r, self._k.dataset_index(), limit=limit, cursor=cursor)
        raws = self._r.mget([self._k.dataset(i) for i in ids]) if ids else []
        data = [DatasetRecord.model_validate_json(raw) for raw in raws if raw]
        return Page[DatasetRecord](data=data, next_cursor=next_cursor)

    def delete(self, dataset_id: str) -> bool:
        # Not a MULTI: a full Redis (maxmemory) refuses transactions, and a delete is how room
        # is made. The order keeps readers safe: the record goes first, then its arrays.
        record = self.get(dataset_id)
        names = self._blob_names(dataset_id)
        with self._r.pipeline(transaction=False) as pipe:
            pipe.delete(self._k.dataset(dataset_id))
            pipe.zrem(self._k.dataset_index(), dataset_id)
            pipe.delete(*names)
            removed = pipe.execute()
        if record is not None and record.blob_store != "redis":
            # After the record: a crash here leaves blobs nothing refers to (store.orphans).
            blobs_for(self._blobs, record.blob_store).delete(names)
        return bool(removed[0])
