"""How lists of jobs and models are filtered and ordered.

* ``?sort=-created_at`` (the default) and ``?sort=created_at``: keyset pages over the whole
  list, newest or oldest first.
* ``?sort=[-]metrics.<name>`` or ``?sort=[-]evaluation.<split>.<score>``: ranks the
  `SORT_WINDOW` most recent items (that carry ``tag``, when one is given), those matching the
  other filters, by that value — ``-`` for the largest first; items without the value come
  last, ties newest first. The cursor is then an offset into that ranking. The window is what
  keeps the cost of a request bounded (it reads at most that many records); beyond it, narrow
  the list with ``tag`` (each tag has its own index) or the other filters.
* ``?tag=`` reads the tag's own index, so its pages are always full. Other filters are applied
  to the records as they are read, at most `store.pagination.MAX_SCAN` per request: their
  pages may be short, even empty, with a ``next_cursor`` to go on from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Query
from pydantic import BaseModel

from service.errors import invalid
from service.schemas import MAX_TAG_CHARS, TAG_PATTERN, Page
from store import Page as StorePage
from store.pagination import MAX_SCAN

SORT_WINDOW = 1000

_METRICS = ("loss", "val_loss", "val_score", "train_rmse")
_SPLITS = ("train", "validation", "test")
_SCORES = (
    "accuracy",
    "balanced_accuracy",
    "f1_macro",
    "log_loss",
    "roc_auc",
    "rmse",
    "mae",
    "r2",
)
SORT_KEYS: tuple[str, ...] = (
    "created_at",
    *(f"metrics.{name}" for name in _METRICS),
    *(f"evaluation.{split}.{score}" for split in _SPLITS for score in _SCORES),
)
SORTS: tuple[str, ...] = tuple(f"{sign}{key}" for key in SORT_KEYS for sign in ("-", ""))

SORT_HELP = (
    "`-created_at` (default: newest first) or `created_at`; or a value: `metrics.<name>` "
    f"({', '.join(_METRICS)}) or `evaluation.<split>.<score>` (splits {', '.join(_SPLITS)}; "
    f"scores {', '.join(_SCORES)}), with `-` for the largest first. Sorting by a value ranks "
    f"the {SORT_WINDOW:,} most recent items (with `tag`, when given) that match the other "
    "filters; those without the value come last."
)
LIST_HELP = (
    "Filters combine. `tag` reads that tag's own index; other filters are applied as records "
    f"are read, at most {MAX_SCAN:,} per request, so a page may be short (even empty) while "
    "`next_cursor` says where to go on. " + SORT_HELP
)

SortQuery = Annotated[
    str | None,
    Query(max_length=64, description=SORT_HELP, json_schema_extra={"enum": list(SORTS)}),
]
TagQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_TAG_CHARS,
        pattern=TAG_PATTERN,
        description="Only the items that carry this tag.",
    ),
]

_OFFSET = re.compile(r"^\d{1,6}$")
T = TypeVar("T", bound=BaseModel)
S = TypeVar("S")  # a stored record


@dataclass(frozen=True)
class Order:
    key: str
    descending: bool

    @property
    def by_value(self) -> bool:
        return self.key != "created_at"


def order_of(sort: str | None) -> Order:
    """The order ``?sort=`` asks for; a 422 naming ``sort`` for one that is not offered."""
    if sort is None:
        return Order("created_at", descending=True)
    if sort not in SORTS:
        raise invalid(["query", "sort"], f"cannot sort by {sort[:64]!r}; use {SORT_HELP}")
    return Order(sort.removeprefix("-"), descending=sort.startswith("-"))


def value_at(item: BaseModel, path: str) -> float | None:
    """The number at a dotted path of a public item (None where any step is missing)."""
    current: Any = item
    for step in path.split("."):
        current = getattr(current, step, None)
        if current is None:
            return None
    return float(current) if isinstance(current, int | float) else None


def ranked_page(items: Sequence[T], order: Order, *, limit: int, cursor: str | None) -> Page[T]:
    """A page of ``items`` (newest first) ranked by ``order``'s value; the cursor is an
    offset into the ranking."""
    if cursor is None:
        offset = 0
    elif _OFFSET.match(cursor):
        offset = int(cursor)
    else:
        raise invalid(
            ["query", "cursor"],
            "a list sorted by a value pages by offset: pass the next_cursor of its previous "
            "page, with the same sort and filters",
        )
    present: list[tuple[float, T]] = []
    missing: list[T] = []
    for item in items:
        value = value_at(item, order.key)
        if value is None:
            missing.append(item)
        else:
            present.append((value, item))
    # Python's sort is stable, reversed too: equal values keep the newest first.
    present.sort(key=lambda pair: pair[0], reverse=order.descending)
    ranked = [item for _, item in present] + missing
    end = offset + limit
    return Page[T](data=ranked[offset:end], next_cursor=str(end) if end < len(ranked) else None)


def listing(
    sort: str | None,
    *,
    recent: Callable[[int], Sequence[S]],
    page: Callable[[bool], StorePage[S]],
    public: Callable[[S], T],
    limit: int,
    cursor: str | None,
) -> Page[T]:
    """One page of a list in the order ``sort`` asks for. ``recent(window)``: the newest
    records that match the filters; ``page(newest_first)``: a keyset page of them."""
    order = order_of(sort)
    if order.by_value:
        items = [public(record) for record in recent(SORT_WINDOW)]
        return ranked_page(items, order, limit=limit, cursor=cursor)
    found = page(order.descending)
    return Page[T](data=[public(record) for record in found.data], next_cursor=found.next_cursor)
