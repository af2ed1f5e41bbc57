"""Celery tasks, named explicitly and kept thin: the work is in `worker.training`."""

from __future__ import annotations

from celery.exceptions import SoftTimeLimitExceeded

from mlpforge.queueing import TRAIN_TASK
from worker.celery_app import app
from worker.training import run_job, time_limit_reached


@app.task(name=TRAIN_TASK, bind=False, ignore_result=True)
def train(tenant: str, job_id: str) -> None:
    try:
        run_job(tenant, job_id)
    except SoftTimeLimitExceeded:
        time_limit_reached(tenant, job_id)
