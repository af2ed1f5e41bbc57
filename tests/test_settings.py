"""Settings are checked when a process starts: keys that would run the API wide open, or map
one key to two tenants, stop `make run`, the API and the worker with a message naming them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from mlpforge.settings import Settings
from tests.processes import ROOT


@pytest.mark.parametrize(
    ("keys", "fragment"),
    [
        (",", "holds no 'tenant:key' pair"),
        (" , ,", "holds no 'tenant:key' pair"),
        ("alice:k1,bob:k1", "the same key is given for tenants 'alice' and 'bob'"),
        ("alice:k1,alice:k1", "the same key"),
        ("alice:", "expected 'tenant:key'"),
        ("al ice:k1", "letters, digits"),
        ("a:b:c-is-a-key,x:y", None),  # a key may hold colons: only the first one splits
    ],
)
def test_api_keys_are_checked(keys: str, fragment: str | None) -> None:
    if fragment is None:
        assert Settings(api_keys=keys).api_key_table() == {"b:c-is-a-key": "a", "y": "x"}
        return
    with pytest.raises(ValidationError, match=fragment):
        Settings(api_keys=keys)


def test_unset_or_blank_keys_mean_open_mode() -> None:
    assert Settings(api_keys=None).api_key_table() == {}
    assert Settings(api_keys="  ").api_key_table() == {}


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "mlpforge.launcher", "run"],
        [sys.executable, "-m", "uvicorn", "service.main:app", "--port", "1"],
        [sys.executable, "-m", "celery", "-A", "worker.celery_app:app", "worker"],
    ],
    ids=["make-run", "api", "worker"],
)
@pytest.mark.parametrize("keys", [",", "alice:same,bob:same"])
def test_bad_keys_stop_every_command_with_a_message(command: list[str], keys: str) -> None:
    env = {**os.environ, "MLPFORGE_API_KEYS": keys, "MLPFORGE_REDIS_URL": "redis://127.0.0.1:1/0"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "mlpforge: the configuration is invalid" in done.stderr + done.stdout
    assert "MLPFORGE_API_KEYS" in done.stderr + done.stdout
