"""Celery tasks, named explicitly and kept thin: the work is in `worker.training`."""

from __future__ import annotations

import logging

from celery.exceptions import SoftTimeLimitExceeded

from mlpforge.log_context import bound
from mlpforge.queueing import TRAIN_TASK
from worker.celery_app import app
from worker.training import run_job

log = logging.getLogger(__name__)


@app.task(name=TRAIN_TASK, bind=False, ignore_result=True)
def train(tenant: str, job_id: str, request_id: str | None = None) -> None:
    # Every line logged for this job, Celery's included, names it (mlpforge.log_context);
    # ``request_id``, the request that created it, is absent from a re-sent task (the
    # reaper's): `run_job` then takes it from the job's record.
    with bound(request_id=request_id, tenant=tenant, job_id=job_id):
        try:
            run_job(tenant, job_id)
        except SoftTimeLimitExceeded:
            # `run_job` ends its own attempt at the time limit. Reaching here, the limit fired
            # before this worker started the job (or after it let go): no attempt of ours owns
            # the job, so there is nothing this worker may write.
            log.warning("job %s: time limit reached before this worker started it", job_id)
