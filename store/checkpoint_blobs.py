"""A running job's checkpoint: inline in Redis, or a blob outside it behind a fenced pointer.

With blobs in Redis the checkpoint's bytes are the value of ``job_checkpoint``, set in the
fenced transaction that records the epoch (store.job_transitions). With an external blob store
each write is a new blob named after the attempt and a random token, written *before* that
transaction; the transaction then points ``job_checkpoint_ref`` at it. A stale attempt (its
transaction refused) never moves the pointer, and its blob is removed; the blob the pointer
named before is removed once the new one is current. A crash between the two steps leaves an
unreferenced blob, which store.orphans finds.
"""

from __future__ import annotations

import secrets
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import redis

from store.arrays import as_bytes
from store.blobs import BlobStoreError, ExternalBlobs
from store.keys import TenantKeys


@dataclass(frozen=True)
class Staged:
    """A checkpoint ready to be made current: its bytes (inline) or its blob's name."""

    data: bytes
    blob: str | None


class Checkpoints:
    def __init__(self, client: redis.Redis, keys: TenantKeys, blobs: ExternalBlobs | None) -> None:
        self._r = client
        self._k = keys
        self._blobs = blobs

    def read(self, job_id: str) -> bytes | None:
        keys = [self._k.job_checkpoint(job_id), self._k.job_checkpoint_ref(job_id)]
        inline, ref = self._r.mget(keys)
        if inline is not None:
            return as_bytes(inline)
        if ref is None or self._blobs is None:
            return None
        blob = self._blobs.get(as_bytes(ref).decode())
        return None if blob is None else bytes(blob)

    def current_blob(self, job_id: str) -> str | None:
        """The blob the job's pointer names now (None inline or without one)."""
        if self._blobs is None:
            return None
        ref = self._r.get(self._k.job_checkpoint_ref(job_id))
        return None if ref is None else as_bytes(ref).decode()

    def stage(self, job_id: str, attempt: int, checkpoint: bytes) -> Staged:
        """Write the blob of an external checkpoint (nothing points at it yet)."""
        if self._blobs is None:
            return Staged(checkpoint, None)
        name = self._k.job_checkpoint_blob(job_id, attempt, secrets.token_hex(6))
        self._blobs.put(name, [checkpoint])
        return Staged(checkpoint, name)

    def make_current(self, pipe: Any, job_id: str, staged: Staged) -> None:
        """Inside the fenced transaction: this checkpoint becomes the job's."""
        if staged.blob is None:
            pipe.set(self._k.job_checkpoint(job_id), staged.data)
        else:
            pipe.set(self._k.job_checkpoint_ref(job_id), staged.blob)
            pipe.delete(self._k.job_checkpoint(job_id))

    def drop(self, pipe: Any, job_id: str) -> None:
        """Inside a transaction that ends or deletes the job: forget its checkpoint."""
        pipe.delete(self._k.job_checkpoint(job_id), self._k.job_checkpoint_ref(job_id))

    def discard(self, blob: str | None) -> None:
        """Remove a blob nothing points at any more (best effort: orphans are swept later)."""
        if blob is not None and self._blobs is not None:
            with suppress(BlobStoreError):
                self._blobs.delete([blob])
