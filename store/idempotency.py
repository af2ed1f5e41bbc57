"""Idempotency-Key: the same key and body give the same resource; another body is refused."""

from __future__ import annotations

import hashlib

import orjson
import redis

from store.keys import TenantKeys

TTL_SECS = 24 * 3600


class IdempotencyConflict(Exception):
    """The key was used before with a different request body."""


def fingerprint(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class Idempotency:
    def __init__(self, client: redis.Redis, keys: TenantKeys) -> None:
        self._r = client
        self._k = keys

    def lookup(self, scope: str, key: str, body_fingerprint: str) -> str | None:
        """The resource id stored for this key, or None; raises on a different body."""
        raw = self._r.get(self._k.idempotency(scope, key))
        if raw is None:
            return None
        stored = orjson.loads(raw)
        if stored["fingerprint"] != body_fingerprint:
            raise IdempotencyConflict(key)
        return str(stored["id"])

    def claim(self, scope: str, key: str, body_fingerprint: str, resource_id: str) -> str:
        """Bind the key to ``resource_id`` unless a concurrent request bound it first."""
        value = orjson.dumps({"fingerprint": body_fingerprint, "id": resource_id})
        if self._r.set(self._k.idempotency(scope, key), value, nx=True, ex=TTL_SECS):
            return resource_id
        winner = self.lookup(scope, key, body_fingerprint)
        return winner or resource_id

    def forget(self, scope: str, key: str, resource_id: str) -> None:
        """Free the key if it is still bound to ``resource_id`` (a resource since deleted)."""
        name = self._k.idempotency(scope, key)
        with self._r.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(name)
                raw = pipe.get(name)
                if raw is None or orjson.loads(raw)["id"] != resource_id:
                    return
                pipe.multi()
                pipe.delete(name)
                pipe.execute()
            except redis.WatchError:
                return  # bound again meanwhile, by a concurrent request: that binding stands
