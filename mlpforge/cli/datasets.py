"""``mlpforge datasets``: upload, list, show, preview and delete datasets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mlpforge.cli._commands import (
    AllOption,
    JsonOption,
    LimitOption,
    QuietOption,
    delete_each,
    how_many,
    print_answer,
    print_list,
    print_result,
    show_fields,
)
from mlpforge.cli._common import client, fail, fields_table, handle_errors, when
from mlpforge.client import Client, Dataset

datasets_app = typer.Typer(help="Upload, list, show and delete datasets.", no_args_is_help=True)


def summary(dataset: Dataset) -> str:
    kind = f"{dataset.target_kind or '?'} target"
    if dataset.classes is not None:
        kind += f" ({len(dataset.classes)} classes)"
    return f"{dataset.n_samples} rows × {dataset.n_features} features, {kind}"


@datasets_app.command("upload")
@handle_errors
def upload(
    file: Annotated[Path, typer.Argument(help="A CSV file with a header row, or an .npz file.")],
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="CSV target column (default: the last).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="The dataset's name (default: file name).")
    ] = None,
    weights: Annotated[str | None, typer.Option(help="CSV column of per-row weights.")] = None,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Upload a dataset file."""
    if not file.is_file():
        raise ValueError(f"{file}: no such file")
    with client() as api:
        dataset = api.upload_dataset(file, target=target, name=name, weights=weights)
    text = f"Uploaded [bold]{dataset.id}[/] ({summary(dataset)})"
    print_result(dataset, as_json, text, quiet=quiet)


@datasets_app.command("ls")
@handle_errors
def ls(limit: LimitOption = 20, all_: AllOption = False, as_json: JsonOption = False) -> None:
    """List datasets, newest first."""
    with client() as api:
        datasets = list(api.list_datasets(limit=how_many(limit, all_)))
    print_list(
        datasets,
        as_json,
        empty="No datasets.",
        columns=["ID", "NAME", "ROWS", "FEATURES", "TARGET", "CREATED"],
        row=lambda d: (d.id, d.name, d.n_samples, d.n_features, d.target_kind, when(d.created_at)),
    )


@datasets_app.command("show")
@handle_errors
def show(dataset_id: str, as_json: JsonOption = False) -> None:
    """Show one dataset."""
    print_answer(Client.get_dataset, dataset_id, as_json, show_fields(_fields))


def _fields(dataset: Dataset) -> list[tuple[str, object]]:
    return [
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


@datasets_app.command("preview")
@handle_errors
def preview(dataset_id: str, as_json: JsonOption = False) -> None:
    """Show a dataset's first rows and per-column statistics (if the server has them)."""
    with client() as api:
        found = api.dataset_preview(dataset_id)
    if found is None:
        raise fail("this server has no dataset preview (GET /v1/datasets/{id}/preview)")
    print_result(found, as_json, fields_table(found.items()))


@datasets_app.command("rm")
@handle_errors
def rm(dataset_ids: Annotated[list[str], typer.Argument(help="Dataset ids.")]) -> None:
    """Delete datasets."""
    delete_each(dataset_ids, Client.delete_dataset)
