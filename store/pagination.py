"""Newest-first keyset pagination over a lexicographic index of time-sortable ids."""

from __future__ import annotations

from collections.abc import Callable

import redis

MAX_LIMIT = 100


def page_ids(
    client: redis.Redis,
    index_key: str,
    *,
    limit: int,
    cursor: str | None,
    accept: Callable[[list[str]], list[bool]] | None = None,
) -> tuple[list[str], str | None]:
    """Ids newest first, strictly older than ``cursor``; ``accept`` filters a batch of ids."""
    upper = f"({cursor}" if cursor else "+"
    chosen: list[str] = []
    while len(chosen) < limit:
        batch = [_text(raw) for raw in client.zrevrangebylex(index_key, upper, "-", 0, limit)]
        if not batch:
            return chosen, None
        keep = accept(batch) if accept else [True] * len(batch)
        for item, ok in zip(batch, keep, strict=True):
            if ok:
                chosen.append(item)
                if len(chosen) == limit:
                    break
            upper = f"({item}"
        else:
            if len(batch) < limit:
                return chosen, None
            continue
        break
    # A full page: there may be more; the next page starts after the last item returned.
    more = client.zrevrangebylex(index_key, f"({chosen[-1]}", "-", start=0, num=1)
    return chosen, (chosen[-1] if more else None)


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
