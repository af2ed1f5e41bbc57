"""The service end to end: real Redis, a real uvicorn API and real Celery workers.

    python -m bench.service [--quick] [--json PATH] [--only training,predict,...]

Benchmarks (each figure with its target; see bench/RESULTS.md):
  training    10,000 × 784 .npz, 784-256-128-10 adam, 5 epochs: the job's started_at →
              finished_at vs `engine.fit` in its own process and vs PyTorch (same threads);
              the worker's phases (its "timings" log line) and its peak RSS
  predict     one-row POST /predict vs GET /healthz, same server and load generator;
              the API's RSS across the predictions
  batch       10,000 rows in one request to a 64-32 model
  jobs        submit → succeeded seen by the client (SSE) for 100 tiny jobs (iris, 1 epoch)
  throughput  jobs/s for 200 tiny jobs with 1 and with 2 workers
  datasets    25,000 × 800 uint8 .npz (20 M cells; the old default limit): upload time,
              the API's memory, Redis's memory
"""

from __future__ import annotations

import io
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import redis

from bench.figures import Figure, number, write_figures
from bench.harness import (
    AUTH,
    TENANT,
    Stack,
    add_worker,
    bench_arguments,
    bench_redis_url,
    peak_rss_mb,
    pool_process,
    reset_peak_rss,
    rss_mb,
)
from bench.loadgen import run_load
from bench.reference import PARAMS as TRAIN_PARAMS
from store.keys import TenantKeys
from tests.processes import ROOT

MB = 1024 * 1024
ALL = ("training", "predict", "batch", "jobs", "throughput", "datasets")
# The log line may end in its context fields ("[request_id=… tenant=… job_id=…]").
TIMINGS = re.compile(r"job (\S+) timings \(s\): ([^\[\n]*)", re.M)


@dataclass
class Config:
    quick: bool
    train_repeats: int = 5
    load_seconds: float = 8.0
    connections: int = 8
    latency_jobs: int = 100
    throughput_jobs: int = 200

    def __post_init__(self) -> None:
        if self.quick:
            self.train_repeats, self.load_seconds = 1, 2.0
            self.latency_jobs, self.throughput_jobs = 20, 40


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The 64-32 iris model that the prediction benchmarks share: (model id, its features).
    small_model: tuple[str, np.ndarray] | None = None

    def add(self, group: str, name: str, value: float, unit: str, **kw: Any) -> None:
        figure = Figure(group, name, float(value), unit, **kw)
        self.figures.append(figure)
        ratio = f"  ({figure.ratio:.2f}× target)" if figure.ratio is not None else ""
        print(f"  {name}: {number(value)} {unit}{ratio}", flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)


# ---- data ---------------------------------------------------------------------------------


