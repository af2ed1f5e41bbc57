"""What the commands of every resource share: the ``--json``, ``--limit``, ``--all`` and
``--quiet`` options; printing a listing, one answer, or a deletion of several ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console, RenderableType
from rich.table import Table

from mlpforge.cli._common import client, err, fields_table, out, print_json, table
from mlpforge.client import Client, Identified

R = TypeVar("R")

JsonOption = Annotated[bool, typer.Option("--json", help="Print the API's JSON answer.")]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, help="How many to list.")]
AllOption = Annotated[bool, typer.Option("--all", help="List all (follow every page).")]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the id.")]


def how_many(limit: int, all_: bool) -> int | None:
    """The ``limit=`` of a listing: None (every page) with ``--all``."""
    return None if all_ else limit


def print_list(
    items: Sequence[R],
    as_json: bool,
    *,
    empty: str,
    columns: Sequence[str],
    row: Callable[[R], Sequence[Any]],
) -> None:
    """A listing: its JSON, a table of one ``row`` per item, or ``empty`` (on stderr)."""
    if as_json:
        print_json(items)
    elif not items:
        err().print(empty)
    else:
        out().print(table(columns, [row(item) for item in items]))


def print_result(result: Any, as_json: bool, text: RenderableType, *, quiet: bool = False) -> None:
    """What a command answered: its JSON, only its id (``quiet``), or ``text`` for people."""
    if as_json:
        print_json(result)
    elif quiet:
        print(result.id)
    else:
        out().print(text)


def print_answer(
    request: Callable[[Client, str], R],
    resource_id: str,
    as_json: bool,
    text: Callable[[R], RenderableType],
) -> None:
    """Make one request about a resource and print the answer: its JSON, or ``text`` of it."""
    with client() as api:
        answer = request(api, resource_id)
    print_result(answer, as_json, text(answer))


def show_fields(fields: Callable[[R], Iterable[tuple[str, Any]]]) -> Callable[[R], Table]:
    """``text`` for :func:`print_answer`: a resource as a table of its ``fields``."""
    return lambda resource: fields_table(fields(resource))


def delete_each(
    ids: Iterable[str],
    delete: Callable[[Client, str | Identified], None],
    console: Callable[[], Console] = err,
) -> None:
    """Delete each id in turn, saying so; the first error stops the rest."""
    with client() as api:
        for resource_id in ids:
            delete(api, resource_id)
            console().print(f"Deleted {resource_id}")
