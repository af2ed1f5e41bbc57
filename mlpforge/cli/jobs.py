"""``mlpforge train`` and ``mlpforge jobs``: start a job, then list, show, follow, cancel and
delete jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mlpforge.cli._commands import (
    AllOption,
    JsonOption,
    LimitOption,
    delete_each,
    how_many,
    print_answer,
    print_list,
    print_result,
    show_fields,
)
from mlpforge.cli._common import (
    cell_text,
    client,
    err,
    fail,
    handle_errors,
    out,
    parse_params,
    print_json,
    table,
    when,
)
from mlpforge.cli.datasets import summary
from mlpforge.client import Client, HistoryEntry, Job

jobs_app = typer.Typer(help="List, show, follow, cancel and delete jobs.", no_args_is_help=True)


def _follow_to_end(job: Job, as_json: bool) -> None:
    """Show the job's live progress, then its end (exit 1 unless it succeeded)."""
    from mlpforge.cli import _follow  # Rich's live display: only when following

    with client() as api:
        try:
            final = _follow.follow(api, job, err())
        except KeyboardInterrupt:
            err().print(
                f"Stopped following; {job.id} goes on. "
                f"Cancel it with: mlpforge jobs cancel {job.id}"
            )
            raise typer.Exit(130) from None
    if as_json:
        print_json(final)
        if not final.succeeded:
            raise typer.Exit(1)
    elif final.succeeded:
        loss = cell_text(final.metrics.get("loss")) if final.metrics else "-"
        out().print(
            f"[green]{final.id} succeeded[/] after {final.epoch} epochs (loss {loss}); "
            f"model [bold]{final.model_id}[/]"
        )
    else:
        error = final.error or {}
        reason = f": {error.get('type', 'error')}: {error.get('message', '')}" if error else ""
        raise fail(f"job {final.id} {final.status}{reason}")


@handle_errors
def train(
    dataset: Annotated[
        str, typer.Argument(help="A dataset id, or a CSV/.npz file to upload first.")
    ],
    task: Annotated[
        str | None,
        typer.Option(help="classification or regression (default: from the target's kind)."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="A training parameter KEY=VALUE (VALUE read as JSON when it is), repeatable: "
            "-p hidden_layer_sizes=[64,32] -p learning_rate_init=0.01",
        ),
    ] = None,
    name: Annotated[str | None, typer.Option(help="The job's name.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu or gpu.")] = None,
    max_runtime_secs: Annotated[
        int | None, typer.Option("--max-runtime", help="Wall-clock limit in seconds.")
    ] = None,
    init_model: Annotated[
        str | None, typer.Option(help="Continue training from this model.")
    ] = None,
    test_dataset: Annotated[str | None, typer.Option(help="Also evaluate on this dataset.")] = None,
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="Target column, when DATASET is a CSV.")
    ] = None,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Submitting again with the same key gives the same job.")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Show live progress until the job ends.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the job id.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Start a training job (and with --follow, watch it to the end)."""
    params = parse_params(param or [])
    with client() as api:
        dataset_id = dataset
        if Path(dataset).is_file():
            uploaded = api.upload_dataset(dataset, target=target)
            err().print(f"Uploaded {uploaded.id} ({summary(uploaded)})")
            dataset_id = uploaded.id
        job = api.train(
            dataset_id,
            task,
            params,
            name=name,
            tags=tag or None,
            device=device,
            max_runtime_secs=max_runtime_secs,
            init_model_id=init_model,
            test_dataset_id=test_dataset,
            idempotency_key=idempotency_key,
        )
    if follow:
        _follow_to_end(job, as_json)
        return
    text = (
        f"Started [bold]{job.id}[/] ({job.status}); follow it with: mlpforge jobs follow {job.id}"
    )
    print_result(job, as_json, text, quiet=quiet)


@jobs_app.command("ls")
@handle_errors
def ls(
    status: Annotated[
        str | None, typer.Option(help="queued, running, succeeded, failed or cancelled.")
    ] = None,
    dataset: Annotated[str | None, typer.Option(help="Only jobs on this dataset.")] = None,
    tag: Annotated[str | None, typer.Option(help="Only jobs with this tag.")] = None,
    limit: LimitOption = 20,
    all_: AllOption = False,
    as_json: JsonOption = False,
) -> None:
    """List jobs, newest first."""
    with client() as api:
        listing = api.list_jobs(
            status=status, dataset_id=dataset, tag=tag, limit=how_many(limit, all_)
        )
        jobs = list(listing)
    print_list(
        jobs,
        as_json,
        empty="No jobs.",
        columns=["ID", "NAME", "STATUS", "TASK", "EPOCH", "LOSS", "MODEL", "CREATED"],
        row=lambda j: (
            j.id,
            j.name,
            j.status,
            j.task,
            j.epoch,
            (j.metrics or {}).get("loss"),
            j.model_id,
            when(j.created_at),
        ),
    )


@jobs_app.command("show")
@handle_errors
def show(job_id: str, as_json: JsonOption = False) -> None:
    """Show one job: status, progress, resolved params, latest metrics, evaluation."""
    print_answer(Client.get_job, job_id, as_json, show_fields(_fields))


def _fields(job: Job) -> list[tuple[str, object]]:
    error = job.error or {}
    return [
        ("id", job.id),
        ("name", job.name),
        ("status", job.status),
        ("progress", f"{job.progress:.0%} (epoch {job.epoch})"),
        ("task", job.task),
        ("dataset", job.dataset_id),
        ("device", job.device),
        ("tags", ", ".join(job.tags)),
        ("params", job.params),
        ("metrics", job.metrics),
        ("evaluation", job.evaluation),
        ("converged", job.converged),
        ("warnings", "; ".join(job.warnings)),
        ("model", job.model_id),
        ("error", f"{error.get('type')}: {error.get('message')}" if error else None),
        ("created", when(job.created_at)),
        ("started", when(job.started_at) if job.started_at else None),
        ("finished", when(job.finished_at) if job.finished_at else None),
    ]


@jobs_app.command("follow")
@handle_errors
def follow(job_id: str, as_json: JsonOption = False) -> None:
    """Show a job's live progress until it ends (exit 1 unless it succeeds)."""
    with client() as api:
        job = api.get_job(job_id)
    _follow_to_end(job, as_json)


@jobs_app.command("metrics")
@handle_errors
def metrics(job_id: str, as_json: JsonOption = False) -> None:
    """A job's per-epoch history."""
    print_answer(Client.job_metrics, job_id, as_json, _history_table)


def _history_table(history: list[HistoryEntry]) -> Table:
    return table(
        ["EPOCH", "LOSS", "VAL_LOSS", "VAL_SCORE", "LEARNING_RATE", "SECONDS"],
        [(e.epoch, e.loss, e.val_loss, e.val_score, e.learning_rate, e.seconds) for e in history],
    )


@jobs_app.command("cancel")
@handle_errors
def cancel(job_id: str, as_json: JsonOption = False) -> None:
    """Cancel a queued or running job."""
    print_answer(
        Client.cancel_job, job_id, as_json, lambda j: f"Cancelling {j.id} (now {j.status})"
    )


@jobs_app.command("rm")
@handle_errors
def rm(job_ids: Annotated[list[str], typer.Argument(help="Job ids.")]) -> None:
    """Delete finished jobs (their models stay)."""
    delete_each(job_ids, Client.delete_job)
