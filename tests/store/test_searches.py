"""The store of searches: created due a little later (so a dead API's search is still taken
over), writes fenced by the record's version, the tenant's limit, and deletion of every key."""

from __future__ import annotations

import pytest
import redis

from store import Store, queued, search_steps
from store.ids import new_id, utcnow
from store.keys import due_searches, job_member
from store.search_records import Candidate, Objective, SearchRecord
from store.searches import ACTIVATE_WITHIN_SECS, StaleStep, TooManyActiveSearches


def record(**fields: object) -> SearchRecord:
    return SearchRecord(
        id=new_id("srch"), dataset_id=new_id("ds"), task="classification", strategy="grid",
        params={}, space={"alpha": [0.1]}, objective=Objective(metric="accuracy", goal="maximize"),
        max_trials=1, max_parallel=1, n_candidates=1, planned_jobs=1, max_runtime_secs=60,
        created_at=utcnow(), **fields,  # type: ignore[arg-type]
    )  # fmt: skip


CANDIDATES = [Candidate(index=0, values={"alpha": 0.1}, params={"alpha": 0.1, "max_iter": 2})]


@pytest.fixture
def store(redis_client: redis.Redis, tenant: str) -> Store:
    return Store(redis_client, tenant)


def test_a_new_search_is_due_soon_and_at_once_when_activated(store: Store) -> None:
    search = record()
    store.searches.create(search, CANDIDATES, max_active=5)
    member = job_member(store.tenant, search.id)
    due_at = store.client.zscore(due_searches(), member)
    now = queued.server_time(store.client)
    assert due_at is not None and now < due_at <= now + ACTIVATE_WITHIN_SECS + 1
    store.searches.activate(search.id)
    assert search_steps.due(store.client, now=now).count((store.tenant, search.id)) == 1
    assert store.searches.all_candidates(search.id) == CANDIDATES


def test_a_write_is_refused_once_another_step_wrote(store: Store) -> None:
    search = record()
    store.searches.create(search, CANDIDATES, max_active=5)
    first = store.searches.save(search, search.model_copy(update={"status": "running"}))
    assert first.state.version == 1
    with pytest.raises(StaleStep):  # a step that read version 0 writes nothing
        store.searches.save(search, search.model_copy(update={"status": "cancelled"}))
    current = store.searches.get(search.id)
    assert current is not None and current.status == "running"


def test_the_tenants_unfinished_searches_are_limited_and_a_finished_one_frees_its_place(
    store: Store,
) -> None:
    first = record()
    store.searches.create(first, CANDIDATES, max_active=1)
    with pytest.raises(TooManyActiveSearches):
        store.searches.create(record(), CANDIDATES, max_active=1)
    store.searches.save(first, first.model_copy(update={"status": "cancelled"}))
    assert store.searches.active_count() == 0
    assert store.client.zscore(due_searches(), job_member(store.tenant, first.id)) is None
    store.searches.create(record(), CANDIDATES, max_active=1)


def test_deleting_a_search_leaves_no_key_of_it(store: Store) -> None:
    search = record()
    store.searches.create(search, CANDIDATES, max_active=5)
    store.searches.request_cancel(search.id)
    assert store.searches.delete(search.id)
    assert list(store.client.scan_iter(f"{store.keys.search(search.id)}*")) == []
    assert store.searches.get(search.id) is None and not store.searches.delete(search.id)
