"""A dataset and a job written straight through the store, as the API would leave them."""

from __future__ import annotations

from typing import Any

import numpy as np

from engine import MLPParams
from store import Store


def stored_job(
    store: Store,
    *,
    rows: int = 60,
    features: int = 3,
    queue: str = "cpu",
    device: str = "auto",
    max_runtime_secs: int = 60,
    **params: Any,
) -> str:
    """A queued job whose record is written and whose task is NOT sent."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, features)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    dataset = store.datasets.create(
        X=X, y=y, name=None, feature_names=[f"f{i}" for i in range(features)], target_name=None,
        target_kind="categorical", classes=[0, 1],
    )
    resolved = MLPParams(**params).resolve("classification", rows)
    job = store.jobs.new_record(
        dataset_id=dataset.id, task="classification", params=resolved.to_dict(),
        max_runtime_secs=max_runtime_secs, queue=queue, device=device, requested_device=device,
    )
    return store.jobs.create(job).id
