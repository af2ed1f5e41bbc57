"""Blobs that no record refers to any more, found and removed.

Blobs are written before the Redis record that makes them visible and removed after the record
that hid them, so a crash (or a lost connection) between the two steps leaves a blob nothing
refers to: never a record without its blobs. Such orphans cost only storage. ``sweep`` lists
the blob store, asks Redis who owns each blob (store.keys.blob_owner) and removes those with no
owner that are older than ``older_than_secs`` — younger ones may belong to an upload whose
record is being written right now.

    python -m mlpforge.orphans [--older-than SECS] [--dry-run]
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import redis

from store.arrays import as_bytes
from store.blobs import ExternalBlobs
from store.keys import ROOT, blob_owner

# An upload writes its blobs, then its record, within seconds; an hour is far beyond that.
DEFAULT_AGE_SECS = 3600


@dataclass
class Sweep:
    kept: int = 0
    removed: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def sweep(
    client: redis.Redis,
    blobs: ExternalBlobs,
    *,
    older_than_secs: float = DEFAULT_AGE_SECS,
    dry_run: bool = False,
) -> Sweep:
    """Remove (or, with ``dry_run``, only list) the orphaned blobs of every tenant."""
    result = Sweep()
    now = time.time()
    for name, modified in blobs.list(f"{ROOT}:t"):
        owner = blob_owner(name)
        if owner is None:
            result.unknown.append(name)  # not ours: left alone
            continue
        key, value = owner
        held = client.get(key) if value is not None else None
        alive = (
            client.exists(key)
            if value is None
            else held is not None and (as_bytes(held).decode() == value)
        )
        if alive or now - modified < older_than_secs:
            result.kept += 1
            continue
        result.removed.append(name)
    if not dry_run and result.removed:
        blobs.delete(result.removed)
    return result
