"""The folder where the API's processes keep their Prometheus values (multiprocess mode).

`make run` / `make api` give each launcher a fresh one, ``.run/metrics/<launcher pid>``, so
that the counters start at zero with the API and several uvicorn workers add up in one scrape
(prometheus-client sums the files of every process in ``PROMETHEUS_MULTIPROC_DIR``). The
folders of launchers that are gone are removed; a folder the user named is used as it is.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prepare(run_dir: Path) -> Path | None:
    """Set ``PROMETHEUS_MULTIPROC_DIR`` for the children; the folder to remove at exit, if ours."""
    if os.environ.get(VARIABLE):
        return None
    parent = run_dir / "metrics"
    if parent.is_dir():
        for stale in parent.iterdir():
            if stale.name.isdigit() and not _alive(int(stale.name)):
                shutil.rmtree(stale, ignore_errors=True)
    folder = parent / str(os.getpid())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[VARIABLE] = str(folder.resolve())
    return folder


def remove(folder: Path | None) -> None:
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
