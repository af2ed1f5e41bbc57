"""Training throughput of the engine against PyTorch (CPU) and scikit-learn, and the GEMM roofline.

Trains 784-256-128-10 (relu, adam, batch 128, float32, alpha 1e-4, shuffled) on 20,000 synthetic
samples with each system, interleaving the systems over a few repeats and keeping each one's best
epoch (the machine may be shared). Each system runs in its own subprocess: PyTorch brings its own
OpenMP and BLAS thread pools, whose spinning threads would otherwise slow numpy down.

Prints samples/s as ratios to PyTorch, the roofline (the forward+backward matmuls of one batch
timed alone with numpy), the peak memory of one engine fit, and the machine details.

    python bench/engine.py            # full run (about a minute)
    python bench/engine.py --quick    # smoke run (a few seconds)
    python bench/engine.py --json F   # also write the figures for bench/run_all.py
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import torch_mlp
from engine import MLPParams, Trainer

HIDDEN = (256, 128)
N_FEATURES, N_CLASSES, BATCH, ALPHA = 784, 10, 128, 1e-4


@dataclass(frozen=True)
class Model:
    """A benchmark network: relu, adam, float32, alpha 1e-4, ``n_classes`` softmax outputs."""

    n_features: int
    hidden: tuple[int, ...]
    n_classes: int
    batch: int

    @property
    def name(self) -> str:
        return "-".join(map(str, (self.n_features, *self.hidden, self.n_classes)))

    def gemm_flops_per_sample(self) -> float:
        """Multiply-adds x 2 of one training step per row: the forward pass, the weights'
        gradient, and the error passed down (not to the inputs: no system computes that)."""
        sizes = [self.n_features, *self.hidden, self.n_classes]
        weights = [i * o for i, o in itertools.pairwise(sizes)]
        return 2.0 * (3 * sum(weights) - weights[0])


# The CPU benchmark's model (launch- and memory-bound on a GPU) and the GPU's wide one
# (GEMM-bound: its rate against the device's GEMM rate says how much the engine leaves behind).
SMALL = Model(N_FEATURES, HIDDEN, N_CLASSES, BATCH)
WIDE = Model(4096, (4096, 4096), N_CLASSES, 1024)


def synthetic(n: int, seed: int = 0, model: Model = SMALL) -> tuple[np.ndarray, np.ndarray]:
    """Float32 inputs and 10 classes given by a random linear teacher (learnable, not trivial)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, model.n_features), dtype=np.float32)
    teacher = rng.standard_normal((model.n_features, model.n_classes)).astype(np.float32)
    return X, np.argmax(X @ teacher, axis=1)


def shared_params(epochs: int, model: Model = SMALL) -> dict[str, Any]:
    """scikit-learn-named params both mlpforge and scikit-learn take. tol 0 and a long patience:
    every system runs exactly ``epochs`` epochs."""
    return {
        "hidden_layer_sizes": model.hidden,
        "activation": "relu",
        "solver": "adam",
        "batch_size": model.batch,
        "alpha": ALPHA,
        "max_iter": epochs,
        "tol": 0.0,
        "n_iter_no_change": 10**6,
        "random_state": 0,
    }


Runner = Callable[[np.ndarray, np.ndarray, int], list[float]]


def run_engine(
    X: np.ndarray,
    y: np.ndarray,
    epochs: int,
    model: Model = SMALL,
    xp: ModuleType | None = None,
) -> list[float]:
    """Seconds of each epoch (the engine's own per-epoch wall time; on a GPU it ends with the
    epoch's one read of the device, so the device's work is in it)."""
    params = MLPParams(**shared_params(epochs, model))
    trainer = Trainer(X, y, task="classification", params=params, xp=xp)
    trainer.run()
    return [h["seconds"] for h in trainer.history]


def run_sklearn(X: np.ndarray, y: np.ndarray, epochs: int) -> list[float]:
    """One partial_fit call per epoch (same solver and shuffling as fit)."""
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(**shared_params(epochs))
    classes = np.unique(y)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        model.partial_fit(X, y, classes=classes)
        seconds.append(time.perf_counter() - start)
    return seconds


