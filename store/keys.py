"""What every Redis key is called: the one place that knows.

Blobs kept outside Redis (store.blobs) are named the same way: a dataset's X is
``dataset_x(id)`` in Redis and the object ``mlpforge/t/{tenant}/dataset/{id}/X`` elsewhere.

All tenant data lives under ``mlpforge:t:{tenant}:``; a tenant can only ever build keys
inside its own prefix, which is what makes another tenant's resource a plain 404.
"""

from __future__ import annotations

from dataclasses import dataclass

ROOT = "mlpforge"


@dataclass(frozen=True)
class TenantKeys:
    tenant: str

    @property
    def prefix(self) -> str:
        return f"{ROOT}:t:{self.tenant}"

    # datasets
    def dataset(self, dataset_id: str) -> str:
        return f"{self.prefix}:dataset:{dataset_id}"

    def dataset_x(self, dataset_id: str) -> str:
        return f"{self.prefix}:dataset:{dataset_id}:X"

    def dataset_y(self, dataset_id: str) -> str:
        return f"{self.prefix}:dataset:{dataset_id}:y"

    def dataset_w(self, dataset_id: str) -> str:
        """The per-row sample weights of a dataset that has them."""
        return f"{self.prefix}:dataset:{dataset_id}:w"

    def dataset_index(self) -> str:
        return f"{self.prefix}:datasets"

    # jobs
    def job(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def job_history(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:history"

    def job_events(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:events"

    def job_cancel(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:cancel"

    def job_checkpoint(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:checkpoint"

    def job_checkpoint_ref(self, job_id: str) -> str:
        """With blobs outside Redis (store.blobs): the name of the job's current checkpoint
        blob, written in the fenced transaction that makes it current."""
        return f"{self.prefix}:job:{job_id}:checkpoint-ref"

    def job_checkpoint_blob(self, job_id: str, attempt: int, token: str) -> str:
        """One checkpoint of one attempt, outside Redis: a new name per write, so a stale
        attempt's write never replaces the blob the current attempt's pointer names."""
        return f"{self.prefix}:job:{job_id}:checkpoints:{attempt}-{token}"

    def job_lease(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:lease"

    def active_jobs(self) -> str:
        """Ids of this tenant's queued and running jobs (for the per-tenant queue limit)."""
        return f"{self.prefix}:active"

    def job_index(self) -> str:
        return f"{self.prefix}:jobs"

    def job_tag_index(self, tag: str) -> str:
        """The ids of this tenant's jobs that carry ``tag``, a lexicographic index as
        `job_index` is: listing by tag reads only these. The API lets tags hold only
        [A-Za-z0-9_.:-], and nothing else lives under ``:jobs:tag:``."""
        return f"{self.prefix}:jobs:tag:{tag}"

    def open_streams(self) -> str:
        """This tenant's open event streams, across API processes: a sorted set of stream ids
        scored by when each lapses unless its process renews it (Redis server time)."""
        return f"{self.prefix}:streams"

    def search_jobs(self, search_id: str) -> str:
        """The ids of a search's trial jobs, a lexicographic index as `job_index` is:
        ``GET /v1/jobs?search_id=`` reads only these."""
        return f"{self.prefix}:jobs:search:{search_id}"

    # searches (mlpforge.search): the record, its planned candidates, its finished trials'
    # results, its event stream, the cancel flag and the tenant's index and active set.
    def search(self, search_id: str) -> str:
        return f"{self.prefix}:search:{search_id}"

    def search_candidates(self, search_id: str) -> str:
        return f"{self.prefix}:search:{search_id}:candidates"

    def search_results(self, search_id: str) -> str:
        return f"{self.prefix}:search:{search_id}:results"

    def search_events(self, search_id: str) -> str:
        return f"{self.prefix}:search:{search_id}:events"

    def search_cancel(self, search_id: str) -> str:
        return f"{self.prefix}:search:{search_id}:cancel"

    def search_index(self) -> str:
        return f"{self.prefix}:searches"

    def active_searches(self) -> str:
        """Ids of this tenant's unfinished searches (for MLPFORGE_MAX_ACTIVE_SEARCHES)."""
        return f"{self.prefix}:searches:active"

    # models
    def model(self, model_id: str) -> str:
        return f"{self.prefix}:model:{model_id}"

    def model_blob(self, model_id: str) -> str:
        return f"{self.prefix}:model:{model_id}:blob"

    def model_index(self) -> str:
        return f"{self.prefix}:models"

    def model_tag_index(self, tag: str) -> str:
        """The ids of this tenant's models that carry ``tag`` (see `job_tag_index`)."""
        return f"{self.prefix}:models:tag:{tag}"

    # idempotency
    def idempotency(self, scope: str, key: str) -> str:
        return f"{self.prefix}:idem:{scope}:{key}"


def job_member(tenant: str, job_id: str) -> str:
    """How a job is named in the global sets below: "tenant/job_id"."""
    return f"{tenant}/{job_id}"


JobRef = tuple[str, str]  # (tenant, job_id)


def split_job_member(raw: bytes | str) -> JobRef:
    """(tenant, job_id) of a `job_member`."""
    member = raw.decode() if isinstance(raw, bytes) else raw
    tenant, _, job_id = member.rpartition("/")
    return tenant, job_id


def running_jobs() -> str:
    """Every running job of every tenant, as `job_member`s: what the reaper watches."""
    return f"{ROOT}:running"


def queued_jobs() -> str:
    """Every queued job of every tenant: a sorted set of `job_member`s scored by when the job
    was last sent (or last seen waiting in the broker), in Redis server time."""
    return f"{ROOT}:queued"


def requeue_claim(tenant: str, job_id: str, attempt: int) -> str:
    return f"{ROOT}:requeued:{tenant}:{job_id}:{attempt}"


def broker_scan_claim() -> str:
    """Held by the one reaper that looks through the broker's queues (see store.broker)."""
    return f"{ROOT}:broker-scan"


def callback_outbox() -> str:
    """Job callbacks still to deliver, of every tenant: a sorted set of `job_member`s scored by
    when the next attempt is due (Redis server time; 0: at once). Written in the transaction
    that finishes the job; drained by the API processes (store.callbacks)."""
    return f"{ROOT}:callbacks"


def due_searches() -> str:
    """Every unfinished search of every tenant: a sorted set of `job_member`-style
    "tenant/search_id" members scored by when it should next be stepped (Redis server time;
    0: at once). The transaction that finishes a trial sets its search's score to 0; every
    worker's housekeeping steps the searches that are due (mlpforge.search.controller)."""
    return f"{ROOT}:searches:due"


def search_step_lease(tenant: str, search_id: str) -> str:
    """Held by the one process stepping a search, for a few seconds."""
    return f"{ROOT}:searches:stepping:{tenant}:{search_id}"


def rate_bucket(tenant: str) -> str:
    return f"{ROOT}:rate:{tenant}"


def worker_heartbeats() -> str:
    """One sorted set: member = a live worker (hostname and queues), score = its last beat."""
    return f"{ROOT}:workers"


# Kombu's Redis transport (the Celery broker) names its keys itself; they are listed here so
# that this module stays the one place that knows what every key is called. Verified on a real
# worker (kombu 5.x): each queue is a list named after the queue (priority levels other than 0
# add `BROKER_PRIORITY_SEP` and the level), and a message delivered but not yet acknowledged
# sits in the hash `unacked`, keyed by delivery tag.
BROKER_UNACKED = "unacked"
BROKER_PRIORITY_SEP = "\x06\x16"
BROKER_PRIORITY_STEPS = (0, 3, 6, 9)


def broker_queues(queue: str) -> list[str]:
    """The lists that hold `queue`'s waiting messages, one per priority level."""
    return [
        queue if step == 0 else f"{queue}{BROKER_PRIORITY_SEP}{step}"
        for step in BROKER_PRIORITY_STEPS
    ]


# What /metrics shows of the whole fleet (store.fleet_metrics): written by workers and by the
# job transitions, read by any API process at each scrape.
def jobs_finished_counts() -> str:
    """A hash: final status → how many jobs ever ended with it."""
    return f"{ROOT}:metrics:jobs-finished"


def training_totals() -> str:
    """A hash: "samples|device", "seconds|device", "epochs|device" → running totals."""
    return f"{ROOT}:metrics:training"


def training_rates() -> str:
    """A hash: a worker process → its latest training throughput, device and report time."""
    return f"{ROOT}:metrics:training-rates"


def job_durations() -> str:
    """A hash: "status|bucket", "status|sum", "status|count" → the job-duration histogram."""
    return f"{ROOT}:metrics:job-seconds"


def blob_owner(name: str) -> tuple[str, str | None] | None:
    """What keeps a blob (store.blobs) alive: (a Redis key, the value it must hold — None: it
    must only exist), or None for a name this project never writes.

    A dataset's arrays live while its record does, a model's weights while its record does, a
    checkpoint while its job's pointer names it.
    """
    parts = name.split(":")
    if len(parts) < 6 or parts[0] != ROOT or parts[1] != "t":
        return None
    keys, kind, item = TenantKeys(parts[2]), parts[3], parts[4]
    rest = parts[5:]
    if kind == "dataset" and rest in (["X"], ["y"], ["w"]):
        return keys.dataset(item), None
    if kind == "model" and rest == ["blob"]:
        return keys.model(item), None
    if kind == "job" and len(rest) == 2 and rest[0] == "checkpoints":
        return keys.job_checkpoint_ref(item), name
    return None
