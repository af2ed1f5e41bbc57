"""What every command shares: the client, the consoles, error reporting, output helpers."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mlpforge.client import ApiConnectionError, ApiError, Client, MlpforgeError, Resource

P = ParamSpec("P")
T = TypeVar("T")

# Rich wraps tables to the terminal; piped output gets room enough for ids not to be cut.
_PIPE_WIDTH = 200


def _console(stderr: bool) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    return Console(
        stderr=stderr,
        highlight=False,
        width=None if stream.isatty() else _PIPE_WIDTH,
        soft_wrap=False,
    )


@dataclass
class State:
    url: str | None = None
    api_key: str | None = None
    timeout: float = 60.0


state = State()


def client() -> Client:
    return Client(state.url, state.api_key, timeout=state.timeout)


def out() -> Console:
    """Results: stdout."""
    return _console(stderr=False)


def err() -> Console:
    """Messages, progress and errors: stderr, so that stdout stays parseable."""
    return _console(stderr=True)


def fail(message: str, *, details: Iterable[str] = (), code: int = 1) -> typer.Exit:
    console = err()
    console.print(f"[bold red]Error:[/] [red]{escape(message)}[/]")
    for line in details:
        console.print(f"  [red]{escape(line)}[/]")
    return typer.Exit(code)


def handle_errors(command: Callable[P, T]) -> Callable[P, T]:
    """Turn the client's exceptions (and bad local input) into a red message and exit 1."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return command(*args, **kwargs)
        except ApiError as error:
            head = f"{error.status} {error.title}".strip()
            details = [f"{loc}: {msg}" if loc else msg for loc, msg in error.error_lines()]
            raise fail(
                f"{error.detail} ({head})" if error.detail else head,
                details=[] if details == [error.detail] else details,
            ) from None
        except ApiConnectionError as error:
            raise fail(
                str(error),
                details=["is the server running? Point --url or MLPFORGE_URL at it."],
            ) from None
        except MlpforgeError as error:
            raise fail(str(error)) from None
        except BrokenPipeError:
            # Piped into `head` and the like: stop quietly, as a command killed by SIGPIPE.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(141) from None
        except (OSError, ValueError, TypeError) as error:
            # Local input: a missing file, a malformed CSV or --param.
            raise fail(str(error)) from None

    return run


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(_plain(data), indent=2, default=str) + "\n")


def _plain(data: Any) -> Any:
    if isinstance(data, Resource):
        return data.to_dict()
    if isinstance(data, list | tuple):
        return [_plain(item) for item in data]
    return data


def parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    """``["hidden_layer_sizes=[64,32]", "activation=relu"]`` → a dict; each value is read as
    JSON when it is JSON (numbers, lists, true/false/null), else kept as a string."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--param {pair!r}: expected KEY=VALUE, e.g. max_iter=50")
        try:
            params[key] = json.loads(raw)
        except ValueError:
            params[key] = raw
    return params


def table(
    columns: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str | None = None
) -> Table:
    grid = Table(title=title, show_edge=False, header_style="bold", pad_edge=False, box=None)
    for index, column in enumerate(columns):
        grid.add_column(column, no_wrap=index == 0, overflow="fold")
    for row in rows:
        grid.add_row(*(escape(cell_text(cell)) for cell in row))
    return grid


def fields_table(items: Iterable[tuple[str, Any]]) -> Table:
    grid = Table(show_header=False, show_edge=False, box=None, pad_edge=False)
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in items:
        if value is None or value == [] or value == {} or value == "":
            continue
        grid.add_row(name, escape(cell_text(value)))
    return grid


def cell_text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(", ", ": "), default=str)
    return str(value)


def when(timestamp: str | None) -> str:
    """An ISO timestamp, to the second and without the offset."""
    if not timestamp:
        return "-"
    return timestamp.replace("T", " ")[:19]
