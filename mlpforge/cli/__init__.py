"""The ``mlpforge`` command: the API from a shell, each command a thin layer over the client.

    mlpforge datasets upload iris.csv --target species
    mlpforge train ds_... --param hidden_layer_sizes=[64,32] --param max_iter=50 --follow
    mlpforge predict mdl_... new_rows.csv -o predictions.csv

The server is ``--url`` (or ``$MLPFORGE_URL``, default http://127.0.0.1:8000), the key
``--api-key`` (or ``$MLPFORGE_API_KEY``). Errors print the problem's detail in red and exit 1;
``--json`` prints what the API answered, for scripts.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlpforge import __version__
from mlpforge.cli._common import (
    cell_text,
    client,
    err,
    fail,
    fields_table,
    handle_errors,
    out,
    parse_params,
    print_json,
    state,
    table,
    when,
)
from mlpforge.cli.search import search_app
from mlpforge.client import Dataset, Job, Model
from mlpforge.client._calls import DEFAULT_URL

app = typer.Typer(
    name="mlpforge",
    help="Train and serve scikit-learn-style MLPs on an mlpforge server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
datasets_app = typer.Typer(help="Upload, list, show and delete datasets.", no_args_is_help=True)
jobs_app = typer.Typer(help="List, show, follow, cancel and delete jobs.", no_args_is_help=True)
models_app = typer.Typer(help="List, show, export and delete models.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")
app.add_typer(jobs_app, name="jobs")
app.add_typer(models_app, name="models")
app.add_typer(search_app, name="search")

JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON answer.")]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, help="How many to list.")]
AllOption = Annotated[bool, typer.Option("--all", help="List all (follow every page).")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mlpforge {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    url: Annotated[
        str, typer.Option(envvar="MLPFORGE_URL", help="The server's base URL.")
    ] = DEFAULT_URL,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="MLPFORGE_API_KEY", help="API key (sent as a Bearer token)."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each request.")] = 60.0,
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """Train and serve scikit-learn-style MLPs on an mlpforge server."""
    state.url, state.api_key, state.timeout = url, api_key or None, timeout


# ------------------------------------------------------------------------------------ datasets


def _dataset_summary(dataset: Dataset) -> str:
    kind = f"{dataset.target_kind or '?'} target"
    if dataset.classes is not None:
        kind += f" ({len(dataset.classes)} classes)"
    return f"{dataset.n_samples} rows × {dataset.n_features} features, {kind}"


@datasets_app.command("upload")
@handle_errors
def datasets_upload(
    file: Annotated[Path, typer.Argument(help="A CSV file with a header row, or an .npz file.")],
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="CSV target column (default: the last).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="The dataset's name (default: file name).")
    ] = None,
    weights: Annotated[str | None, typer.Option(help="CSV column of per-row weights.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the id.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Upload a dataset file."""
    if not file.is_file():
        raise ValueError(f"{file}: no such file")
    with client() as api:
        dataset = api.upload_dataset(file, target=target, name=name, weights=weights)
    if as_json:
        print_json(dataset)
    elif quiet:
        print(dataset.id)
    else:
        out().print(f"Uploaded [bold]{dataset.id}[/] ({_dataset_summary(dataset)})")


@datasets_app.command("ls")
@handle_errors
def datasets_ls(
    limit: LimitOption = 20, all_: AllOption = False, as_json: JsonOption = False
) -> None:
    """List datasets, newest first."""
    with client() as api:
        datasets = list(api.list_datasets(limit=None if all_ else limit))
    if as_json:
        print_json(datasets)
        return
    if not datasets:
        err().print("No datasets.")
        return
    out().print(
        table(
            ["ID", "NAME", "ROWS", "FEATURES", "TARGET", "CREATED"],
            [
                (d.id, d.name, d.n_samples, d.n_features, d.target_kind, when(d.created_at))
                for d in datasets
            ],
        )
    )


@datasets_app.command("show")
@handle_errors
def datasets_show(dataset_id: str, as_json: JsonOption = False) -> None:
    """Show one dataset."""
    with client() as api:
        dataset = api.get_dataset(dataset_id)
    if as_json:
        print_json(dataset)
        return
    out().print(
        fields_table(
            [
                ("id", dataset.id),
                ("name", dataset.name),
                ("rows", dataset.n_samples),
                ("features", dataset.n_features),
                ("feature names", ", ".join(dataset.feature_names)),
                ("target", dataset.target_name),
                ("target kind", dataset.target_kind),
                ("classes", dataset.classes),
                ("sha256", dataset.sha256),
                ("created", when(dataset.created_at)),
            ]
        )
    )


