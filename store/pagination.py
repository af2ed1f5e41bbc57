"""Keyset pagination over a lexicographic index of time-sortable ids, and the bounded window
that sorting by a value reads.

A filter the index cannot answer (a job's status, its dataset) is applied to the records as
they are read, and at most `MAX_SCAN` index entries are examined per request, whatever the
filter: a page may then hold fewer than ``limit`` items, even none, while ``next_cursor``
still says where to go on. Without that bound one request for a status that no job has would
read every record of the tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import redis

# Index entries one listing request examines at most (records read and filtered).
MAX_SCAN = 1000
# Entries read from the index (and records fetched) per round trip when filtering.
SCAN_BATCH = 100


def page_ids(
    client: redis.Redis,
    index_key: str,
    *,
    limit: int,
    cursor: str | None,
    accept: Callable[[list[str]], list[bool]] | None = None,
    newest_first: bool = True,
) -> tuple[list[str], str | None]:
    """Up to ``limit`` ids strictly beyond ``cursor``; ``accept`` filters a batch of ids.

    The next cursor is the last id examined, so that a page cut short by `MAX_SCAN`
    continues where it stopped; None once the index holds nothing beyond it.
    """
    chosen: list[str] = []
    last = cursor
    examined = 0
    size = limit if accept is None else max(limit, SCAN_BATCH)
    while len(chosen) < limit and examined < MAX_SCAN:
        wanted = min(size, MAX_SCAN - examined)
        batch = _beyond(client, index_key, last, wanted, newest_first)
        if not batch:
            return chosen, None
        keep = accept(batch) if accept else [True] * len(batch)
        for item, ok in zip(batch, keep, strict=True):
            examined += 1
            last = item
            if ok:
                chosen.append(item)
                if len(chosen) == limit:
                    break
        if len(batch) < wanted and len(chosen) < limit:
            return chosen, None  # the index ended inside this batch
    more = last is not None and bool(_beyond(client, index_key, last, 1, newest_first))
    return chosen, (last if more else None)


class Identified(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=Identified)


@dataclass(frozen=True)
class Records(Generic[R]):
    """How to read one kind of record through its index: the key of an id, and the parser."""

    client: redis.Redis
    key: Callable[[str], str]
    parse: Callable[[bytes | str], R]

    def read(self, ids: list[str]) -> list[R]:
        """The records of ``ids`` that still exist, in order."""
        raws = self.client.mget([self.key(i) for i in ids]) if ids else []
        return [self.parse(raw) for raw in raws if raw]


def records_page(
    records: Records[R],
    index_key: str,
    wanted: Callable[[R], bool],
    *,
    limit: int,
    cursor: str | None,
    newest_first: bool,
) -> tuple[list[R], str | None]:
    """A page of the records ``wanted`` accepts, by `page_ids`."""
    cache: dict[str, R] = {}

    def accept(ids: list[str]) -> list[bool]:
        for record in records.read(ids):
            cache[record.id] = record
        return [i in cache and wanted(cache[i]) for i in ids]

    ids, next_cursor = page_ids(
        records.client,
        index_key,
        limit=limit,
        cursor=cursor,
        accept=accept,
        newest_first=newest_first,
    )
    return [cache[i] for i in ids], next_cursor


def recent_records(
    records: Records[R], index_key: str, wanted: Callable[[R], bool], *, window: int
) -> list[R]:
    """Of the ``window`` newest records of an index, those ``wanted`` accepts, newest first:
    what a listing sorted by a value ranks."""
    ids = _beyond(records.client, index_key, None, window, True)
    found: list[R] = []
    for start in range(0, len(ids), SCAN_BATCH):
        found += records.read(ids[start : start + SCAN_BATCH])
    return [record for record in found if wanted(record)]


def _beyond(
    client: redis.Redis, index_key: str, after: str | None, count: int, newest_first: bool
) -> list[str]:
    if newest_first:
        upper = f"({after}" if after else "+"
        raws = client.zrevrangebylex(index_key, upper, "-", start=0, num=count)
    else:
        lower = f"({after}" if after else "-"
        raws = client.zrangebylex(index_key, lower, "+", start=0, num=count)
    return [raw.decode() if isinstance(raw, bytes) else raw for raw in raws]
