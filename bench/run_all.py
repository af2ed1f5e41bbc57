"""`make bench`: run every benchmark of bench/, then print one table and the machine.

    python bench/run_all.py [--quick] [--only engine,service]

Each benchmark runs as its own process with its own flags. A script that accepts
``--json PATH`` (see bench/figures.py) hands its figures over for the table; one that does not
is still run, and its own output is shown as it is. Each figure is printed with its target
and its ratio to the target (≥ 1.00 means met, whichever way the figure points). Targets are
reported, never asserted: the exit status says only whether every benchmark ran.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is sys.path[0], the project is not

from bench.figures import Figure, number, read_figures  # noqa: E402

# name → how to start it (from the repository root). bench/engine.py belongs to the engine;
# it is run the way its docstring says.
BENCHMARKS: dict[str, list[str]] = {
    "engine": [sys.executable, "bench/engine.py"],
    "service": [sys.executable, "-m", "bench.service"],
    "search": [sys.executable, "bench/search.py"],
    "quality": [sys.executable, "bench/quality.py"],
    "bigdata": [sys.executable, "-m", "bench.bigdata"],
}
SCRIPT = {
    "engine": ROOT / "bench" / "engine.py",
    "service": ROOT / "bench" / "service.py",
    "search": ROOT / "bench" / "search.py",
    "quality": ROOT / "bench" / "quality.py",
    "bigdata": ROOT / "bench" / "bigdata.py",
}


def accepts_json(command: list[str]) -> bool:
    out = subprocess.run([*command, "--help"], cwd=ROOT, capture_output=True, text=True)
    return "--json" in out.stdout


def run_benchmark(name: str, quick: bool) -> tuple[list[Figure], str, int]:
    """Stream the script's output through; return its figures, its output and its status."""
    command = BENCHMARKS[name] + (["--quick"] if quick else [])
    with tempfile.TemporaryDirectory() as tmp:
        out_path = Path(tmp) / "figures.json"
        json_flag = ["--json", str(out_path)] if accepts_json(BENCHMARKS[name]) else []
        print(f"\n=== {name}: {' '.join([Path(command[0]).name, *command[1:], *json_flag])}",
              flush=True)
        child = subprocess.Popen(
            [*command, *json_flag], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert child.stdout is not None
        lines = []
        for line in child.stdout:
            print(line, end="", flush=True)
            lines.append(line)
        status = child.wait()
        figures = read_figures(out_path) if out_path.exists() else []
    return figures, "".join(lines), status


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> list[tuple[str, str]]:
    cpu, memory = platform.processor() or "unknown", "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    info = [
        ("date", dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", cpu),
        ("cores usable", str(len(os.sched_getaffinity(0)))),
        ("memory", memory),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("load average at start (1, 5, 15 min)", ", ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("Python", platform.python_version()),
    ]
    import numpy as np
    from threadpoolctl import threadpool_info

    info.append(("numpy", np.__version__))
    for pool in threadpool_info():
        info.append((
            f"BLAS ({pool.get('user_api')})",
            f"{pool.get('internal_api')} {pool.get('version')}, {pool.get('architecture')}, "
            f"{pool.get('num_threads')} threads",
        ))
    for package in ("torch", "scikit-learn", "fastapi", "starlette", "uvicorn", "uvloop",
                    "httptools", "celery", "redis", "hiredis", "orjson", "pydantic"):
        info.append((package, _version(package)))
    redis_server = shutil.which("redis-server")
    if redis_server:
        version = subprocess.run([redis_server, "--version"], capture_output=True, text=True)
        info.append(("redis-server", version.stdout.split(" v=")[-1].split()[0]))
    wrk = shutil.which("wrk")
    info.append(("HTTP load generator", "wrk" if wrk else "httpx asyncio client (no wrk)"))
    return info


def table(figures: list[Figure]) -> str:
    lines = ["| benchmark | figure | value | target | ratio |", "|---|---|---:|---:|---:|"]
    for f in figures:
        ratio = f.ratio
        verdict = "" if ratio is None else f"{ratio:.2f} {'met' if ratio >= 1 else 'MISSED'}"
        lines.append(
            f"| {f.group} | {f.name} | {number(f.value)} {f.unit} | {f.target_text} | {verdict} |"
        )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short smoke runs of everything")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated names")
    parser.add_argument("--save", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    details = machine()
    figures: list[Figure] = []
    raw: dict[str, str] = {}
    failed: list[str] = []
    for name in [n.strip() for n in args.only.split(",") if n.strip()]:
        if name not in BENCHMARKS:
            parser.error(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
        if not SCRIPT[name].exists():
            print(f"\n=== {name}: {SCRIPT[name].relative_to(ROOT)} is missing; skipped", flush=True)
            failed.append(f"{name} (missing)")
            continue
        found, output, status = run_benchmark(name, args.quick)
        figures += found
        if not found:
            raw[name] = output
        if status != 0:
            failed.append(f"{name} (exit {status})")

    print("\n\n## Results\n")
    print(table(figures))
    for name, output in raw.items():
        print(f"\n### {name} (its own output)\n\n{output.strip()}")
    details.append(("load average at end", ", ".join(f"{x:.2f}" for x in os.getloadavg())))
    print("\n## Machine\n\n| | |\n|---|---|")
    for key, value in details:
        print(f"| {key} | {value} |")
    if args.save:
        args.save.write_text(json.dumps({"figures": [f.as_dict() for f in figures],
                                         "machine": dict(details)}, indent=1))
    if failed:
        print(f"\nnot completed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
