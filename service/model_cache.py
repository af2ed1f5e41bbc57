"""A bounded LRU of loaded models, so predict does not re-read Redis on every call.

Each entry remembers when the model was last seen in Redis: models never change once
published, they only disappear, so predict re-checks an entry older than a second and a model
deleted through any API process answers 404 everywhere within that second.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from engine import FittedModel


class ModelCache:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[str, str], tuple[FittedModel, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self, tenant: str, model_id: str, *, max_age: float = float("inf")
    ) -> FittedModel | None:
        """The model if it was seen in Redis within ``max_age`` seconds."""
        with self._lock:
            entry = self._items.get((tenant, model_id))
            if entry is None or time.monotonic() - entry[1] > max_age:
                return None
            self._items.move_to_end((tenant, model_id))
            return entry[0]

    def peek(self, tenant: str, model_id: str) -> FittedModel | None:
        """The model however old its last check (None if not loaded)."""
        with self._lock:
            entry = self._items.get((tenant, model_id))
            return None if entry is None else entry[0]

    def put(self, tenant: str, model_id: str, model: FittedModel) -> None:
        """Store, or mark as seen in Redis just now."""
        with self._lock:
            self._items[(tenant, model_id)] = (model, time.monotonic())
            self._items.move_to_end((tenant, model_id))
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def evict(self, tenant: str, model_id: str) -> None:
        with self._lock:
            self._items.pop((tenant, model_id), None)

    def __len__(self) -> int:
        return len(self._items)
