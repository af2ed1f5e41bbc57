"""Resource ids that sort by creation time, so an index ordered by id is ordered by age."""

from __future__ import annotations

import re
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


_ID_BODY = re.compile(r"[0-9a-f]{24}")


def well_formed(prefix: str, value: str) -> bool:
    """Whether ``value`` has the shape `new_id(prefix)` gives. Ids become parts of Redis keys:
    one such as ``ds_x:X`` would name another key of the same tenant, so a malformed id is
    answered as an unknown one before any key is built from it."""
    head, sep, body = value.partition("_")
    return head == prefix and bool(sep) and _ID_BODY.fullmatch(body) is not None


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
