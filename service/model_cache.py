"""A bounded LRU of loaded models, so predict does not re-read Redis on every call."""

from __future__ import annotations

import threading
from collections import OrderedDict

from engine import FittedModel


class ModelCache:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[str, str], FittedModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, tenant: str, model_id: str) -> FittedModel | None:
        with self._lock:
            model = self._items.get((tenant, model_id))
            if model is not None:
                self._items.move_to_end((tenant, model_id))
            return model

    def put(self, tenant: str, model_id: str, model: FittedModel) -> None:
        with self._lock:
            self._items[(tenant, model_id)] = model
            self._items.move_to_end((tenant, model_id))
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)

    def evict(self, tenant: str, model_id: str) -> None:
        with self._lock:
            self._items.pop((tenant, model_id), None)

    def __len__(self) -> int:
        return len(self._items)
