"""Trained models: a JSON record beside the engine's safetensors blob."""

from __future__ import annotations

import redis
import redis.asyncio as aioredis

from store.arrays import as_bytes
from store.keys import TenantKeys
from store.pagination import page_ids
from store.records import ModelRecord, Page


class Models:
    def __init__(self, client: redis.Redis, keys: TenantKeys) -> None:
        self._r = client
        self._k = keys

    def create(self, record: ModelRecord, blob: bytes) -> ModelRecord:
        with self._r.pipeline(transaction=True) as pipe:
            pipe.set(self._k.model_blob(record.id), blob)
            pipe.set(self._k.model(record.id), record.model_dump_json())
            pipe.zadd(self._k.model_index(), {record.id: 0})
            pipe.execute()
        return record

    def get(self, model_id: str) -> ModelRecord | None:
        raw = self._r.get(self._k.model(model_id))
        return ModelRecord.model_validate_json(raw) if raw else None

    def blob(self, model_id: str) -> bytes | None:
        raw = self._r.get(self._k.model_blob(model_id))
        return as_bytes(raw) if raw is not None else None

    def page(self, *, limit: int, cursor: str | None) -> Page[ModelRecord]:
        ids, next_cursor = page_ids(self._r, self._k.model_index(), limit=limit, cursor=cursor)
        raws = self._r.mget([self._k.model(i) for i in ids]) if ids else []
        data = [ModelRecord.model_validate_json(raw) for raw in raws if raw]
        return Page[ModelRecord](data=data, next_cursor=next_cursor)

    def delete(self, model_id: str) -> bool:
        # Not a MULTI, so that deleting works on a full Redis (see Datasets.delete).
        with self._r.pipeline(transaction=False) as pipe:
            pipe.delete(self._k.model(model_id))
            pipe.zrem(self._k.model_index(), model_id)
            pipe.delete(self._k.model_blob(model_id))
            removed = pipe.execute()
        return bool(removed[0])


class AsyncModels:
    """What predict reads on every request, awaited on the API's event loop."""

    def __init__(self, client: aioredis.Redis, keys: TenantKeys) -> None:
        self._r = client
        self._k = keys

    async def exists(self, model_id: str) -> bool:
        return bool(await self._r.exists(self._k.model(model_id)))

    async def blob(self, model_id: str) -> bytes | None:
        raw = await self._r.get(self._k.model_blob(model_id))
        return as_bytes(raw) if raw is not None else None