def make_torch_runner(threads: int) -> Runner | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)

    def run(X: np.ndarray, y: np.ndarray, epochs: int) -> list[float]:
        torch.manual_seed(0)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
        model, opt, loss_fn = torch_mlp.build(
            torch, N_FEATURES, HIDDEN, N_CLASSES, alpha=ALPHA, batch=BATCH
        )
        seconds = []
        for _ in range(epochs):
            start = time.perf_counter()
            torch_mlp.train_epoch(torch, model, opt, loss_fn, Xt, yt, BATCH)
            seconds.append(time.perf_counter() - start)
        return seconds

    return run


def roofline_seconds_per_batch(repeats: int) -> float:
    """The forward+backward matmuls of one batch alone (no first-layer input gradient)."""
    rng = np.random.default_rng(0)
    f32 = np.float32
    sizes = [N_FEATURES, *HIDDEN, N_CLASSES]
    x = rng.standard_normal((BATCH, N_FEATURES), dtype=f32)
    W = [rng.standard_normal((i, o), dtype=f32) for i, o in itertools.pairwise(sizes)]
    acts = [np.empty((BATCH, o), f32) for o in sizes[1:]]
    deltas = [rng.standard_normal((BATCH, o), dtype=f32) for o in sizes[1:]]
    grads = [np.empty_like(w) for w in W]

    def batch() -> None:
        a = x
        for w, out in zip(W, acts, strict=True):
            np.matmul(a, w, out=out)
            a = out
        for i in range(len(W) - 1, -1, -1):
            np.matmul((x if i == 0 else acts[i - 1]).T, deltas[i], out=grads[i])
            if i:
                np.matmul(deltas[i], W[i].T, out=deltas[i - 1])

    for _ in range(20):
        batch()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(100):
            batch()
        best = min(best, (time.perf_counter() - start) / 100)
    return best


