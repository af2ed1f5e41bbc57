"""Listings that follow ``next_cursor``: iterate over every item, fetching pages as needed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Generic, TypeVar

from mlpforge.client._models import Page, Resource

R = TypeVar("R", bound=Resource)

MAX_PAGE = 100  # the server's largest ?limit=


def _page_size(page_size: int, limit: int | None, seen: int) -> int:
    size = min(max(1, page_size), MAX_PAGE)
    return size if limit is None else max(1, min(size, limit - seen))


class Pager(Generic[R]):
    """Every item of a listing, newest first, fetched ``page_size`` at a time.

    ``for job in client.list_jobs(status="running"): ...``; ``list(pager)`` reads them all
    (or the first ``limit``); ``pager.pages()`` yields the pages themselves.
    """

    def __init__(
        self, fetch: Callable[[str | None, int], Page[R]], *, limit: int | None, page_size: int
    ) -> None:
        self._fetch = fetch
        self.limit = limit
        self.page_size = page_size

    def pages(self) -> Iterator[Page[R]]:
        cursor: str | None = None
        seen = 0
        while self.limit is None or seen < self.limit:
            page = self._fetch(cursor, _page_size(self.page_size, self.limit, seen))
            if self.limit is not None:
                page = page.model_copy(update={"data": page.data[: self.limit - seen]})
            seen += len(page.data)
            yield page
            # A filtered page may be empty and still not the last (the server reads a bounded
            # number of records per request): only the cursor says when the list ends.
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def __iter__(self) -> Iterator[R]:
        for page in self.pages():
            yield from page.data

    def first_page(self) -> Page[R]:
        return next(iter(self.pages()))


class AsyncPager(Generic[R]):
    """:class:`Pager` for :class:`AsyncClient`: ``async for job in client.list_jobs(): ...``;
    ``await pager.to_list()``."""

    def __init__(
        self,
        fetch: Callable[[str | None, int], Awaitable[Page[R]]],
        *,
        limit: int | None,
        page_size: int,
    ) -> None:
        self._fetch = fetch
        self.limit = limit
        self.page_size = page_size

    async def pages(self) -> AsyncIterator[Page[R]]:
        cursor: str | None = None
        seen = 0
        while self.limit is None or seen < self.limit:
            page = await self._fetch(cursor, _page_size(self.page_size, self.limit, seen))
            if self.limit is not None:
                page = page.model_copy(update={"data": page.data[: self.limit - seen]})
            seen += len(page.data)
            yield page
            # A filtered page may be empty and still not the last (the server reads a bounded
            # number of records per request): only the cursor says when the list ends.
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    async def __aiter__(self) -> AsyncIterator[R]:
        async for page in self.pages():
            for item in page.data:
                yield item

    async def to_list(self) -> list[R]:
        return [item async for item in self]

    async def first_page(self) -> Page[R]:
        async for page in self.pages():
            return page
        raise AssertionError("unreachable: pages() yields at least one page")
