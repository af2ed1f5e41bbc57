"""Trained models: a JSON record beside the engine's safetensors blob."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import redis
import redis.asyncio as aioredis

from store.arrays import as_bytes
from store.blob_reading import blobs_for
from store.blobs import BlobStoreError, ExternalBlobs
from store.keys import TenantKeys
from store.pagination import Records, recent_records, records_page
from store.records import ModelRecord, Page


class Models:
    def __init__(
        self, client: redis.Redis, keys: TenantKeys, blobs: ExternalBlobs | None = None
    ) -> None:
        self._r = client
        self._k = keys
        self._blobs = blobs

    def create(self, record: ModelRecord, blob: bytes) -> ModelRecord:
        """Publish a model: its weights, then (or, in Redis, with) its record and indexes."""
        blobs = self._blobs
        record = record.model_copy(update={"blob_store": "redis" if blobs is None else blobs.kind})
        name = self._k.model_blob(record.id)
        if blobs is not None:  # the blob first: a listed model always has its weights
            blobs.put(name, [blob])
        try:
            with self._r.pipeline(transaction=True) as pipe:
                if blobs is None:
                    pipe.set(name, blob)
                pipe.set(self._k.model(record.id), record.model_dump_json())
                pipe.zadd(self._k.model_index(), {record.id: 0})
                for tag in record.tags:
                    pipe.zadd(self._k.model_tag_index(tag), {record.id: 0})
                pipe.execute()
        except BaseException:
            if blobs is not None:
                with suppress(BlobStoreError):
                    blobs.delete([name])
            raise
        return record

    def get(self, model_id: str) -> ModelRecord | None:
        raw = self._r.get(self._k.model(model_id))
        return ModelRecord.model_validate_json(raw) if raw else None

    def blob(self, model_id: str) -> bytes | None:
        """The model's safetensors bytes; None if it does not exist."""
        raw_record, raw_blob = self._r.mget([self._k.model(model_id), self._k.model_blob(model_id)])
        if raw_record is None:
            return None
        if raw_blob is not None:
            return as_bytes(raw_blob)
        kind = ModelRecord.model_validate_json(raw_record).blob_store
        if kind == "redis":
            return None
        blob = blobs_for(self._blobs, kind).get(self._k.model_blob(model_id))
        return None if blob is None else bytes(blob)

    def page(
        self,
        *,
        limit: int,
        cursor: str | None,
        tag: str | None = None,
        job_id: str | None = None,
        newest_first: bool = True,
    ) -> Page[ModelRecord]:
        """A page of models: ``tag`` reads that tag's index; ``job_id`` filters the records
        read (see store.pagination.MAX_SCAN)."""
        models, next_cursor = records_page(
            self._records,
            self._index(tag),
            lambda model: _wanted(model, job_id),
            limit=limit,
            cursor=cursor,
            newest_first=newest_first,
        )
        return Page[ModelRecord](data=models, next_cursor=next_cursor)

    def recent(
        self, *, window: int, tag: str | None = None, job_id: str | None = None
    ) -> list[ModelRecord]:
        """Of the ``window`` newest models (with ``tag``), those that match, newest first."""
        return recent_records(
            self._records, self._index(tag), lambda model: _wanted(model, job_id), window=window
        )

    @property
    def _records(self) -> Records[ModelRecord]:
        return Records(self._r, self._k.model, ModelRecord.model_validate_json)

    def _index(self, tag: str | None) -> str:
        return self._k.model_index() if tag is None else self._k.model_tag_index(tag)

    def annotate(
        self, model_id: str, *, name: str | None, tags: Sequence[str] | None, rename: bool
    ) -> ModelRecord | None:
        """Change a model's name (when ``rename``) and replace its tags (unless None), with
        the tag indexes; None when the model does not exist."""
        key = self._k.model(model_id)
        with self._r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None:
                        return None
                    before = ModelRecord.model_validate_json(raw)
                    update: dict[str, Any] = {"name": name} if rename else {}
                    if tags is not None:
                        update["tags"] = list(tags)
                    after = before.model_copy(update=update)
                    pipe.multi()
                    pipe.set(key, after.model_dump_json())
                    for tag in before.tags:
                        if tag not in after.tags:
                            pipe.zrem(self._k.model_tag_index(tag), model_id)
                    for tag in after.tags:
                        pipe.zadd(self._k.model_tag_index(tag), {model_id: 0})
                    pipe.execute()
                    return after
                except redis.WatchError:
                    continue

    def delete(self, model_id: str) -> bool:
        record = self.get(model_id)
        # Not a MULTI, so that deleting works on a full Redis (see Datasets.delete).
        with self._r.pipeline(transaction=False) as pipe:
            pipe.delete(self._k.model(model_id))
            pipe.zrem(self._k.model_index(), model_id)
            pipe.delete(self._k.model_blob(model_id))
            for tag in record.tags if record else []:
                pipe.zrem(self._k.model_tag_index(tag), model_id)
            removed = pipe.execute()
        if record is not None and record.blob_store != "redis":
            # The record first, then the blob: a crash between leaves an orphan to sweep
            # (store.orphans), never a listed model without weights.
            blobs_for(self._blobs, record.blob_store).delete([self._k.model_blob(model_id)])
        return bool(removed[0])


def _wanted(model: ModelRecord, job_id: str | None) -> bool:
    return job_id is None or model.job_id == job_id


class AsyncModels:
    """What predict reads on every request, awaited on the API's event loop."""

    def __init__(
        self, client: aioredis.Redis, keys: TenantKeys, blobs: ExternalBlobs | None = None
    ) -> None:
        self._r = client
        self._k = keys
        self._blobs = blobs

    async def exists(self, model_id: str) -> bool:
        return bool(await self._r.exists(self._k.model(model_id)))

    async def blob(self, model_id: str) -> bytes | None:
        """The model's safetensors bytes (one round trip when Redis holds them)."""
        keys = [self._k.model(model_id), self._k.model_blob(model_id)]
        raw_record, raw_blob = await self._r.mget(keys)
        if raw_record is None:
            return None
        if raw_blob is not None:
            return as_bytes(raw_blob)
        kind = ModelRecord.model_validate_json(raw_record).blob_store
        if kind == "redis":
            return None
        blob = await blobs_for(self._blobs, kind).get_async(self._k.model_blob(model_id))
        return None if blob is None else bytes(blob)