def peak_fit_memory(X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(peak bytes traced during one engine fit of 1 epoch, data + params + optimizer bytes)."""
    params = MLPParams(**shared_params(1))
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    trainer = Trainer(X, y, task="classification", params=params)
    trainer.run()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    size = trainer.layout.size * 4
    return peak, X.nbytes + y.nbytes + size * 3  # params + adam's two moments


def machine() -> list[tuple[str, str]]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = [("CPU", cpu), ("cores (usable)", str(len(os.sched_getaffinity(0))))]
    info.append(
        ("load average (1, 5, 15 min) after the run", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    )
    info.append(("python", platform.python_version()))
    info.append(("numpy", np.__version__))
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                info.append(
                    (
                        "numpy BLAS",
                        f"{pool.get('internal_api')} {pool.get('version')}, "
                        f"kernel {pool.get('architecture')}, "
                        f"{pool.get('num_threads')} threads",
                    )
                )
    except ImportError:
        info.append(("numpy BLAS", "threadpoolctl not installed"))
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        info.append((var, os.environ.get(var, "(unset)")))
    try:
        import sklearn

        info.append(("scikit-learn", sklearn.__version__))
    except ImportError:
        info.append(("scikit-learn", "not installed"))
    try:
        from importlib.metadata import version

        info.append(("torch", version("torch")))
    except ImportError:
        info.append(("torch", "not installed"))
    except Exception:
        info.append(("torch", "not installed"))
    return info


def blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                return int(pool["num_threads"])
    except ImportError:
        pass
    return len(os.sched_getaffinity(0))


SYSTEMS = ("mlpforge", "PyTorch", "scikit-learn")


def worker(system: str, n: int, epochs: int, threads: int) -> None:
    """Run one system in this (fresh) process; print its best epoch's samples/s as JSON
    (null: not installed). The best epoch filters out moments when the machine was shared."""
    X, y = synthetic(n)
    run: Runner | None
    if system == "mlpforge":
        run = run_engine
    elif system == "scikit-learn":
        run = run_sklearn
    elif system == "PyTorch":
        run = make_torch_runner(threads)
    else:
        raise SystemExit(f"unknown system {system!r}")
    if run is None:
        print(json.dumps(None))
        return
    with limit_blas(threads):
        run(X[:1024], y[:1024], 1)  # warm-up: imports, allocator, thread pools
        print(json.dumps(n / min(run(X, y, epochs))))


def limit_blas(threads: int) -> Any:
    """A context that runs numpy's BLAS with ``threads`` threads (no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")


def measure(system: str, n: int, epochs: int, threads: int) -> float | None:
    cmd = [sys.executable, __file__, "--worker", system, "--n", str(n), "--epochs", str(epochs)]
    cmd += ["--threads", str(threads)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    value = json.loads(out.strip().splitlines()[-1])
    return None if value is None else float(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument(
        "--threads", type=int, default=None, help="BLAS and torch threads (default: the BLAS's)"
    )
    parser.add_argument("--n", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=SYSTEMS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    n = args.n or (2_000 if args.quick else 20_000)
    epochs = args.epochs or (1 if args.quick else 3)
    threads = args.threads or blas_threads()
    if args.worker:
        worker(args.worker, n, epochs, threads)
        return
    repeats = args.repeats or (1 if args.quick else 3)

    best: dict[str, float | None] = {}
    for _ in range(repeats):
        for system in SYSTEMS:
            rate = measure(system, n, epochs, threads)
            if rate is None:
                best[system] = None
            else:
                best[system] = max(best.get(system) or 0.0, rate)
    with limit_blas(threads):
        roofline = BATCH / roofline_seconds_per_batch(5 if args.quick else 20)
    X, y = synthetic(n)
    peak, essentials = peak_fit_memory(X, y)

    torch_rate = best.get("PyTorch")
    print(
        f"784-256-128-10 relu, adam, batch {BATCH}, float32, {n:,} samples; best epoch of "
        f"{repeats} run(s) x {epochs} epoch(s) per system, {threads} thread(s)\n"
    )
    print("| system | samples/s | vs PyTorch |")
    print("|---|---:|---:|")
    rows = [*((k, best.get(k)) for k in SYSTEMS), ("roofline (GEMMs alone, numpy)", roofline)]
    for name, rate in rows:
        if rate is None:
            print(f"| {name} | torch not installed | - |")
            continue
        ratio = f"{rate / torch_rate:.2f}x" if torch_rate else "-"
        print(f"| {name} | {rate:,.0f} | {ratio} |")
    budget = float(2 * essentials + 150 * 2**20)
    print(
        f"\npeak traced memory of one fit: {peak / 2**20:.1f} MiB "
        f"(data + parameters + Adam state = {essentials / 2**20:.1f} MiB; "
        f"budget 2x that + 150 MiB = {budget / 2**20:.1f} MiB: "
        f"{'OK' if peak <= budget else 'OVER'})"
    )
    details = machine()
    print("\n| machine | |\n|---|---|")
    for key, value in details:
        print(f"| {key} | {value} |")
    if args.json is not None:
        write_figures(args.json, best, roofline, peak, budget, details)


def write_figures(
    path: Path,
    best: dict[str, float | None],
    roofline: float,
    peak: float,
    budget: float,
    details: list[tuple[str, str]],
) -> None:
    """The figures in bench/figures.py's format, for bench/run_all.py's table."""

    def figure(name: str, value: float, unit: str, **kw: Any) -> dict[str, Any]:
        return {
            "group": "engine",
            "name": name,
            "value": value,
            "unit": unit,
            "target": None,
            "higher_is_better": True,
            "note": "",
            **kw,
        }

    figures = [
        figure(f"{name} samples/s", rate, "samples/s")
        for name, rate in best.items()
        if rate is not None
    ]
    figures.append(figure("roofline (GEMMs alone) samples/s", roofline, "samples/s"))
    torch_rate = best.get("PyTorch")
    engine_rate = best.get("mlpforge")
    if torch_rate and engine_rate:
        figures.append(
            figure("mlpforge ÷ PyTorch (samples/s)", engine_rate / torch_rate, "×", target=1.5)
        )
    figures.append(
        figure(
            "peak memory of one fit",
            peak / 2**20,
            "MiB",
            target=budget / 2**20,
            higher_is_better=False,
            note="tracemalloc, beyond the input data",
        )
    )
    path.write_text(json.dumps({"figures": figures, "machine": dict(details)}))


if __name__ == "__main__":
    main()
