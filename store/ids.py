"""Resource ids that sort by creation time, so an index ordered by id is ordered by age."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime

_lock = threading.Lock()
_last_micros = 0


def _next_micros() -> int:
    """Microseconds since the epoch, strictly increasing within this process."""
    global _last_micros
    with _lock:
        _last_micros = max(time.time_ns() // 1000, _last_micros + 1)
        return _last_micros


def new_id(prefix: str) -> str:
    # 14 hex digits of microseconds keep lexicographic order = time order for millennia;
    # the random tail keeps ids of different processes apart.
    return f"{prefix}_{_next_micros():014x}{secrets.token_hex(5)}"


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
