"""Datasets: metadata as JSON, features and targets as binary .npy blobs."""

from __future__ import annotations

import hashlib

import numpy as np
import redis

from store.arrays import as_bytes, from_npy, raw_bytes, to_npy_parts
from store.ids import new_id, utcnow
from store.keys import TenantKeys
from store.pagination import page_ids
from store.records import DatasetRecord, Label, Page, TargetKind


def dataset_sha256(X: np.ndarray, y: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in (X, y):
        digest.update(str(array.dtype).encode())
        digest.update(str(array.shape).encode())
        digest.update(raw_bytes(np.ascontiguousarray(array)))
    return digest.hexdigest()


READ_SLICE_BYTES = 1024 * 1024


class Datasets:
    def __init__(self, client: redis.Redis, keys: TenantKeys) -> None:
        self._r = client
        self._k = keys

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
    ) -> DatasetRecord:
        (x_head, x_data), (y_head, y_data) = to_npy_parts(X), to_npy_parts(y)
        record = DatasetRecord(
            id=new_id("ds"),
            name=name,
            n_samples=int(X.shape[0]),
            n_features=int(X.shape[1]),
            feature_names=feature_names,
            target_name=target_name,
            target_kind=target_kind,
            classes=classes,
            n_distinct_targets=int(np.unique(y).size),
            sha256=dataset_sha256(X, y),
            size_bytes=len(x_head) + x_data.nbytes + len(y_head) + y_data.nbytes,
            created_at=utcnow(),
        )
        # The arrays land before the record and the index entry, in one transaction:
        # a reader never sees a dataset whose arrays are missing.
        with self._r.pipeline(transaction=True) as pipe:
            # .npy header, then the data appended straight from the arrays' memory.
            for key, head, data in (
                (self._k.dataset_x(record.id), x_head, x_data),
                (self._k.dataset_y(record.id), y_head, y_data),
            ):
                pipe.set(key, head)
                pipe.append(key, data)
            pipe.set(self._k.dataset(record.id), record.model_dump_json())
            pipe.zadd(self._k.dataset_index(), {record.id: 0})
            pipe.execute()
        return record

    def get(self, dataset_id: str) -> DatasetRecord | None:
        raw = self._r.get(self._k.dataset(dataset_id))
        return DatasetRecord.model_validate_json(raw) if raw else None

    def exists(self, dataset_id: str) -> bool:
        return bool(self._r.exists(self._k.dataset(dataset_id)))

    def arrays(self, dataset_id: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(X, y), read-only; None if the dataset does not exist (or was deleted meanwhile)."""
        x_blob = self._read(self._k.dataset_x(dataset_id))
        y_blob = self._read(self._k.dataset_y(dataset_id)) if x_blob is not None else None
        if x_blob is None or y_blob is None:
            return None
        return from_npy(x_blob), from_npy(y_blob)

    def _read(self, key: str) -> bytearray | None:
        """A large value in slices, straight into one buffer.

        redis-py reassembles one big reply through several copies: a 31 MB GET took twice
        as long as these 1 MB GETRANGEs. Datasets never change, so the slices cannot tear;
        a dataset deleted meanwhile shows as a short slice.
        """
        size = int(self._r.strlen(key))
        if size == 0:
            return None
        buffer = bytearray(size)
        view = memoryview(buffer)
        for start in range(0, size, READ_SLICE_BYTES):
            stop = min(size, start + READ_SLICE_BYTES)
            part = as_bytes(self._r.getrange(key, start, stop - 1))
            if len(part) != stop - start:
                return None
            view[start:stop] = part
        return buffer

    def page(self, *, limit: int, cursor: str | None) -> Page[DatasetRecord]:
        ids, next_cursor = page_ids(self._r, self._k.dataset_index(), limit=limit, cursor=cursor)
        raws = self._r.mget([self._k.dataset(i) for i in ids]) if ids else []
        data = [DatasetRecord.model_validate_json(raw) for raw in raws if raw]
        return Page[DatasetRecord](data=data, next_cursor=next_cursor)

    def delete(self, dataset_id: str) -> bool:
        # Not a MULTI: a full Redis (maxmemory) refuses transactions, and a delete is how room
        # is made. The order keeps readers safe: the record goes first, then its arrays.
        with self._r.pipeline(transaction=False) as pipe:
            pipe.delete(self._k.dataset(dataset_id))
            pipe.zrem(self._k.dataset_index(), dataset_id)
            pipe.delete(self._k.dataset_x(dataset_id), self._k.dataset_y(dataset_id))
            removed = pipe.execute()
        return bool(removed[0])
