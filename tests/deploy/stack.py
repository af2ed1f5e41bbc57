"""The compose services run as local processes: each with the command line and the
environment its container would get, changed only where a container and this machine must
differ (the Redis address, free ports, loopback instead of 0.0.0.0), and the healthchecks run
as Docker would run them."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / ".run" / "test-logs"
VENV_BIN = Path(sys.executable).parent
# Where the image's virtualenv lives (Dockerfile); on this machine, the test suite's.
IMAGE_VENV_BIN = "/opt/venv/bin"
# Variables of the developer's shell that must not leak into a "container".
_FOREIGN = re.compile(r"^(MLPFORGE_|FLOWER_|REDIS|CELERY_|HOST$|PORT$)")


def duration_secs(text: str) -> float:
    """A compose/Dockerfile duration: ``5s``, ``1m30s``, ``500ms``."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text)
    assert parts and "".join(a + b for a, b in parts) == text, text
    return sum(float(amount) * units[unit] for amount, unit in parts)


def process_environment(image_env: Mapping[str, str], container_env: Mapping[str, str]) -> dict:
    """This machine's environment less anything that configures mlpforge, then the image's
    ENV (its virtualenv on PATH), then what compose gives the container."""
    env = {key: value for key, value in os.environ.items() if not _FOREIGN.match(key)}
    for key, value in image_env.items():
        if key == "PATH":
            value = value.replace(IMAGE_VENV_BIN, str(VENV_BIN)).replace("$PATH", env["PATH"])
        env[key] = value
    env.update(container_env)
    return env


def resolve(argv: list[str], env: Mapping[str, str]) -> list[str]:
    """argv with its program found on the environment's PATH, as the container would."""
    program = shutil.which(argv[0], path=env.get("PATH"))
    assert program is not None, f"{argv[0]} is not on PATH"
    return [program, *argv[1:]]


class Service:
    """One service's process: its own session (a stop reaches its children), its output in
    .run/test-logs/, its working directory an empty folder like the image's WORKDIR."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], cwd: Path) -> None:
        LOGS.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = LOGS / f"compose-{name}-{os.getpid()}-{time.monotonic_ns()}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            resolve(argv, env),
            cwd=cwd,
            env=dict(env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.alive():
            os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        self._log.close()


def healthcheck_argv(test: list[str]) -> list[str]:
    """A healthcheck's ``test`` (compose) or HEALTHCHECK CMD (exec form) as an argv."""
    if test[0] == "CMD":
        return list(test[1:])
    if test[0] == "CMD-SHELL":
        return ["sh", "-c", test[1]]
    return list(test)  # a Dockerfile's exec form


def run_healthcheck(
    argv: list[str], env: Mapping[str, str], cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        resolve(argv, env), env=dict(env), cwd=cwd, capture_output=True, text=True,
        timeout=timeout + 5,
    )  # fmt: skip


def wait_until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def replace_arg(argv: list[str], flag: str, expected: str, value: str) -> list[str]:
    """argv with the value after ``flag`` (which must be ``expected``) replaced."""
    at = argv.index(flag) + 1
    assert argv[at] == expected, f"{flag} {argv[at]!r}, expected {expected!r}"
    return [*argv[:at], value, *argv[at + 1 :]]
