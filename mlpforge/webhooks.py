"""Job callbacks' signature: how mlpforge signs them, and how a receiver checks one.

Every callback carries ``X-Mlpforge-Signature: t=<unix seconds>,v1=<hex>``, where ``<hex>`` is
the HMAC-SHA256, keyed with the tenant's secret (``MLPFORGE_CALLBACK_SECRETS``), of
``f"{t}.".encode() + body`` — the raw body bytes, exactly as received. The timestamp is signed
too, so a receiver that refuses old timestamps (`verify` allows 5 minutes) cannot be fed a
recorded callback again. A receiver in Python::

    from mlpforge.webhooks import verify
    if not verify(secret, request_body, request.headers["X-Mlpforge-Signature"]):
        return 401
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Mlpforge-Signature"
DEFAULT_TOLERANCE_SECS = 300


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}.".encode() + body``."""
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of `SIGNATURE_HEADER` for ``body`` sent now (or at ``timestamp``)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return f"t={stamp},v1={signature(secret, body, stamp)}"


def verify(
    secret: str,
    body: bytes,
    header: str,
    *,
    tolerance_secs: float = DEFAULT_TOLERANCE_SECS,
    now: float | None = None,
) -> bool:
    """True if ``header`` signs ``body`` with ``secret`` and its timestamp is recent."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        fields.setdefault(name, []).append(value)
    stamps = fields.get("t", [])
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    stamp = int(stamps[0])
    if abs((time.time() if now is None else now) - stamp) > tolerance_secs:
        return False
    expected = signature(secret, body, stamp)
    # Any v1 may match: a future secret rotation can send one per secret.
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))
