"""Where bulk bytes live: datasets' arrays, models' weights, running jobs' checkpoints.

``MLPFORGE_BLOB_URL`` picks the place:

* ``redis`` (the default): in Redis beside the state, as values under the names of
  store/keys.py. Datasets, models and checkpoints are then written in the same MULTI as their
  records, so nothing is ever half-written.
* ``file:///shared/folder``: a directory every host mounts (NFS, a shared volume).
* ``s3://bucket/prefix``: S3 or an S3-compatible store (MinIO, Ceph, R2...), with
  ``MLPFORGE_S3_ENDPOINT_URL`` and friends (or the usual ``AWS_*`` variables).

Both external stores go through obstore (Rust's ``object_store`` crate, maintained by the
Apache Arrow project's community): one small wheel without Python dependencies, the same API for
a directory and for S3 (so both are tested by the same suite), synchronous and asyncio calls
(predict loads a model on the event loop), and writes that are atomic — a local file is
written to a temporary name and renamed, an S3 object appears whole or not at all. boto3 has no
asyncio API and brings ~100 MB of botocore; s3fs needs fsspec, aiobotocore and aiohttp.

An object's path is its Redis name with ``:`` as ``/`` (``mlpforge/t/alice/dataset/ds_…/X``),
so one tenant's blobs share a prefix as its keys do. Records stay in Redis and say which kind of
store holds their blobs (``blob_store``), so switching the setting leaves what Redis already
holds readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlparse

import obstore
from obstore.store import LocalStore, S3Store

from store.records import BlobKind

if TYPE_CHECKING:  # a TypedDict of obstore's stubs, not importable at run time
    from obstore.store import RetryConfig

Buffer = bytes | bytearray | memoryview

# obstore retries a failed request 10 times within 3 minutes by default: an API request would
# hang that long while S3 is unreachable. A few retries within 20 s ride out a blip; beyond
# that the API answers 503 (Retry-After) and a worker's job is retried by its lease.
S3_RETRY: RetryConfig = {"max_retries": 3, "retry_timeout": timedelta(seconds=20)}


class BlobStoreError(Exception):
    """The blob store refused or failed an operation (unreachable, denied, full)."""


class ExternalBlobs(Protocol):
    """An object store outside Redis (a directory or S3)."""

    kind: BlobKind

    def put(self, name: str, parts: Sequence[Buffer]) -> None: ...

    def get(self, name: str) -> Buffer | None: ...

    async def get_async(self, name: str) -> Buffer | None: ...

    def delete(self, names: Sequence[str]) -> None: ...

    def list(self, prefix: str) -> list[tuple[str, float]]: ...


def object_path(name: str) -> str:
    """The object path of a Redis-style blob name: ``a:b:c`` → ``a/b/c``. A tenant may be
    named ``.`` or ``..``, which an object store refuses as a path segment: dots are escaped
    there."""
    return "/".join(
        part.replace(".", "%2E") if part in {".", ".."} else part for part in name.split(":")
    )


def blob_name(path: str) -> str:
    """The inverse of :func:`object_path`."""
    return ":".join(part.replace("%2E", ".") for part in path.split("/"))


class ObjectBlobs:
    """Blobs in an obstore store; every failure but "not found" is a BlobStoreError."""

    def __init__(self, kind: BlobKind, store: Any) -> None:
        self.kind: BlobKind = kind
        self._store = store

    def put(self, name: str, parts: Sequence[Buffer]) -> None:
        try:
            obstore.put(self._store, object_path(name), list(parts))
        except Exception as error:
            raise BlobStoreError(f"writing {name}: {error}") from error

    def get(self, name: str) -> Buffer | None:
        try:
            return memoryview(obstore.get(self._store, object_path(name)).bytes())
        except FileNotFoundError:
            return None
        except Exception as error:
            raise BlobStoreError(f"reading {name}: {error}") from error

    async def get_async(self, name: str) -> Buffer | None:
        try:
            result = await obstore.get_async(self._store, object_path(name))
            return memoryview(await result.bytes_async())
        except FileNotFoundError:
            return None
        except Exception as error:
            raise BlobStoreError(f"reading {name}: {error}") from error

    def delete(self, names: Sequence[str]) -> None:
        """Remove these blobs; one already gone is no error (deletes are retried)."""
        for name in names:
            with suppress(FileNotFoundError):
                try:
                    obstore.delete(self._store, object_path(name))
                except FileNotFoundError:
                    raise
                except Exception as error:
                    raise BlobStoreError(f"deleting {name}: {error}") from error

    def list(self, prefix: str) -> list[tuple[str, float]]:
        """(name, last modified as a Unix time) of every blob whose name starts with
        ``prefix`` (a whole ``:``-separated segment prefix)."""
        found = []
        try:
            for batch in obstore.list(self._store, object_path(prefix)):
                for meta in batch:
                    found.append((blob_name(meta["path"]), meta["last_modified"].timestamp()))
        except FileNotFoundError:
            return []
        except Exception as error:
            raise BlobStoreError(f"listing {prefix}: {error}") from error
        return found


@dataclass(frozen=True)
class S3Options:
    """What an S3-compatible endpoint needs beyond the URL; None: obstore's defaults and the
    ``AWS_*`` environment variables."""

    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None


def parse_blob_url(url: str) -> tuple[BlobKind, str, str]:
    """(kind, bucket or directory, prefix) of a blob URL; ValueError with what is wrong."""
    text = url.strip()
    if text in {"", "redis"}:
        return "redis", "", ""
    parsed = urlparse(text)
    if parsed.scheme == "file":
        if parsed.netloc not in {"", "localhost"} or not parsed.path.startswith("/"):
            raise ValueError("a file URL names an absolute directory: file:///shared/folder")
        return "file", parsed.path.rstrip("/") or "/", ""
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError("an S3 URL names a bucket: s3://bucket/prefix")
        return "s3", parsed.netloc, parsed.path.strip("/")
    raise ValueError(f"expected redis, file:///folder or s3://bucket/prefix, got {text[:100]!r}")


def open_external(url: str, s3: S3Options | None = None) -> ExternalBlobs | None:
    """The store a blob URL names; None for ``redis`` (the caller's Redis holds the blobs)."""
    kind, where, prefix = parse_blob_url(url)
    if kind == "redis":
        return None
    if kind == "file":
        return ObjectBlobs("file", LocalStore(where, mkdir=True))
    options = s3 or S3Options()
    config: dict[str, Any] = {}
    if options.endpoint_url:
        config["endpoint"] = options.endpoint_url
    if options.region:
        config["region"] = options.region
    if options.access_key_id:
        config["access_key_id"] = options.access_key_id
    if options.secret_access_key:
        config["secret_access_key"] = options.secret_access_key
    allow_http = bool(options.endpoint_url and options.endpoint_url.startswith("http://"))
    store = S3Store(
        where,
        prefix=prefix or None,
        client_options={"allow_http": allow_http, "timeout": "120s", "connect_timeout": "5s"},
        retry_config=S3_RETRY,
        **config,
    )
    return ObjectBlobs("s3", store)