@datasets_app.command("preview")
@handle_errors
def datasets_preview(dataset_id: str, as_json: JsonOption = False) -> None:
    """Show a dataset's first rows and per-column statistics (if the server has them)."""
    with client() as api:
        preview = api.dataset_preview(dataset_id)
    if preview is None:
        raise fail("this server has no dataset preview (GET /v1/datasets/{id}/preview)")
    if as_json:
        print_json(preview)
    else:
        out().print(fields_table(preview.items()))


@datasets_app.command("rm")
@handle_errors
def datasets_rm(dataset_ids: Annotated[list[str], typer.Argument(help="Dataset ids.")]) -> None:
    """Delete datasets."""
    with client() as api:
        for dataset_id in dataset_ids:
            api.delete_dataset(dataset_id)
            err().print(f"Deleted {dataset_id}")


# ------------------------------------------------------------------------------------ training


def _job_outcome(job: Job) -> None:
    """The final line of a followed job; exit 1 unless it succeeded."""
    if job.succeeded:
        metrics = cell_text(job.metrics.get("loss")) if job.metrics else "-"
        out().print(
            f"[green]{job.id} succeeded[/] after {job.epoch} epochs (loss {metrics}); "
            f"model [bold]{job.model_id}[/]"
        )
        return
    error = job.error or {}
    reason = f": {error.get('type', 'error')}: {error.get('message', '')}" if error else ""
    raise fail(f"job {job.id} {job.status}{reason}")


def _follow(api_job: Job) -> Job:
    from mlpforge.cli._follow import follow

    with client() as api:
        try:
            return follow(api, api_job, err())
        except KeyboardInterrupt:
            err().print(
                f"Stopped following; {api_job.id} goes on. "
                f"Cancel it with: mlpforge jobs cancel {api_job.id}"
            )
            raise typer.Exit(130) from None


@app.command("train")
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
            err().print(f"Uploaded {uploaded.id} ({_dataset_summary(uploaded)})")
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
    if not follow:
        if as_json:
            print_json(job)
        elif quiet:
            print(job.id)
        else:
            out().print(
                f"Started [bold]{job.id}[/] ({job.status}); follow it with: "
                f"mlpforge jobs follow {job.id}"
            )
        return
    final = _follow(job)
    if as_json:
        print_json(final)
        if not final.succeeded:
            raise typer.Exit(1)
    else:
        _job_outcome(final)


# ------------------------------------------------------------------------------------ jobs


