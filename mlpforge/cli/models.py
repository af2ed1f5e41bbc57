"""``mlpforge models`` and ``mlpforge predict``: list, show, export and delete models, and
predict the rows of a CSV file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mlpforge.cli._commands import (
    AllOption,
    JsonOption,
    LimitOption,
    delete_each,
    how_many,
    print_answer,
    print_list,
    show_fields,
)
from mlpforge.cli._common import client, err, handle_errors, when
from mlpforge.client import Client, Model

models_app = typer.Typer(help="List, show, export and delete models.", no_args_is_help=True)


@models_app.command("ls")
@handle_errors
def ls(limit: LimitOption = 20, all_: AllOption = False, as_json: JsonOption = False) -> None:
    """List models, newest first."""
    with client() as api:
        models = list(api.list_models(limit=how_many(limit, all_)))
    print_list(
        models,
        as_json,
        empty="No models.",
        columns=["ID", "TASK", "FEATURES", "LAYERS", "PARAMETERS", "JOB", "CREATED"],
        row=lambda m: (
            m.id,
            m.task,
            m.n_features,
            m.hidden_layer_sizes,
            m.n_parameters,
            m.job_id,
            when(m.created_at),
        ),
    )


@models_app.command("show")
@handle_errors
def show(model_id: str, as_json: JsonOption = False) -> None:
    """Show one model."""
    print_answer(Client.get_model, model_id, as_json, show_fields(_fields))


def _fields(model: Model) -> list[tuple[str, object]]:
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


@models_app.command("export")
@handle_errors
def export(
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
def rm(model_ids: Annotated[list[str], typer.Argument(help="Model ids.")]) -> None:
    """Delete models."""
    delete_each(model_ids, Client.delete_model)


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
