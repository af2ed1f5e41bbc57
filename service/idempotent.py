"""Idempotency-Key handling shared by the routes that create resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from service.errors import ApiError
from store import IdempotencyConflict, Store
from store.idempotency import fingerprint

T = TypeVar("T")
MAX_KEY_LENGTH = 200


def check_key(key: str | None) -> None:
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise ApiError(
            422,
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "bad length"}],
        )


def replay(
    store: Store, scope: str, key: str | None, body: bytes, fetch: Callable[[str], T | None]
) -> T | None:
    """The resource created earlier for this key and body, if any; a different body is a 422.

    A key whose resource was deleted since is free again: the request creates a new one.
    """
    if key is None:
        return None
    try:
        earlier = store.idempotency.lookup(scope, key, fingerprint(body))
    except IdempotencyConflict:
        raise ApiError(
            422,
            "this Idempotency-Key was already used with a different request body",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "reused with another body"}],
        ) from None
    if earlier is None:
        return None
    record = fetch(earlier)
    if record is None:
        store.idempotency.forget(scope, key, earlier)
    return record


def bind(
    store: Store,
    scope: str,
    key: str | None,
    body: bytes,
    created_id: str,
    fetch: Callable[[str], T | None],
    discard: Callable[[str], object],
) -> T | None:
    """Bind the key to ``created_id``; None when ours stands.

    If a concurrent twin bound the key first, ours is dropped and the twin returned.
    """
    if key is None:
        return None
    winner = store.idempotency.claim(scope, key, fingerprint(body), created_id)
    if winner == created_id:
        return None
    twin = fetch(winner)
    if twin is not None:  # else the twin is already deleted: keep ours rather than answer nothing
        discard(created_id)
    return twin
