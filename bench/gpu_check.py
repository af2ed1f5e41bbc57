"""`make gpu-check`: the engine on a GPU — its CuPy tests, then its speed against PyTorch CUDA.

1. The engine's backend tests on CuPy (tests/engine/test_backends.py, the ``cupy`` cases): the
   same fits as numpy's within float32 tolerance, checkpoints moving between host and device, a
   GPU-trained model predicting on the CPU. They skip only where there is no GPU.
2. Two models, each trained by the engine on CuPy and by PyTorch (eager) on the same GPU, in this
   one run, interleaved, best epoch of a few: the CPU benchmark's 784-256-128-10 (batch 128:
   bound by kernel launches) and a wide 4096-4096-4096-10 (batch 1024: bound by its GEMMs), with
   the device's float32 GEMM rate measured alongside (cuBLAS, 1024x4096 @ 4096x4096). Both
   systems compute in plain float32 (no TF32), relu, Adam, alpha 1e-4, shuffled.

Targets (issue 12): the small model at least PyTorch's eager speed; the wide one at least 60 %
of the GEMM rate. Prints one markdown table for bench/RESULTS.md.

    python bench/gpu_check.py             # tests, then the benchmark (a few minutes)
    python bench/gpu_check.py --bench-only
    python bench/gpu_check.py --dry-run   # the whole script on the CPU: numpy stands in for
                                          # CuPy, the stand-in's tests for CuPy's, tiny data
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import torch_mlp  # noqa: E402
from bench.engine import SMALL, WIDE, Model, run_engine, synthetic  # noqa: E402

GEMM_SHAPE = (1024, 4096, 4096)  # (m, k, n): the wide model's hidden layer, one batch
TARGET_VS_TORCH = 1.0
TARGET_GEMM_SHARE = 0.6


def run_tests(dry_run: bool) -> int:
    """pytest over the backend tests of CuPy (of the CPU stand-in for a dry run)."""
    selected = "strict" if dry_run else "cupy"
    command = [sys.executable, "-m", "pytest", "tests/engine/test_backends.py", "-k", selected]
    command += ["-q", "-rs", "-p", "no:cacheprovider"]
    print(f"$ {' '.join(command[2:])}", flush=True)
    return subprocess.run(command, cwd=ROOT).returncode


def device_module(dry_run: bool) -> tuple[ModuleType | None, Callable[[], None], str]:
    """(the engine's xp, a device synchronization, the device's name)."""
    if dry_run:
        return None, lambda: None, "CPU (dry run: numpy stands in for CuPy)"
    import cupy  # type: ignore[import-not-found]

    props = cupy.cuda.runtime.getDeviceProperties(0)
    name = props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])
    return cupy, cupy.cuda.Device(0).synchronize, name


def gemm_tflops(
    xp: ModuleType | None, sync: Callable[[], None], repeats: int
) -> tuple[float, tuple[int, int, int]]:
    """The device's float32 GEMM rate on the wide layer's shape (TFLOP/s), and the shape."""
    mod: Any = np if xp is None else xp
    m, k, n = GEMM_SHAPE if xp is not None else (128, 512, 512)
    a = mod.ones((m, k), dtype=np.float32)
    b = mod.ones((k, n), dtype=np.float32)
    out = mod.empty((m, n), dtype=np.float32)
    for _ in range(3):
        mod.matmul(a, b, out=out)
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        mod.matmul(a, b, out=out)
    sync()
    return 2.0 * m * k * n * repeats / (time.perf_counter() - start) / 1e12, (m, k, n)


def torch_runner(dry_run: bool) -> Callable[[Model, np.ndarray, np.ndarray, int], list[float]]:
    """PyTorch eager on the GPU (its CPU for a dry run), the CPU benchmark's loop."""
    import torch

    device = "cpu" if dry_run else "cuda"
    torch.backends.cuda.matmul.allow_tf32 = False  # plain float32, as CuPy's default
    torch.backends.cudnn.allow_tf32 = False

    def sync() -> None:
        if device == "cuda":
            torch.cuda.synchronize()

    def run(model: Model, X: np.ndarray, y: np.ndarray, epochs: int) -> list[float]:
        torch.manual_seed(0)
        Xt = torch.from_numpy(X).to(device)
        yt = torch.from_numpy(y.astype(np.int64)).to(device)
        net, opt, loss_fn = torch_mlp.build(
            torch, model.n_features, model.hidden, model.n_classes, alpha=1e-4, batch=model.batch
        )
        net = net.to(device)
        seconds = []
        for _ in range(epochs):
            sync()
            start = time.perf_counter()
            torch_mlp.train_epoch(torch, net, opt, loss_fn, Xt, yt, model.batch)
            sync()
            seconds.append(time.perf_counter() - start)
        return seconds

    return run


