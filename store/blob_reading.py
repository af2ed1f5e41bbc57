"""Reading blobs back: large Redis values in slices, and the store a record's blobs are in."""

from __future__ import annotations

import redis

from store.arrays import as_bytes
from store.blobs import BlobStoreError, ExternalBlobs
from store.records import BlobKind

READ_SLICE_BYTES = 1024 * 1024


def read_large(client: redis.Redis, key: str) -> bytearray | None:
    """A large Redis value in slices, straight into one buffer; None if it does not exist.

    redis-py reassembles one big reply through several copies: a 31 MB GET took twice as long
    as these 1 MB GETRANGEs. Blobs never change, so the slices cannot tear; one deleted
    meanwhile shows as a short slice.
    """
    size = int(client.strlen(key))
    if size == 0:
        return None
    buffer = bytearray(size)
    view = memoryview(buffer)
    for start in range(0, size, READ_SLICE_BYTES):
        stop = min(size, start + READ_SLICE_BYTES)
        part = as_bytes(client.getrange(key, start, stop - 1))
        if len(part) != stop - start:
            return None
        view[start:stop] = part
    return buffer


def blobs_for(configured: ExternalBlobs | None, kind: BlobKind) -> ExternalBlobs:
    """The external store that holds blobs a record says are in ``kind``: this process's, if
    it is of that kind. A record written under another MLPFORGE_BLOB_URL cannot be read here:
    a BlobStoreError says so (the API answers 503, a worker fails the job with it)."""
    if configured is None or configured.kind != kind:
        have = "redis" if configured is None else configured.kind
        raise BlobStoreError(
            f"this blob is kept in the {kind} blob store, but MLPFORGE_BLOB_URL names {have} "
            "here: every API process and worker needs the same MLPFORGE_BLOB_URL"
        )
    return configured
