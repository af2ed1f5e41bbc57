"""The client and the command line against the real stack: uvicorn, a Celery worker, Redis."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from mlpforge.client import Client
from tests.processes import ROOT, Process

MLPFORGE = ROOT / ".venv" / "bin" / "mlpforge"


@pytest.fixture
def key(api_keys: dict[str, str]) -> str:
    return api_keys["alice"]


@pytest.fixture
def client(api_server: str, key: str, worker: Process) -> Iterator[Client]:
    with Client(api_server, key, timeout=30) as client:
        yield client


def blobs(n: int = 90, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three well-separated clusters with string labels: learned in a few epochs."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0, 4.0], [4.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
    labels = rng.integers(0, 3, size=n)
    X = centers[labels] + rng.normal(scale=0.5, size=(n, 3))
    return X, np.array(["red", "green", "blue"])[labels]


CLI = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def mlpforge(api_server: str, key: str, worker: Process, tmp_path: Path) -> CLI:
    """Run the installed `mlpforge` command against the test server, as alice."""
    if not MLPFORGE.exists():
        pytest.fail(f"{MLPFORGE} is missing: pip install -e '.[dev]' installs it")

    def run(
        *args: str, key_: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "MLPFORGE_URL": api_server,
            "MLPFORGE_API_KEY": key if key_ is None else key_,
            "COLUMNS": "200",
        }
        return subprocess.run(
            [str(MLPFORGE), *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
