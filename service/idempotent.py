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


def replay(store: Store, scope: str, key: str | None, body: bytes) -> str | None:
    """The id created earlier for this key and body, if any; a different body is a 422."""
    if key is None:
        return None
    try:
        return store.idempotency.lookup(scope, key, fingerprint(body))
    except IdempotencyConflict:
        raise ApiError(
            422,
            "this Idempotency-Key was already used with a different request body",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "reused with another body"}],
        ) from None


def bind(
    store: Store,
    scope: str,
    key: str | None,
    body: bytes,
    created_id: str,
    discard: Callable[[str], object],
) -> str:
    """Bind the key to ``created_id``; if a concurrent twin won, drop ours and use theirs."""
    if key is None:
        return created_id
    winner = store.idempotency.claim(scope, key, fingerprint(body), created_id)
    if winner != created_id:
        discard(created_id)
    return winner
