"""The data a remote fit or search trains on: uploaded first, deleted once no job needs it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from mlpforge.client import Client, Dataset, Job, MlpforgeError, Search


@dataclass
class Upload:
    """A dataset uploaded for one job or search (``work``, set once started)."""

    dataset: Dataset
    work: Job | Search | None = None


@contextlib.contextmanager
def uploaded(client: Client, X: Any, y: Any, *, keep: bool, **options: Any) -> Iterator[Upload]:
    """Upload ``X`` and ``y``; on leaving, delete the dataset (unless ``keep``) if the work on
    it has finished or never started: a job still queued or running (a wait interrupted or
    timed out) may yet read it."""
    upload = Upload(client.upload_dataset(X, y, **options))
    try:
        yield upload
    finally:
        if not keep and (upload.work is None or upload.work.finished):
            with contextlib.suppress(MlpforgeError):
                client.delete_dataset(upload.dataset.id)