def benchmark(dry_run: bool, repeats: int) -> bool:
    xp, sync, device = device_module(dry_run)
    try:
        torch_run: Callable[..., list[float]] | None = torch_runner(dry_run)
    except ImportError:
        if not dry_run:
            raise SystemExit("gpu-check needs PyTorch (pip install -e '.[bench]')") from None
        torch_run = None
    gemm, shape = gemm_tflops(xp, sync, 5 if dry_run else 50)
    sizes = {SMALL: 60_000, WIDE: 16_384} if not dry_run else {SMALL: 1_024, WIDE: 256}
    rows: list[tuple[str, str, float, float]] = []
    met = True
    for model, n in sizes.items():
        if dry_run and model is WIDE:
            model = Model(256, (256, 256), WIDE.n_classes, 64)  # the same code, CPU-sized
        X, y = synthetic(n, model=model)
        engine_best = torch_best = 0.0
        run_engine(X[: 4 * model.batch], y[: 4 * model.batch], 1, model, xp)  # compile, warm
        if torch_run is not None:
            torch_run(model, X[: 4 * model.batch], y[: 4 * model.batch], 1)
        for _ in range(repeats):  # interleaved: both see the same state of the machine
            engine_best = max(engine_best, n / min(run_engine(X, y, 2, model, xp)))
            if torch_run is not None:
                torch_best = max(torch_best, n / min(torch_run(model, X, y, 2)))
        flops = model.gemm_flops_per_sample()
        engine = "mlpforge (numpy)" if dry_run else "mlpforge (CuPy)"
        rows.append((model.name, engine, engine_best, engine_best * flops / 1e12))
        if torch_run is not None:
            rows.append((model.name, "PyTorch (eager)", torch_best, torch_best * flops / 1e12))
        share = engine_best * flops / 1e12 / gemm
        ratio = engine_best / torch_best if torch_best else float("nan")
        if model.batch == SMALL.batch:
            met &= ratio >= TARGET_VS_TORCH
            print(f"{model.name}: mlpforge / PyTorch = {ratio:.2f} (target >= {TARGET_VS_TORCH})")
        else:
            met &= share >= TARGET_GEMM_SHARE
            print(f"{model.name}: {share:.0%} of the GEMM rate (target >= {TARGET_GEMM_SHARE:.0%})")
    print(f"\n{device}; float32 GEMM (m, k, n) = {shape}: {gemm:.2f} TFLOP/s\n")
    print("| model | system | samples/s | TFLOP/s | share of GEMM |")
    print("|---|---|---:|---:|---:|")
    for name, system, rate, tflops in rows:
        print(f"| {name} | {system} | {rate:,.0f} | {tflops:.2f} | {tflops / gemm:.0%} |")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="on the CPU, tiny sizes")
    parser.add_argument("--bench-only", action="store_true")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    failed = False
    if not args.bench_only:
        failed = run_tests(args.dry_run) != 0
    met = benchmark(args.dry_run, 1 if args.dry_run else args.repeats)
    print(f"\ntests: {'FAILED' if failed else 'passed'}; targets: {'met' if met else 'NOT met'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