@jobs_app.command("ls")
@handle_errors
def jobs_ls(
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
        jobs = list(
            api.list_jobs(status=status, dataset_id=dataset, tag=tag, limit=None if all_ else limit)
        )
    if as_json:
        print_json(jobs)
        return
    if not jobs:
        err().print("No jobs.")
        return
    out().print(
        table(
            ["ID", "NAME", "STATUS", "TASK", "EPOCH", "LOSS", "MODEL", "CREATED"],
            [
                (
                    j.id,
                    j.name,
                    j.status,
                    j.task,
                    j.epoch,
                    (j.metrics or {}).get("loss"),
                    j.model_id,
                    when(j.created_at),
                )
                for j in jobs
            ],
        )
    )


@jobs_app.command("show")
@handle_errors
def jobs_show(job_id: str, as_json: JsonOption = False) -> None:
    """Show one job: status, progress, resolved params, latest metrics, evaluation."""
    with client() as api:
        job = api.get_job(job_id)
    if as_json:
        print_json(job)
        return
    error = job.error or {}
    out().print(
        fields_table(
            [
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
        )
    )


@jobs_app.command("follow")
@handle_errors
def jobs_follow(job_id: str, as_json: JsonOption = False) -> None:
    """Show a job's live progress until it ends (exit 1 unless it succeeds)."""
    with client() as api:
        job = api.get_job(job_id)
    final = _follow(job)
    if as_json:
        print_json(final)
        if not final.succeeded:
            raise typer.Exit(1)
    else:
        _job_outcome(final)


@jobs_app.command("metrics")
@handle_errors
def jobs_metrics(job_id: str, as_json: JsonOption = False) -> None:
    """A job's per-epoch history."""
    with client() as api:
        history = api.job_metrics(job_id)
    if as_json:
        print_json(history)
        return
    out().print(
        table(
            ["EPOCH", "LOSS", "VAL_LOSS", "VAL_SCORE", "LEARNING_RATE", "SECONDS"],
            [
                (e.epoch, e.loss, e.val_loss, e.val_score, e.learning_rate, e.seconds)
                for e in history
            ],
        )
    )


@jobs_app.command("cancel")
@handle_errors
def jobs_cancel(job_id: str, as_json: JsonOption = False) -> None:
    """Cancel a queued or running job."""
    with client() as api:
        job = api.cancel_job(job_id)
    if as_json:
        print_json(job)
    else:
        out().print(f"Cancelling {job.id} (now {job.status})")


@jobs_app.command("rm")
@handle_errors
def jobs_rm(job_ids: Annotated[list[str], typer.Argument(help="Job ids.")]) -> None:
    """Delete finished jobs (their models stay)."""
    with client() as api:
        for job_id in job_ids:
            api.delete_job(job_id)
            err().print(f"Deleted {job_id}")


# ------------------------------------------------------------------------------------ models


@models_app.command("ls")
@handle_errors
def models_ls(
    limit: LimitOption = 20, all_: AllOption = False, as_json: JsonOption = False
) -> None:
    """List models, newest first."""
    with client() as api:
        models = list(api.list_models(limit=None if all_ else limit))
    if as_json:
        print_json(models)
        return
    if not models:
        err().print("No models.")
        return
    out().print(
        table(
            ["ID", "TASK", "FEATURES", "LAYERS", "PARAMETERS", "JOB", "CREATED"],
            [
                (
                    m.id,
                    m.task,
                    m.n_features,
                    m.hidden_layer_sizes,
                    m.n_parameters,
                    m.job_id,
                    when(m.created_at),
                )
                for m in models
            ],
        )
    )


def _model_fields(model: Model) -> list[tuple[str, object]]:
    return [
        ("id", model.id),
        ("task", model.task),
        ("job", model.job_id),
        ("dataset", model.dataset_id),
        ("features", model.n_features),
        ("feature names", ", ".join(model.feature_names or [])),
        ("classes", model.classes),
        ("hidden layers", model.hidden_layer_sizes),
        ("activation", model.activation),
        ("parameters", model.n_parameters),
        ("metrics", model.metrics),
        ("created", when(model.created_at)),
    ]


@models_app.command("show")
@handle_errors
def models_show(model_id: str, as_json: JsonOption = False) -> None:
    """Show one model."""
    with client() as api:
        model = api.get_model(model_id)
    if as_json:
        print_json(model)
    else:
        out().print(fields_table(_model_fields(model)))


@models_app.command("export")
@handle_errors
def models_export(
    model_id: str,
    format: Annotated[
        str, typer.Option("--format", "-F", help="safetensors, onnx or skops.")
    ] = "safetensors",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File or folder (default: ./MODEL_ID.FORMAT)."),
    ] = None,
) -> None:
    """Download a model as a file."""
    with client() as api:
        path = api.export(model_id, format, path=output if output is not None else Path.cwd())
    err().print(f"Wrote {path} ({path.stat().st_size:,} bytes)")


@models_app.command("rm")
@handle_errors
def models_rm(model_ids: Annotated[list[str], typer.Argument(help="Model ids.")]) -> None:
    """Delete models."""
    with client() as api:
        for model_id in model_ids:
            api.delete_model(model_id)
            err().print(f"Deleted {model_id}")


# ------------------------------------------------------------------------------------ predict


@app.command("predict")
@handle_errors
def predict(
    model_id: Annotated[str, typer.Argument(help="The model's id.")],
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV of rows: a header row of the model's feature names, or just numbers. "
            "'-' reads standard input."
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV to write (default: stdout).")
    ] = None,
) -> None:
    """Predict the rows of a CSV file into a CSV: 'prediction' (+ 'probability_<class>')."""
    from mlpforge.cli._csv import read_features, write_predictions

    text = sys.stdin.read() if str(file) == "-" else file.read_text()
    with client() as api:
        model = api.get_model(model_id)
        X = read_features(text, model)
        prediction = api.predict_full(model.id, X)
    if output is None:
        write_predictions(prediction, sys.stdout)
        return
    with output.open("w", newline="") as stream:
        rows = write_predictions(prediction, stream)
    err().print(f"Wrote {rows} predictions to {output}")


# ------------------------------------------------------------------------------------ status


@app.command("status")
@handle_errors
def status(as_json: JsonOption = False) -> None:
    """The server's readiness: Redis and live workers per queue (exit 1 when not ready)."""
    with client() as api:
        ready = api.readiness()
    if as_json:
        print_json(ready)
    else:
        out().print(
            fields_table(
                [
                    ("server", state.url),
                    ("ready", "yes" if ready.ready else "no"),
                    ("redis", ready.redis),
                    ("workers", ready.workers),
                    ("queues", ready.queues),
                ]
            )
        )
    if not ready.ready:
        raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    app()
