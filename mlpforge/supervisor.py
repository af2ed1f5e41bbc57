"""Keep a few child processes running: restart the ones that die, stop them all on request.

Written here rather than taken from supervisord or honcho: those are separate daemons with
their own configuration files, and `make run` must stay one foreground command that needs
nothing but the project's own venv.

Each child runs in a session of its own, so that
* a Ctrl-C typed at the terminal reaches the launcher only, which then stops the children in
  order (API, worker, Redis last, so nothing writes to a Redis that is already gone);
* a dead child's own children (a Celery pool process orphaned by a `kill -9` of its parent)
  are killed with it, before it is started again, so no orphan keeps training a job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field

# First restart after this many seconds, doubling up to the maximum; a child that stayed up
# for `STABLE_SECS` starts again from the first delay.
FIRST_BACKOFF_SECS = 1.0
MAX_BACKOFF_SECS = 30.0
STABLE_SECS = 60.0
# On stop: how long each child gets between SIGTERM and SIGKILL.
STOP_GRACE_SECS = 10.0
POLL_SECS = 0.2


@dataclass
class Child:
    name: str
    command: list[str]
    ready: Callable[[], bool] | None = None
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    failures_in_a_row: int = 0
    restart_at: float | None = field(default=None)

    @property
    def pid(self) -> int | None:
        return None if self.popen is None else self.popen.pid


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


def kill_group(pid: int, sig: int) -> None:
    """Signal the child's whole session (its process group: it leads one of its own)."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


class Supervisor:
    def __init__(self, say: Callable[[str], None]) -> None:
        self._say = say
        self.children: list[Child] = []
        self._stop_signal: int | None = None

    def add(self, child: Child) -> None:
        self.children.append(child)

    def _spawn(self, child: Child) -> None:
        child.popen = subprocess.Popen(child.command, start_new_session=True)
        child.started_at = time.monotonic()
        child.restart_at = None
        self._say(f"{child.name} started (pid {child.popen.pid})")

    def start_all(self) -> None:
        for child in self.children:
            if child.popen is None:
                self._spawn(child)

    def wait_ready(self, name: str, timeout: float) -> bool:
        child = next(c for c in self.children if c.name == name)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._stop_signal is None:
            if child.ready is None or child.ready():
                return True
            if child.popen is not None and child.popen.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def request_stop(self, signum: int) -> None:
        """Called from a signal handler: only note it; `run` does the stopping."""
        self._stop_signal = signum

    def _check(self, child: Child, now: float) -> None:
        assert child.popen is not None
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)
            return
        code = child.popen.poll()
        if code is None:
            return
        # Whatever the dead child left behind (a Celery pool process) goes with it.
        kill_group(child.popen.pid, signal.SIGKILL)
        uptime = now - child.started_at
        child.failures_in_a_row = 1 if uptime >= STABLE_SECS else child.failures_in_a_row + 1
        delay = min(MAX_BACKOFF_SECS, FIRST_BACKOFF_SECS * 2 ** (child.failures_in_a_row - 1))
        child.restart_at = now + delay
        self._say(
            f"{child.name} (pid {child.popen.pid}) {describe_exit(code)} after {uptime:.1f} s; "
            f"restarting it in {delay:g} s (restart #{child.restarts + 1})"
        )

    def run(self) -> None:
        """Supervise until `request_stop`; then stop every child."""
        while self._stop_signal is None:
            now = time.monotonic()
            for child in self.children:
                self._check(child, now)
            time.sleep(POLL_SECS)
        self._say(f"{signal.Signals(self._stop_signal).name} received: stopping")
        self.stop()

    def stop(self) -> None:
        """Stop the children in reverse order of starting, each with a grace period."""
        for child in reversed(self.children):
            popen = child.popen
            if popen is None:
                continue
            if popen.poll() is None:
                kill_group(popen.pid, signal.SIGTERM)
                try:
                    popen.wait(timeout=STOP_GRACE_SECS)
                except subprocess.TimeoutExpired:
                    self._say(f"{child.name} did not stop within {STOP_GRACE_SECS:g} s: killing it")
            kill_group(popen.pid, signal.SIGKILL)  # and anything it left behind
            with suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=5)
            self._say(f"{child.name} stopped")
