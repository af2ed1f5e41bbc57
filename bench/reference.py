"""The references for training through the service: the engine in-process, and PyTorch.

    python -m bench.reference --impl engine|torch --data X.npz --repeat 3 [--threads N]

Each runs in its own process (as the worker does), fits once to warm up, then `--repeat`
timed fits of the same network, and prints JSON: {"impl", "seconds": [...], "threads", ...}.
The PyTorch model is the same network, loss (softmax cross-entropy + L2 of `alpha` on the
weights only, as scikit-learn's), optimizer (Adam, scikit-learn's defaults), batch size,
shuffling and float32, run eagerly on the CPU with the same number of threads as the BLAS.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from bench import torch_mlp

# The network of the training benchmark (scikit-learn names).
PARAMS: dict[str, Any] = {
    "hidden_layer_sizes": [256, 128],
    "activation": "relu",
    "solver": "adam",
    "batch_size": 128,
    "max_iter": 5,
    "n_iter_no_change": 1000,  # never stop early: all five epochs run
    "random_state": 0,
}


def blas_threads() -> int:
    return max((int(pool["num_threads"]) for pool in threadpool_info()), default=1)


def engine_fit(X: np.ndarray, y: np.ndarray) -> float:
    from engine import MLPParams, fit

    params = MLPParams.from_dict(PARAMS)
    started = time.perf_counter()
    fit(X, y, task="classification", params=params)
    return time.perf_counter() - started


def torch_fit(X: np.ndarray, y: np.ndarray, threads: int) -> float:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    started = time.perf_counter()
    # Standardized like the engine does (standardize=True), timed like it.
    mean, scale = X.mean(axis=0), X.std(axis=0)
    scale[scale == 0] = 1.0
    features = torch.from_numpy(((X - mean) / scale).astype(np.float32))
    classes, codes = np.unique(y, return_inverse=True)
    targets = torch.from_numpy(codes.astype(np.int64))
    batch = int(PARAMS["batch_size"])
    model, optimizer, loss_fn = torch_mlp.build(
        torch, X.shape[1], PARAMS["hidden_layer_sizes"], len(classes), alpha=1e-4, batch=batch
    )
    for _ in range(int(PARAMS["max_iter"])):
        torch_mlp.train_epoch(torch, model, optimizer, loss_fn, features, targets, batch)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=["engine", "torch"], required=True)
    parser.add_argument("--data", required=True, help=".npz with X and y")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="0: the BLAS's default")
    args = parser.parse_args(argv)
    with np.load(args.data, allow_pickle=False) as npz:
        X, y = npz["X"].astype(np.float32), npz["y"]
    threads = args.threads or blas_threads()
    with threadpool_limits(limits=threads):
        run = (lambda: engine_fit(X, y)) if args.impl == "engine" else (
            lambda: torch_fit(X, y, threads)
        )
        run()  # warm-up: imports, thread pools, first-touch of buffers
        seconds = [run() for _ in range(args.repeat)]
    version = np.__version__
    if args.impl == "torch":
        import torch

        version = torch.__version__
    print(json.dumps({"impl": args.impl, "seconds": seconds, "threads": threads,
                      "version": version, "samples": int(X.shape[0]) * int(PARAMS["max_iter"])}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
