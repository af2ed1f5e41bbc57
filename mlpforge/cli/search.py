"""``mlpforge search``: start a hyper-parameter search, watch its trials in a live table, list,
show, cancel and delete searches."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from mlpforge.cli._commands import (
    JsonOption,
    QuietOption,
    delete_each,
    print_answer,
    print_list,
    print_result,
)
from mlpforge.cli._common import (
    client,
    err,
    fields_table,
    handle_errors,
    out,
    parse_params,
    table,
    when,
)
from mlpforge.client import Client, Search

search_app = typer.Typer(
    help="Hyper-parameter searches: grid, random, successive halving.", no_args_is_help=True
)

POLL_SECS = 1.0
LIVE_ROWS = 15


def parse_space(pairs: list[str]) -> dict[str, Any]:
    """``["alpha=[0.0001,0.01]", 'alpha={"low":1e-5,"high":0.1,"log":true}']`` → the space;
    ``name=a,b,c`` (not JSON) is the list of those values."""
    space: dict[str, Any] = {}
    for name, value in parse_params(pairs).items():
        if isinstance(value, str):
            value = [parse_params([f"v={item}"])["v"] for item in value.split(",")]
        if not isinstance(value, list | dict):
            value = [value]
        space[name] = value
    return space


def trials_table(search: Search, rows: int | None = None) -> Table:
    board = search.leaderboard[:rows] if rows else search.leaderboard
    names = sorted({name for entry in board for name in entry["params"]})
    halving = search.strategy == "halving"
    columns = ["#", *names, "OBJECTIVE", *(["RUNG"] if halving else []), "EPOCHS", "SECONDS",
               "STATUS", "JOB"]  # fmt: skip
    return table(
        columns,
        [
            (
                entry["rank"],
                *(entry["params"].get(name) for name in names),
                entry["objective"],
                *([entry["rung"]] if halving else []),
                entry["epochs"],
                entry["seconds"],
                entry["status"],
                entry["job_id"],
            )
            for entry in board
        ],
    )


def summary(search: Search) -> Text:
    counts = search.trials
    objective = search.objective or {}
    best = search.best_objective
    line = (
        f"{search.id}  {search.status}  {search.progress:.0%}  "
        f"{counts.get('succeeded', 0)} succeeded, {counts.get('failed', 0)} failed, "
        f"{counts.get('running', 0)} running, {counts.get('queued', 0)} queued "
        f"of {counts.get('planned', 0)} jobs  ·  {objective.get('metric')} "
        f"({objective.get('goal')})" + (f"  best {best:.4g}" if best is not None else "")
    )
    return Text(line)


def follow(api: Client, search: Search) -> Search:
    """Watch the search to its end: a live table on a terminal, one line per trial otherwise."""
    with _live_table() if sys.stderr.isatty() else _trial_lines() as show:
        while True:
            show(search)
            if search.finished:
                return search
            time.sleep(POLL_SECS)
            search = api.get_search(search.id)


@contextlib.contextmanager
def _live_table() -> Iterator[Callable[[Search], None]]:
    with Live(console=err(), refresh_per_second=4) as live:
        yield lambda search: live.update(Group(summary(search), trials_table(search, LIVE_ROWS)))


@contextlib.contextmanager
def _trial_lines() -> Iterator[Callable[[Search], None]]:
    seen: set[str] = set()

    def show(search: Search) -> None:
        for entry in search.leaderboard:
            if entry["job_id"] not in seen:
                seen.add(entry["job_id"])
                err().print(
                    f"trial {entry['candidate']} {entry['status']}: objective "
                    f"{entry['objective']} {json.dumps(entry['params'])}"
                )

    yield show


def outcome(search: Search) -> None:
    if search.status == "succeeded":
        out().print(
            f"[green]Search {search.id} succeeded[/]: best {search.best_objective:.4g} "
            f"with {json.dumps(search.best_params)}; model {search.best_model_id}"
        )
        return
    error = (search.error or {}).get("message") or ""
    out().print(f"[red]Search {search.id} {search.status}[/] {error}")
    raise typer.Exit(1)


@search_app.command("create")
@handle_errors
def create(
    dataset: Annotated[str, typer.Argument(help="The dataset id.")],
    space: Annotated[
        list[str] | None,
        typer.Option(
            "--space",
            "-s",
            help="A searched parameter NAME=VALUES, repeatable: -s alpha=[0.0001,0.01] "
            '-s activation=relu,tanh -s \'learning_rate_init={"low":1e-4,"high":0.1,"log":true}\'',
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A fixed training parameter KEY=VALUE, repeatable."),
    ] = None,
    strategy: Annotated[str, typer.Option(help="grid, random or halving.")] = "random",
    max_trials: Annotated[int | None, typer.Option(help="Candidates to try.")] = None,
    max_parallel: Annotated[int | None, typer.Option(help="Trials in flight at most.")] = None,
    metric: Annotated[str | None, typer.Option(help="The objective's metric.")] = None,
    goal: Annotated[str | None, typer.Option(help="maximize or minimize.")] = None,
    cv: Annotated[int | None, typer.Option(help="k-fold cross-validation.")] = None,
    random_state: Annotated[int | None, typer.Option(help="Seeds candidates and folds.")] = None,
    task: Annotated[str | None, typer.Option(help="classification or regression.")] = None,
    name: Annotated[str | None, typer.Option(help="The search's name.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag (repeatable).")] = None,
    body_file: Annotated[
        Path | None,
        typer.Option("--body", help="A JSON file holding the request (the options override it)."),
    ] = None,
    follow_: Annotated[
        bool, typer.Option("--follow", "-f", help="Watch its trials in a live table to the end.")
    ] = False,
    quiet: QuietOption = False,
    as_json: JsonOption = False,
) -> None:
    """Start a search (POST /v1/searches); each trial is a job on the workers."""
    body: dict[str, Any] = json.loads(body_file.read_text()) if body_file else {}
    given = {
        "dataset_id": dataset,
        "task": task,
        "strategy": strategy,
        "max_trials": max_trials,
        "max_parallel": max_parallel,
        "cv": cv,
        "random_state": random_state,
        "name": name,
        "tags": tag or None,
        "params": {**body.get("params", {}), **parse_params(param or [])} or None,
        "space": {**body.get("space", {}), **parse_space(space or [])} or None,
    }
    if metric or goal:
        given["objective"] = {k: v for k, v in {"metric": metric, "goal": goal}.items() if v}
    body.update({key: value for key, value in given.items() if value is not None})
    with client() as api:
        search = api.create_search(body)
        if follow_:
            search = follow(api, search)
    if follow_ and not (as_json or quiet):
        outcome(search)
        return
    text = (
        f"Started [bold]{search.id}[/] ({search.trials.get('planned')} jobs); watch it "
        f"with: mlpforge search show {search.id} --follow"
    )
    print_result(search, as_json, text, quiet=quiet)
    if follow_ and as_json and search.status != "succeeded":
        raise typer.Exit(1)


@search_app.command("ls")
@handle_errors
def ls(
    status: Annotated[str | None, typer.Option(help="queued, running, succeeded, ...")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """List searches, newest first."""
    with client() as api:
        found = [s for s in api.list_searches(limit=limit) if status in (None, s.status)]
    print_list(
        found,
        as_json,
        empty="No searches.",
        columns=["ID", "NAME", "STATUS", "STRATEGY", "PROGRESS", "BEST", "BEST MODEL", "CREATED"],
        row=lambda s: (
            s.id,
            s.name,
            s.status,
            s.strategy,
            f"{s.progress:.0%}",
            s.best_objective,
            s.best_model_id,
            when(s.created_at),
        ),
    )


@search_app.command("show")
@handle_errors
def show(
    search_id: str,
    follow_: Annotated[bool, typer.Option("--follow", "-f", help="Live, to the end.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Show a search: its status, counts and leaderboard (best first)."""
    with client() as api:
        search = api.get_search(search_id)
        if follow_:
            search = follow(api, search)
    fields = [
        ("id", search.id),
        ("name", search.name),
        ("status", search.status),
        ("strategy", search.strategy),
        ("objective", search.objective),
        ("trials", search.trials),
        ("best", search.best_objective),
        ("best params", search.best_params),
        ("best model", search.best_model_id),
        ("error", (search.error or {}).get("message")),
    ]
    print_result(search, as_json, fields_table(fields))
    if search.leaderboard and not as_json:
        out().print(trials_table(search))


@search_app.command("cancel")
@handle_errors
def cancel(search_id: str, as_json: JsonOption = False) -> None:
    """Cancel a search: its queued and running trials, and those not started."""
    print_answer(
        Client.cancel_search, search_id, as_json, lambda s: f"Cancelling {s.id} ({s.status})"
    )


@search_app.command("rm")
@handle_errors
def rm(search_ids: Annotated[list[str], typer.Argument(help="Search ids.")]) -> None:
    """Delete finished searches with their trial jobs (their models stay)."""
    delete_each(search_ids, Client.delete_search, console=out)
