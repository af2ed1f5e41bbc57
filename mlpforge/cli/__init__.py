"""The ``mlpforge`` command: the API from a shell, each command a thin layer over the client.

    mlpforge datasets upload iris.csv --target species
    mlpforge train ds_... --param hidden_layer_sizes=[64,32] --param max_iter=50 --follow
    mlpforge predict mdl_... new_rows.csv -o predictions.csv

The server is ``--url`` (or ``$MLPFORGE_URL``, default http://127.0.0.1:8000), the key
``--api-key`` (or ``$MLPFORGE_API_KEY``). Errors print the problem's detail in red and exit 1;
``--json`` prints what the API answered, for scripts. One module per resource: ``datasets``,
``jobs`` (with ``train``), ``models`` (with ``predict``), ``search``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mlpforge import __version__
from mlpforge.cli._commands import JsonOption, print_result
from mlpforge.cli._common import client, fields_table, handle_errors, state
from mlpforge.cli.datasets import datasets_app
from mlpforge.cli.jobs import jobs_app, train
from mlpforge.cli.models import models_app, predict
from mlpforge.cli.search import search_app
from mlpforge.client._calls import DEFAULT_URL

app = typer.Typer(
    name="mlpforge",
    help="Train and serve scikit-learn-style MLPs on an mlpforge server.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
app.add_typer(datasets_app, name="datasets")
app.add_typer(jobs_app, name="jobs")
app.add_typer(models_app, name="models")
app.add_typer(search_app, name="search")


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


app.command("train")(train)
app.command("predict")(predict)


@app.command("status")
@handle_errors
def status(as_json: JsonOption = False) -> None:
    """The server's readiness: Redis and live workers per queue (exit 1 when not ready)."""
    with client() as api:
        ready = api.readiness()
    fields = [
        ("server", state.url),
        ("ready", "yes" if ready.ready else "no"),
        ("redis", ready.redis),
        ("workers", ready.workers),
        ("queues", ready.queues),
    ]
    print_result(ready, as_json, fields_table(fields))
    if not ready.ready:
        raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    app()
