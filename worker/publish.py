"""A succeeded job's model, published: the engine's blob beside a record of what it is."""

from __future__ import annotations

from engine import FittedModel, dump_model
from store import JobRecord, ModelRecord, Store
from store.ids import utcnow
from worker.evaluation import Outcome
from worker.patience import patiently


def model_id_for(job_id: str) -> str:
    # Derived from the job, so publishing the model twice (after a crash) writes one model.
    return "mdl_" + job_id.removeprefix("job_")


def publish_model(store: Store, job: JobRecord, model: FittedModel, outcome: Outcome) -> str:
    """Store the model (with the state a continued job starts from) and return its id."""
    dataset = store.datasets.get(job.dataset_id)
    # The name and tags as they are now: they may have been changed while the job trained.
    current = store.jobs.get(job.id) or job
    blob = dump_model(model)
    record = ModelRecord(
        id=model_id_for(job.id),
        job_id=job.id,
        dataset_id=job.dataset_id,
        task=job.task,
        n_features=model.n_features_in_,
        feature_names=dataset.feature_names if dataset else None,
        classes=None if model.classes_ is None else model.classes_.tolist(),
        multilabel=model.multilabel,
        n_outputs=model.n_outputs_,
        target_names=dataset.target_names if dataset else None,
        hidden_layer_sizes=list(model.hidden_layer_sizes),
        activation=model.activation,
        n_parameters=model.n_parameters,
        params=model.params.to_dict(),
        parent_model_id=job.init_model_id,
        metrics=model.final_metrics(),
        evaluation=outcome.evaluation,
        dataset_sha256=dataset.sha256 if dataset else "",
        name=current.name,
        tags=current.tags,
        size_bytes=len(blob),
        created_at=utcnow(),
    )
    patiently(lambda: store.models.create(record, blob))
    return record.id
