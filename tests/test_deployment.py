"""Static checks of the Dockerfile and docker-compose.yml (no Docker engine runs here):
the commands they run name real modules, and Redis is configured to keep its data."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mlpforge", "engine", "store", "service", "worker")


def _compose() -> dict:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def _import_target(spec: str) -> object:
    module, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module), attribute)


def test_compose_runs_real_apps_on_one_persistent_redis() -> None:
    services = _compose()["services"]
    assert {"api", "worker", "redis"} <= services.keys()
    redis_command = " ".join(services["redis"]["command"])
    assert "--appendonly yes" in redis_command and "--appendfsync everysec" in redis_command
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])
    for name in ("api", "worker", "worker-gpu"):
        env = services[name]["environment"]
        assert env["MLPFORGE_REDIS_URL"].startswith("redis://redis:6379")
    api = services["api"]["command"]
    assert api[0] == "uvicorn" and _import_target(api[1]) is not None
    for name, queue in (("worker", "cpu"), ("worker-gpu", "gpu")):
        command = services[name]["command"]
        assert _import_target(command[command.index("-A") + 1]) is not None
        assert command[command.index("-Q") + 1] == queue
    assert services["worker-gpu"]["profiles"] == ["gpu"]
    assert services["worker-gpu"]["build"]["args"]["EXTRAS"] == "gpu"


def test_dockerfile_copies_every_package_and_runs_the_api() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.M))
    assert copied == set(PACKAGES)
    cmd = re.search(r'^CMD \["uvicorn", "([\w.:]+)"', dockerfile, re.M)
    assert cmd and _import_target(cmd.group(1)) is not None
    assert "USER mlpforge" in dockerfile  # not root
