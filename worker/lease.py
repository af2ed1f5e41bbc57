"""Keep a running job's lease alive from a thread while the engine trains."""

from __future__ import annotations

import threading
from types import TracebackType

import redis

from store import Store


class Lease:
    """Renews the job's lease every third of its lifetime; sets `lost` once it is gone."""

    def __init__(self, store: Store, job_id: str, attempt: int, lease_secs: int) -> None:
        self._store = store
        self._job_id = job_id
        self._attempt = attempt
        self._secs = lease_secs
        self._done = threading.Event()
        self.lost = threading.Event()
        self._thread = threading.Thread(target=self._renew_forever, daemon=True)

    def _renew_forever(self) -> None:
        while not self._done.wait(self._secs / 3):
            try:
                held = self._store.jobs.renew_lease(
                    self._job_id, attempt=self._attempt, lease_secs=self._secs
                )
            except redis.RedisError:
                continue  # Redis away: the fencing token still guards every write
            if not held:
                self.lost.set()
                return

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._done.set()
