"""`make run` / `make api` give the API's processes a fresh Prometheus folder of their own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mlpforge import metrics_dir


def test_each_launcher_gets_a_fresh_folder_and_stale_ones_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(metrics_dir.VARIABLE, "")  # unset for `prepare`, restored after
    gone = tmp_path / "metrics" / "999999999"  # no such process
    gone.mkdir(parents=True)
    mine = tmp_path / "metrics" / str(os.getpid())
    mine.mkdir()
    (mine / "counter_1.db").write_bytes(b"old")
    folder = metrics_dir.prepare(tmp_path)
    assert folder == mine and list(folder.iterdir()) == []
    assert os.environ[metrics_dir.VARIABLE] == str(mine.resolve())
    assert not gone.exists()
    metrics_dir.remove(folder)
    assert not mine.exists()


def test_a_folder_the_user_named_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(metrics_dir.VARIABLE, str(tmp_path / "theirs"))
    assert metrics_dir.prepare(tmp_path) is None
    assert os.environ[metrics_dir.VARIABLE] == str(tmp_path / "theirs")
