"""The README's curl walkthrough, run as written against a real open-mode server."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests.processes import Process, start_api

README = Path(__file__).resolve().parents[2] / "README.md"


def walkthrough() -> str:
    text = README.read_text()
    block = re.search(
        r"<!-- walkthrough:start -->\s*```bash\n(.*?)```\s*<!-- walkthrough:end -->", text, re.S
    )
    assert block, "README.md has no walkthrough block"
    return block.group(1)


@pytest.fixture
def open_server(redis_url: str, worker: Process) -> Iterator[str]:
    proc, base = start_api(redis_url)  # no MLPFORGE_API_KEYS: open mode, as after `make run`
    yield base
    proc.stop()


@pytest.mark.skipif(
    shutil.which("jq") is None or shutil.which("curl") is None,
    reason="the walkthrough uses curl and jq",
)
def test_readme_walkthrough_runs(open_server: str) -> None:
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", walkthrough()],
        env={"MLPFORGE": open_server, "PATH": "/usr/bin:/bin:/usr/local/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    answer = orjson.loads(result.stdout.strip().splitlines()[-1])
    assert answer["predictions"] == ["fail", "pass"]
    assert answer["classes"] == ["fail", "pass"]
    assert "event: status" in result.stdout
