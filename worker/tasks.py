"""Celery tasks, named explicitly and kept thin: the work is in `worker.training`."""

from __future__ import annotations

import logging

from celery.exceptions import SoftTimeLimitExceeded

from mlpforge.queueing import TRAIN_TASK
from worker.celery_app import app
from worker.searches import step_search_of
from worker.training import run_job

log = logging.getLogger(__name__)


@app.task(name=TRAIN_TASK, bind=False, ignore_result=True)
def train(tenant: str, job_id: str, request_id: str | None = None) -> None:
    # ``request_id`` (the request that created the job) is read by worker.celery_app, which
    # puts it and the job's ids on every log line of this task.
    try:
        run_job(tenant, job_id)
    except SoftTimeLimitExceeded:
        # `run_job` ends its own attempt at the time limit. Reaching here, the limit fired
        # before this worker started the job (or after it let go): no attempt of ours owns
        # the job, so there is nothing this worker may write.
        log.warning("job %s: time limit reached before this worker started it", job_id)
    # A search's trial: its search takes the result in and queues what comes next now, not
    # at the next housekeeping round (which would do it, had this worker died meanwhile).
    step_search_of(tenant, job_id)