def mnist_like(n: int = 10_000, d: int = 784, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Uniform features, ten classes from a random linear map (learnable, MNIST's shape)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, d), dtype=np.float32)
    y = np.argmax(X @ rng.normal(size=(d, 10)).astype(np.float32), axis=1).astype(np.int64)
    return X, y


def iris() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_iris
    except ImportError:  # scikit-learn is a bench extra; three blobs of iris's shape instead
        rng = np.random.default_rng(0)
        labels = np.repeat(np.arange(3), 50)
        return (labels[:, None] * 1.5 + rng.normal(size=(150, 4))).round(1), labels
    data = load_iris()
    return np.asarray(data.data), np.asarray(data.target)


def npz_bytes(X: np.ndarray, y: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, X=X, y=y)
    return buffer.getvalue()


def upload_npz(client: httpx.Client, name: str, blob: bytes) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    answer = client.post("/v1/datasets", files={"file": (name, blob, "application/octet-stream")})
    elapsed = time.perf_counter() - started
    if answer.status_code != 201:
        raise RuntimeError(f"upload of {name} failed: {answer.status_code} {answer.text[:300]}")
    return answer.json(), elapsed


def upload_json(client: httpx.Client, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    answer = client.post("/v1/datasets", json={"features": X.tolist(), "targets": y.tolist()})
    answer.raise_for_status()
    return dict(answer.json())


# ---- jobs ---------------------------------------------------------------------------------


def submit(client: httpx.Client, dataset_id: str, params: dict[str, Any]) -> str:
    answer = client.post("/v1/jobs", json={"dataset_id": dataset_id, "params": params})
    if answer.status_code != 202:
        raise RuntimeError(f"job refused: {answer.status_code} {answer.text[:300]}")
    return str(answer.json()["id"])


def wait_job(client: httpx.Client, job_id: str, timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in {"succeeded", "failed", "cancelled"}:
            if job["status"] != "succeeded":
                raise RuntimeError(f"job {job_id} ended {job['status']}: {job.get('error')}")
            return dict(job)
        time.sleep(0.05)
    raise TimeoutError(f"job {job_id} did not finish in {timeout} s")


def follow_events(client: httpx.Client, job_id: str, timeout: float = 600) -> str:
    """Read the job's server-sent events until the final status event; return the status."""
    event = ""
    deadline = time.monotonic() + timeout
    with client.stream("GET", f"/v1/jobs/{job_id}/events") as stream:
        for line in stream.iter_lines():
            if time.monotonic() > deadline:  # keep-alives would otherwise wait forever
                raise TimeoutError(f"job {job_id} did not finish in {timeout} s")
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: ") and event == "status":
                return str(orjson.loads(line.removeprefix("data: "))["status"])
    raise RuntimeError(f"the event stream of {job_id} closed without a status")


def timestamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def worker_timings(log: Path, job_id: str) -> dict[str, float]:
    for found in TIMINGS.finditer(log.read_text(errors="replace")):
        if found.group(1) == job_id:
            return {k: float(v) for k, v in (p.split("=") for p in found.group(2).split())}
    return {}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


# ---- 1. training ----------------------------------------------------------------------------


def reference(impl: str, data: Path, repeats: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.reference", "--impl", impl, "--data", str(data),
         "--repeat", str(repeats)],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )
    if out.returncode != 0:
        raise RuntimeError(f"bench.reference --impl {impl} failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


@dataclass
class TrainingRun:
    """One training job as the API and the worker's timings line tell it."""

    wall: float  # started_at → finished_at
    epochs: float  # Σ of the history's per-epoch seconds
    phases: dict[str, float]

    @property
    def engine_part(self) -> float:
        """What engine.fit also does: set-up and epochs (minus the reports inside `fit`)."""
        p = self.phases
        return p["prepare"] + p["fit"] - p["checkpoint"] - p["record_epoch"]

    @property
    def overhead(self) -> float:
        """Everything else: the dataset from Redis, per-epoch reports and checkpoints, the
        model's publication, and the start transition / lease outside the timings."""
        return self.wall - self.engine_part


def run_training_job(stack: Stack, client: httpx.Client, dataset_id: str) -> TrainingRun:
    # Waiting on the event stream costs no CPU; polling would take some from the fit.
    job_id = submit(client, dataset_id, TRAIN_PARAMS)
    follow_events(client, job_id)
    job = wait_job(client, job_id)
    history = client.get(f"/v1/jobs/{job['id']}/metrics").json()["history"]
    assert len(history) == TRAIN_PARAMS["max_iter"], history
    phases = worker_timings(stack.workers[0].log_path, job["id"])
    for key in ("load_dataset", "prepare", "fit", "checkpoint", "record_epoch", "evaluate",
                "publish"):
        phases.setdefault(key, 0.0)
    return TrainingRun(
        wall=timestamp(job["finished_at"]) - timestamp(job["started_at"]),
        epochs=sum(h["seconds"] for h in history),
        phases=phases,
    )


def bench_training(stack: Stack, cfg: Config, report: Report) -> None:
    print("training: 10,000 × 784 float32, 784-256-128-10, adam, 5 epochs", flush=True)
    X, y = mnist_like()
    blob = npz_bytes(X, y)
    # Warm the worker's pool process (imports, BLAS threads), as the references warm up too;
    # on another dataset, so that the first job below reads its dataset from Redis.
    small_model(stack, report)
    child = pool_process(stack.workers[0])
    reset = reset_peak_rss(child)
    with stack.client() as client, tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "mnist_like.npz"
        data_path.write_bytes(blob)
        uploads, colds, warm = [], [], []
        engine_runs, torch_runs = [], []
        # Rounds of all four, so that the machine's changing load falls on each alike.
        for _ in range(cfg.train_repeats):
            # A new upload of the same data: its first job reads it from Redis ("cold"), the
            # next one finds the worker's copy.
            dataset, upload_secs = upload_npz(client, "mnist_like.npz", blob)
            uploads.append(upload_secs)
            colds.append(run_training_job(stack, client, dataset["id"]))
            warm.append(run_training_job(stack, client, dataset["id"]))
            engine_runs.append(reference("engine", data_path, 1))
            torch_runs.append(reference("torch", data_path, 1))
        peak = peak_rss_mb(child)
    engine = {**engine_runs[0], "seconds": [r["seconds"][0] for r in engine_runs]}
    torch = {**torch_runs[0], "seconds": [r["seconds"][0] for r in torch_runs]}

    g = "training"
    report.add(g, "upload 10,000×784 float32 .npz (31 MB)", min(uploads) * 1000, "ms")
    # The four ran in rounds, back to back: the ratios are the medians of each round's ratio,
    # which the shared machine's changing load disturbs least.
    samples = X.shape[0] * int(TRAIN_PARAMS["max_iter"])
    engine_secs, torch_secs = engine["seconds"], torch["seconds"]
    service = statistics.median(run.wall for run in warm)

    def listed(values: list[float]) -> str:
        return "median of " + ", ".join(f"{v:.3f}" for v in values)

    def per_round(numerators: list[float], runs: list[TrainingRun]) -> float:
        return statistics.median(n / r.wall for n, r in zip(numerators, runs, strict=True))

    report.add(g, "service: started_at → finished_at", service, "s",
               note=listed([r.wall for r in warm]))
    report.add(g, "engine.fit in-process", statistics.median(engine_secs), "s",
               note=listed(engine_secs))
    report.add(g, f"PyTorch {torch['version']}, {torch['threads']} threads",
               statistics.median(torch_secs), "s", note=listed(torch_secs))
    report.add(g, "service samples/s", samples / service, "samples/s")
    report.add(g, "service ÷ engine (samples/s)", per_round(engine_secs, warm), "×",
               target=0.95, note="median of the rounds' ratios")
    report.add(g, "service ÷ PyTorch (samples/s)", per_round(torch_secs, warm), "×",
               target=1.5, note="median of the rounds' ratios")
    report.add(g, "first job on the dataset: service ÷ engine", per_round(engine_secs, colds),
               "×", target=0.95, note="the dataset read from Redis; "
               + listed([r.wall for r in colds]))

    def ms(values: list[float]) -> float:
        return 1000 * statistics.median(values)

    report.add(g, "overhead: dataset from Redis, first job",
               ms([r.phases["load_dataset"] for r in colds]), "ms")
    report.add(g, "overhead: dataset, next jobs (worker's copy)",
               ms([r.phases["load_dataset"] for r in warm]), "ms")
    report.add(g, "overhead: checkpoints", ms([r.phases["checkpoint"] for r in warm]), "ms")
    report.add(g, "overhead: 5 progress writes (+ checkpoint writes)",
               ms([r.phases["record_epoch"] for r in warm]), "ms")
    report.add(g, "overhead: evaluation metrics (a forward pass over the training rows)",
               ms([r.phases["evaluate"] for r in warm]), "ms")
    report.add(g, "overhead: publish model, finish", ms([r.phases["publish"] for r in warm]), "ms")
    report.add(g, "overhead: start, lease, outside the timings",
               ms([max(0.0, r.wall - r.phases["total"]) for r in warm]), "ms",
               note="job timestamps have millisecond resolution")
    report.add(g, "service overhead ÷ engine's part", 100 * statistics.median(
        r.overhead / r.engine_part for r in warm), "%", target=5.0, higher_is_better=False)
    report.add(g, "service overhead ÷ engine's part, first job", 100 * statistics.median(
        r.overhead / r.engine_part for r in colds), "%", target=5.0, higher_is_better=False)
    report.add(g, "job wall − Σ epoch seconds (from the API alone)",
               ms([r.wall - r.epochs for r in warm]), "ms",
               note="also holds the engine's set-up (standardization, initial weights)")

    n_params = 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    essential = (X.nbytes + y.nbytes + 3 * 4 * n_params) / MB  # data + params + adam's m, v
    report.add(g, "worker peak RSS (pool process)", peak, "MB",
               target=2 * essential + 200, higher_is_better=False,
               note=f"data + parameters + optimizer state = {essential:.1f} MB"
               + ("" if reset else "; peak since the process started"))


# ---- 2, 3. predictions ----------------------------------------------------------------------


def small_model(stack: Stack, report: Report) -> tuple[str, np.ndarray]:
    if report.small_model is None:
        X, y = iris()
        with stack.client() as client:
            dataset = upload_json(client, X, y)
            job = wait_job(client, submit(client, dataset["id"], {
                "hidden_layer_sizes": [64, 32], "max_iter": 50, "random_state": 0}))
        report.small_model = (str(job["model_id"]), X)
    return report.small_model


def bench_predict(stack: Stack, cfg: Config, report: Report) -> None:
    print("predict: one row, POST /v1/models/{id}/predict vs GET /healthz", flush=True)
    assert stack.api is not None
    model_id, X = small_model(stack, report)
    url = f"{stack.base}/v1/models/{model_id}/predict"
    body = orjson.dumps({"inputs": X[:1].tolist()})
    with stack.client() as client:
        for _ in range(200):  # load the model into the cache, warm every code path
            client.post(url, content=body, headers={"Content-Type": "application/json"})
    rss_before = rss_mb(stack.api.pid)
    health, predict = [], []
    for _ in range(2):  # interleaved, so drifting machine load hits both alike
        health.append(run_load(f"{stack.base}/healthz", seconds=cfg.load_seconds,
                               connections=cfg.connections))
        predict.append(run_load(url, seconds=cfg.load_seconds, connections=cfg.connections,
                                body=body, headers=AUTH))
    rss_after = rss_mb(stack.api.pid)
    best_health = max(health, key=lambda r: r.rps)
    best_predict = max(predict, key=lambda r: r.rps)
    if any(r.errors for r in predict + health):
        report.note(f"non-2xx answers: {[r.errors for r in predict + health]}")
    tool = f"{best_predict.tool}, {cfg.connections} connections, {cfg.load_seconds:g} s runs"
    report.add("predict", "GET /healthz", best_health.rps, "req/s", note=tool)
    report.add("predict", "POST /predict, 1 row", best_predict.rps, "req/s", note=tool)
    report.add("predict", "predict ÷ healthz (req/s)", best_predict.rps / best_health.rps, "×",
               target=0.8)
    report.add("predict", "predict latency p50", best_predict.p50_ms, "ms")
    report.add("predict", "predict latency p99", best_predict.p99_ms, "ms")
    report.add("predict", "healthz latency p50", best_health.p50_ms, "ms")
    report.add("predict", "healthz latency p99", best_health.p99_ms, "ms")
    total = sum(r.requests for r in predict)
    report.add("predict", "API RSS before predictions", rss_before, "MB")
    report.add("predict", f"API RSS after {total:,} predictions", rss_after, "MB")
    report.add("predict", "API RSS growth", rss_after - rss_before, "MB", target=10.0,
               higher_is_better=False)


def bench_batch(stack: Stack, cfg: Config, report: Report) -> None:
    print("batch: 10,000 rows in one request, 64-32 model", flush=True)
    model_id, X = small_model(stack, report)
    url = f"{stack.base}/v1/models/{model_id}/predict"
    body = orjson.dumps({"inputs": np.resize(X, (10_000, X.shape[1])).tolist()})
    with stack.client() as client:  # check the answer, warm the path
        for _ in range(3):
            answer = client.post(url, content=body, headers={"Content-Type": "application/json"})
            if answer.status_code != 200:
                raise RuntimeError(f"batch predict failed: {answer.text[:300]}")
    assert len(answer.json()["predictions"]) == 10_000
    # One connection: each request waits for the previous answer, as one client would.
    runs = [run_load(url, seconds=cfg.load_seconds, connections=1, body=body, headers=AUTH)
            for _ in range(2)]
    best = max(runs, key=lambda r: r.rps)
    if best.errors:
        report.note(f"batch: {best.errors} non-2xx answers")
    report.add("batch", "10,000 rows: rows/s end to end", best.rps * 10_000, "rows/s",
               target=1_000_000, note=f"{best.tool}, 1 connection; request "
               f"{len(body) / MB:.2f} MB, answer {len(answer.content) / MB:.2f} MB")
    report.add("batch", "10,000 rows: latency p50", best.p50_ms, "ms")
    report.add("batch", "10,000 rows: latency p99", best.p99_ms, "ms")
    bench_batch_npy(stack, cfg, report, url, np.resize(X, (10_000, X.shape[1])))


def bench_batch_npy(
    stack: Stack, cfg: Config, report: Report, url: str, rows: np.ndarray
) -> None:
    """The same batch as one .npy array each way (wrk sends text bodies only: httpx here,
    one connection, each request after the previous answer)."""
    buffer = io.BytesIO()
    np.save(buffer, rows.astype(np.float32), allow_pickle=False)
    body = buffer.getvalue()
    headers = {"Content-Type": "application/x-npy", "Accept": "application/x-npy"}
    latencies: list[float] = []
    with stack.client() as client:
        for _ in range(5):  # warm the path, check the answer
            answer = client.post(url, content=body, headers=headers)
            if answer.status_code != 200:
                raise RuntimeError(f"npy batch predict failed: {answer.text[:300]}")
        deadline = time.perf_counter() + cfg.load_seconds
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            client.post(url, content=body, headers=headers).raise_for_status()
            latencies.append(time.perf_counter() - began)
    seconds = np.asarray(latencies)
    report.add("batch", "10,000 rows as .npy: rows/s end to end", len(rows) / seconds.mean(),
               "rows/s", target=1_000_000, note=f"httpx, 1 connection; request "
               f"{len(body) / MB:.2f} MB, answer {len(answer.content) / MB:.3f} MB")
    report.add("batch", "10,000 rows as .npy: latency p50", 1000 * np.median(seconds), "ms")
    report.add("batch", "10,000 rows as .npy: latency p99",
               1000 * np.percentile(seconds, 99), "ms")


# ---- 4, 5. jobs ----------------------------------------------------------------------------


TINY = {"max_iter": 1, "random_state": 0}


def bench_jobs(stack: Stack, cfg: Config, report: Report) -> None:
    print(f"jobs: submit → succeeded (SSE), {cfg.latency_jobs} tiny jobs", flush=True)
    X, y = iris()
    latencies = []
    with stack.client() as client:
        dataset = upload_json(client, X, y)
        for index in range(cfg.latency_jobs + 3):
            started = time.perf_counter()
            job_id = submit(client, dataset["id"], {**TINY, "random_state": index})
            status = follow_events(client, job_id)
            elapsed = time.perf_counter() - started
            if status != "succeeded":
                raise RuntimeError(f"tiny job {job_id} ended {status}")
            if index >= 3:  # warm-up
                latencies.append(elapsed * 1000)
    report.add("jobs", "tiny job submit → succeeded p50", percentile(latencies, 50), "ms",
               target=50, higher_is_better=False, note="iris, 1 epoch, client sees it by SSE")
    report.add("jobs", "tiny job submit → succeeded p99", percentile(latencies, 99), "ms")


def jobs_per_second(stack: Stack, dataset_id: str, n: int) -> float:
    with stack.client() as client:
        began = time.time()
        ids = [submit(client, dataset_id, {**TINY, "random_state": i}) for i in range(n)]
        last = max(timestamp(wait_job(client, job_id)["finished_at"]) for job_id in ids)
    return n / (last - began)


def bench_throughput(stack: Stack, cfg: Config, report: Report) -> None:
    n = cfg.throughput_jobs
    print(f"throughput: {n} tiny jobs, 1 then 2 workers", flush=True)
    X, y = iris()
    with stack.client() as client:
        dataset_id = upload_json(client, X, y)["id"]
    one = jobs_per_second(stack, dataset_id, n)
    report.add("throughput", f"{n} tiny jobs, 1 worker", one, "jobs/s")
    stack.workers.append(add_worker(stack.redis_url, "bench-worker-extra"))
    two = jobs_per_second(stack, dataset_id, n)
    report.add("throughput", f"{n} tiny jobs, 2 workers", two, "jobs/s")
    report.add("throughput", "2 workers ÷ 1 worker", two / one, "×",
               note="2 cores shared by the API, Redis, the client and the workers")


# ---- 6. datasets at the limit -----------------------------------------------------------------


def bench_datasets(stack: Stack, cfg: Config, report: Report) -> None:
    print("datasets: 25,000 × 800 uint8 (20,000,000 cells)", flush=True)
    assert stack.api is not None
    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, size=(25_000, 800), dtype=np.uint8)  # pixels, as MNIST ships them
    y = rng.integers(0, 10, size=25_000)
    blob = npz_bytes(X, y)
    client_redis = redis.Redis.from_url(stack.redis_url)
    redis_before = int(client_redis.info("memory")["used_memory"])
    before = rss_mb(stack.api.pid)
    reset_peak_rss(stack.api.pid)
    with stack.client() as client:
        dataset, secs = upload_npz(client, "pixels.npz", blob)
    peak, after = peak_rss_mb(stack.api.pid), rss_mb(stack.api.pid)
    redis_right_after = int(client_redis.info("memory")["used_memory"])
    assert dataset["n_samples"] * dataset["n_features"] == 20_000_000
    keys = TenantKeys(TENANT)
    stored = sum(
        int(client_redis.memory_usage(key) or 0)
        for key in (keys.dataset(dataset["id"]), keys.dataset_x(dataset["id"]),
                    keys.dataset_y(dataset["id"]))
    )
    report.add("datasets", f"upload 25,000×800 uint8 .npz ({len(blob) / MB:.0f} MB)", secs, "s",
               note=f"stored as {dataset.get('dtype', '?')} (bench/bigdata.py: MNIST-sized and up)")
    report.add("datasets", "API RSS growth during the upload (peak)", peak - before, "MB",
               note=f"{before:.0f} → {peak:.0f} MB, {after:.0f} MB after")
    report.add("datasets", "Redis memory of the stored dataset", stored / MB, "MB")
    report.add("datasets", "Redis memory growth right after the write",
               (redis_right_after - redis_before) / MB, "MB",
               note="the stored dataset + the write's query buffer, freed within seconds")


BENCHES: dict[str, Callable[[Stack, Config, Report], None]] = {
    "training": bench_training,
    "predict": bench_predict,
    "batch": bench_batch,
    "jobs": bench_jobs,
    "throughput": bench_throughput,
    "datasets": bench_datasets,
}


def main(argv: list[str]) -> int:
    args, chosen = bench_arguments(__doc__ or "", ALL, argv)
    cfg, report = Config(quick=args.quick), Report()
    url, private = bench_redis_url()
    print(f"service benchmarks against {url} ({'quick' if cfg.quick else 'full'} runs)", flush=True)
    try:
        with Stack(url) as stack:
            for name in chosen:
                BENCHES[name](stack, cfg, report)
    finally:
        if private is not None:
            private.close()
    if args.json:
        write_figures(args.json, report.figures, {"notes": report.notes})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
