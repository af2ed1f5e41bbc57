"""Listings that follow ``next_cursor``: iterate over every item, fetching pages as needed
(the paging itself is :func:`mlpforge.client._steps.pages`, shared by both clients)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Generic, TypeVar

from mlpforge.client._models import Page, Resource

R = TypeVar("R", bound=Resource)
Pages = TypeVar("Pages")  # an iterator or async iterator of pages


class _Listing(Generic[Pages]):
    def __init__(self, pages: Callable[[], Pages], *, limit: int | None, page_size: int) -> None:
        self._pages = pages
        self.limit = limit
        self.page_size = page_size

    def pages(self) -> Pages:
        return self._pages()


class Pager(_Listing[Iterator[Page[R]]], Generic[R]):
    """Every item of a listing, newest first, fetched ``page_size`` at a time.

    ``for job in client.list_jobs(status="running"): ...``; ``list(pager)`` reads them all
    (or the first ``limit``); ``pager.pages()`` yields the pages themselves.
    """

    def __iter__(self) -> Iterator[R]:
        for page in self.pages():
            yield from page.data

    def first_page(self) -> Page[R]:
        return next(iter(self.pages()))


class AsyncPager(_Listing[AsyncIterator[Page[R]]], Generic[R]):
    """:class:`Pager` for :class:`AsyncClient`: ``async for job in client.list_jobs(): ...``;
    ``await pager.to_list()``."""

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
