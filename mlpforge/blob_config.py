"""The blob store this process uses (MLPFORGE_BLOB_URL), opened once per process.

An obstore store holds a connection pool and is safe to share between threads and the event
loop, so every Store built for a request or a job gets the same one.
"""

from __future__ import annotations

from functools import lru_cache

from mlpforge.settings import Settings
from store.blobs import ExternalBlobs, S3Options, open_external


@lru_cache(maxsize=8)
def _opened(url: str, s3: S3Options) -> ExternalBlobs | None:
    return open_external(url, s3)


def blob_store(settings: Settings) -> ExternalBlobs | None:
    """The configured external blob store; None when Redis holds the blobs (the default)."""
    return _opened(settings.blob_url, settings.s3_options())
