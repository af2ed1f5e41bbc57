"""How work is queued: the Celery configuration the API (producer) and workers share.

The API builds this app only to send tasks by name; it never imports `worker`.
"""

from __future__ import annotations

from celery import Celery

from mlpforge.settings import Settings

TRAIN_TASK = "mlpforge.train"
CPU_QUEUE = "cpu"
GPU_QUEUE = "gpu"
# Seconds past the soft limit before Celery kills a task that ignored it.
HARD_LIMIT_GRACE_SECS = 30


def queue_for(device: str, *, gpu_workers: int = 0) -> str:
    """The queue of a job asking for ``device``: a "gpu" job waits for a GPU worker; an "auto"
    one goes to a GPU worker while one is alive (``gpu_workers``), else to the CPU workers."""
    if device == "gpu" or (device == "auto" and gpu_workers > 0):
        return GPU_QUEUE
    return CPU_QUEUE


def send_training(
    app: Celery,
    *,
    tenant: str,
    job_id: str,
    queue: str,
    runtime_secs: int,
    request_id: str | None = None,
) -> None:
    """Queue one training run; Celery enforces the job's wall-clock limit (soft, then hard).
    ``request_id``: the request that created the job, for the worker's log lines."""
    app.send_task(
        TRAIN_TASK,
        args=[tenant, job_id],
        kwargs={} if request_id is None else {"request_id": request_id},
        queue=queue,
        soft_time_limit=max(1, runtime_secs),
        time_limit=max(1, runtime_secs) + HARD_LIMIT_GRACE_SECS,
    )


def make_celery(settings: Settings, *, name: str = "mlpforge") -> Celery:
    app = Celery(name, broker=settings.redis_url)
    app.conf.update(
        # Nothing is ever unpickled: JSON in, JSON out.
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # Job state lives in the store, not in Celery's result backend.
        task_ignore_result=True,
        # A task is acknowledged only once it finished; a dead worker's task is delivered again.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=CPU_QUEUE,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            # Longer than the longest allowed job, so a healthy long job is never redelivered.
            "visibility_timeout": settings.max_runtime_secs + 3600,
            "socket_timeout": 5,
            "socket_connect_timeout": 5,
        },
        # A broker that is down must not hang an API request for long.
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        worker_send_task_events=False,
        task_send_sent_event=False,
    )
    return app
