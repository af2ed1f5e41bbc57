"""What every Redis key is called: the one place that knows.

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

    def job_lease(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:lease"

    def active_jobs(self) -> str:
        """Ids of this tenant's queued and running jobs (for the per-tenant queue limit)."""
        return f"{self.prefix}:active"

    def job_index(self) -> str:
        return f"{self.prefix}:jobs"

    # models
    def model(self, model_id: str) -> str:
        return f"{self.prefix}:model:{model_id}"

    def model_blob(self, model_id: str) -> str:
        return f"{self.prefix}:model:{model_id}:blob"

    def model_index(self) -> str:
        return f"{self.prefix}:models"

    # idempotency
    def idempotency(self, scope: str, key: str) -> str:
        return f"{self.prefix}:idem:{scope}:{key}"


def running_jobs() -> str:
    """Every running job of every tenant, as "tenant/job_id": what the reaper watches."""
    return f"{ROOT}:running"


def requeue_claim(tenant: str, job_id: str, attempt: int) -> str:
    return f"{ROOT}:requeued:{tenant}:{job_id}:{attempt}"


def rate_bucket(tenant: str) -> str:
    return f"{ROOT}:rate:{tenant}"


def worker_heartbeat(hostname: str) -> str:
    return f"{ROOT}:worker:{hostname}"


def worker_heartbeat_pattern() -> str:
    return f"{ROOT}:worker:*"
