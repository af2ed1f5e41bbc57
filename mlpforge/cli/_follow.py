"""``--follow``: a job's progress, live, from its event stream (polling if streams are refused).

On a terminal it is a Rich progress bar (epoch/max_iter, loss, validation score, ETA); piped
into a file or a CI log it is one plain line per epoch at most once a second (and the last).
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from mlpforge.client import (
    ApiConnectionError,
    Client,
    HistoryEntry,
    Job,
    NotFoundError,
    RateLimitError,
    ServerError,
)

LINE_EVERY_SECS = 1.0
POLL_SECS = 1.0


def stats_text(metrics: HistoryEntry | dict[str, Any] | None) -> str:
    if metrics is None:
        return ""
    values = metrics.to_dict() if isinstance(metrics, HistoryEntry) else metrics
    parts = []
    for key, label in (("loss", "loss"), ("val_loss", "val_loss"), ("val_score", "val_score")):
        value = values.get(key)
        if isinstance(value, int | float):
            parts.append(f"{label} {value:.4f}")
    return "  ".join(parts)


class _Reporter:
    def __init__(self, job: Job, console: Console) -> None:
        self.job = job
        self.console = console
        max_iter = job.params.get("max_iter")
        self.total = int(max_iter) if isinstance(max_iter, int) and max_iter > 0 else None

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None

    def update(self, epoch: int, metrics: HistoryEntry | dict[str, Any] | None) -> None:
        raise NotImplementedError

    def finish(self, job: Job) -> None:
        raise NotImplementedError


class _Bar(_Reporter):
    def __init__(self, job: Job, console: Console) -> None:
        super().__init__(job, console)
        self.progress = Progress(
            TextColumn("[bold]{task.description:>9}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("epochs"),
            TextColumn("{task.fields[stats]}"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
        )
        console.print(f"Following [bold]{job.id}[/] (Ctrl-C stops following, not the job)")
        self.task = self.progress.add_task(job.status, total=self.total, stats="")

    def start(self) -> None:
        self.progress.start()

    def stop(self) -> None:
        self.progress.stop()

    def update(self, epoch: int, metrics: HistoryEntry | dict[str, Any] | None) -> None:
        self.progress.update(
            self.task,
            completed=epoch,
            description="running",
            stats=stats_text(metrics),
        )

    def finish(self, job: Job) -> None:
        if job.succeeded:  # also when it stopped early: a full bar
            self.progress.update(self.task, total=job.epoch, completed=job.epoch)
        self.progress.update(
            self.task,
            description=job.status,
            stats=stats_text(job.metrics) or self.progress.tasks[0].fields.get("stats", ""),
        )


class _Lines(_Reporter):
    def __init__(self, job: Job, console: Console) -> None:
        super().__init__(job, console)
        self.last_print = 0.0
        self.pending: str | None = None

    def _line(self, epoch: int, metrics: HistoryEntry | dict[str, Any] | None) -> str:
        of = f"/{self.total}" if self.total else ""
        return f"{self.job.id} epoch {epoch}{of}  {stats_text(metrics)}".rstrip()

    def update(self, epoch: int, metrics: HistoryEntry | dict[str, Any] | None) -> None:
        line = self._line(epoch, metrics)
        now = time.monotonic()
        if now - self.last_print >= LINE_EVERY_SECS:
            self.console.print(line)
            self.last_print, self.pending = now, None
        else:
            self.pending = line

    def finish(self, job: Job) -> None:
        if self.pending is not None:
            self.console.print(self.pending)
            self.pending = None


def follow(client: Client, job: Job, console: Console) -> Job:
    """Show the job's progress until it finishes; returns its final body."""
    reporter: _Reporter = _Bar(job, console) if console.is_terminal else _Lines(job, console)
    if not console.is_terminal:
        console.print(f"{job.id} {job.status}")
    reporter.start()
    try:
        final = _watch(client, job, reporter)
        reporter.finish(final)
    finally:
        reporter.stop()
    return final


def _watch(client: Client, job: Job, reporter: _Reporter) -> Job:
    """The finished job, reporting each epoch: from its event stream, else by polling."""
    final: Job | None = None
    try:
        for event in client.events(job.id):
            entry = event.entry
            if entry is not None:
                reporter.update(entry.epoch, entry)
            elif event.final:
                final = event.job
    except (RateLimitError, ServerError, ApiConnectionError, NotFoundError):
        final = None  # no stream: poll instead (a missing job raises from get_job)
    while final is None or not final.finished:
        final = client.get_job(job.id)
        if final.finished:
            break
        reporter.update(final.epoch, final.metrics)
        time.sleep(POLL_SECS)
    return final
