"""A search as the API shows it: its record, its leaderboard and its jobs in flight, read
with the blocking client (routes) or the asyncio one (the final event of a stream)."""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from mlpforge.search import leaderboard
from service.schemas.searches import SearchPublic, search_public
from store import Store
from store.search_events import SearchEvents
from store.search_records import SearchRecord, TrialResult


def ranked_trials(search: SearchRecord, results: Iterable[TrialResult]) -> list[leaderboard.Trial]:
    return leaderboard.ranked(
        leaderboard.trials(results, folds=search.cv or 1),
        search.objective.goal,
        by_rung=search.halving is not None,
    )


def present(store: Store, search: SearchRecord, *, top: int | None = None) -> SearchPublic:
    """The public search; ``top`` keeps only that many of the leaderboard's best trials."""
    ordered = ranked_trials(search, store.searches.results(search.id))
    return search_public(search, ordered[:top], store.searches.in_flight(search))


async def status_body(events: SearchEvents, search: SearchRecord) -> bytes:
    """The body of a search stream's final event: the search, as GET answers it."""
    ordered = ranked_trials(search, await events.results())
    public = search_public(search, ordered, await events.in_flight(search))
    return orjson.dumps(public.model_dump(mode="json"))
