"""Bigger data (issue 14): ingest, upload scaling, blob backends, training with 1 and 2 workers.

    python -m bench.bigdata [--quick] [--json PATH] [--only ingest,scaling,backends,training]
                            [--profile]

Real processes throughout, as in bench/service.py: a private redis-server (bench.harness), a
uvicorn API started per section with the settings that section needs, real Celery workers.
The data is MNIST-sized and MNIST-shaped: 60,000 × 784 uint8 pixels, ~19 % of them non-zero,
ten classes from a random linear teacher (learnable). Bodies are built before the clock starts;
each upload is timed on the client, request sent → answer read, over a warm keep-alive
connection. MB here is 10^6 bytes (throughput, body sizes); memory is in MiB.

  ingest    the 1× dataset as a JSON body, a CSV file and a uint8 .npz file: MB/s of request
            body (targets ≥ 50 MB/s JSON and CSV, ≥ 200 MB/s .npz), the API's peak RSS growth;
            also the API's steps timed in-process (multipart parse, service/ingest's parse
            function, the store's write), and with --profile the parses' cProfile and
            tracemalloc peak
  scaling   1×, 4× and 16× MNIST-sized uint8 .npz (60k, 240k, 960k rows; --quick: 1×, 4×):
            upload time, MB/s, the API's peak RSS growth, Redis memory of the stored dataset,
            on the default (Redis) blob store; a size Redis refuses is noted and measured
            again on file://
  backends  the 1× .npz with MLPFORGE_BLOB_URL=redis, file:// and s3:// (moto's server):
            upload time, Redis memory of the dataset's keys and used_memory growth
  training  784-256-128-10 adam on the 1× set with the service's default limits: 2 jobs
            back to back on 1 worker, 2 jobs at once on 2 workers (the machine's BLAS threads
            each, then 1 BLAS thread each), two rounds: samples/s and the 2 ÷ 1 ratios; test
            accuracy; and (not --quick) one job with scikit-learn's default params
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import io
import os
import pstats
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
import numpy as np
import orjson
import redis
from starlette.datastructures import UploadFile
from starlette.requests import Request

from bench.figures import write_figures
from bench.harness import (
    AUTH,
    add_worker,
    bench_arguments,
    bench_redis_url,
    peak_rss_mb,
    pool_process,
    reset_peak_rss,
    rss_mb,
    start_api,
)
from bench.reference import PARAMS as TRAIN_PARAMS
from bench.reference import blas_threads
from bench.service import Report, timestamp, worker_timings
from service.ingest import ParsedDataset
from store.datasets import Datasets
from tests.blob_servers import BACKENDS, S3Server, backend
from tests.processes import Process, start_worker

ALL = ("ingest", "scaling", "backends", "training")
MB = 1_000_000  # throughput and body sizes
MIB = 1024 * 1024
GIB = 1024 * MIB
N_ROWS, N_FEATURES, N_CLASSES = 60_000, 784, 10
# Raised limits for the sections that need them (each says so in a note).
BIG_BODY = {"MLPFORGE_MAX_BODY_BYTES": str(GIB), "MLPFORGE_MAX_UPLOAD_BYTES": str(GIB)}
BIG_CELLS = {"MLPFORGE_MAX_DATASET_CELLS": str(1_000_000_000)}
TARGET_MBS = {"JSON": 50.0, "CSV": 50.0, ".npz": 200.0}


@dataclass
class Config:
    quick: bool
    profile: bool = False
    ingest_repeats: int = 3
    scales: tuple[int, ...] = (1, 4, 16)
    backend_repeats: int = 2
    epochs: int = 3
    defaults_job: bool = True  # a job with scikit-learn's default params (up to 200 epochs)

    def __post_init__(self) -> None:
        if self.quick:
            self.ingest_repeats, self.scales, self.backend_repeats, self.epochs = 1, (1, 4), 1, 1
            self.defaults_job = False


# ---- data and bodies ------------------------------------------------------------------------


def pixels(n: int = N_ROWS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's shape and sparsity: uint8 pixels, ~19 % non-zero; labels from a linear teacher."""
    rng = np.random.default_rng(seed)
    lit = rng.random((n, N_FEATURES), dtype=np.float32) < 0.19
    X = np.where(lit, rng.integers(1, 256, size=(n, N_FEATURES), dtype=np.uint8), np.uint8(0))
    teacher = np.random.default_rng(1234).normal(size=(N_FEATURES, N_CLASSES)).astype(np.float32)
    centred = X.astype(np.float32) - np.float32(0.19 * 128)
    y = np.argmax(centred @ teacher, axis=1).astype(np.int64)
    return X, y


def npz_bytes(X: np.ndarray, y: np.ndarray) -> bytes:
    """np.savez (uncompressed), as a user writes it."""
    buffer = io.BytesIO()
    np.savez(buffer, X=X, y=y)
    return buffer.getvalue()


def json_body(X: np.ndarray, y: np.ndarray) -> bytes:
    """{"features": [[...], ...], "targets": [...]}: the same bytes as ``X.tolist()`` dumped."""
    return orjson.dumps({"name": "mnist-sized", "features": X, "targets": y},
                        option=orjson.OPT_SERIALIZE_NUMPY)


def csv_bytes(X: np.ndarray, y: np.ndarray) -> bytes:
    """A header row, then the uint8 pixels and the label (the last column, the default target)
    in decimal; built with a lookup table (np.savetxt takes ~30 s for 47 M cells)."""
    cells = np.concatenate([X, y.astype(np.uint8)[:, None]], axis=1)
    table = np.zeros((256, 4), dtype=np.uint8)
    last = np.zeros((256, 4), dtype=np.uint8)
    lengths = np.zeros(256, dtype=np.int64)
    for value in range(256):
        text = str(value).encode()
        table[value, : len(text) + 1] = list(text + b",")
        last[value, : len(text) + 1] = list(text + b"\n")
        lengths[value] = len(text) + 1
    chars = table[cells]
    chars[:, -1] = last[cells[:, -1]]
    keep = np.arange(4) < lengths[cells][..., None]
    header = ",".join([*(f"px{i}" for i in range(X.shape[1])), "label"]) + "\n"
    return header.encode() + chars[keep].tobytes()


def multipart(filename: str, data: bytes | memoryview) -> tuple[bytes, str]:
    """The multipart/form-data body of one file field ``file``, and its Content-Type."""
    boundary = secrets.token_hex(16)
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
        f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return b"".join([head, data, f"\r\n--{boundary}--\r\n".encode()]), (
        f"multipart/form-data; boundary={boundary}"
    )


def free() -> None:
    gc.collect()


# ---- processes and measurements ------------------------------------------------------------


@contextmanager
def api(redis_url: str, **env: str) -> Iterator[tuple[Process, httpx.Client]]:
    """An API with ``env`` on top of the bench's (keys, no rate limit in reach), and a client
    whose connection is already open."""
    proc, base = start_api(redis_url, workers=1, **env)
    try:
        with httpx.Client(base_url=base, headers=AUTH, timeout=900) as client:
            client.get("/healthz").raise_for_status()
            yield proc, client
    finally:
        proc.stop()


def used_memory(r: redis.Redis) -> int:
    return int(r.info("memory")["used_memory"])


def settled_memory(r: redis.Redis, wait: float = 2.5) -> int:
    """used_memory once the write's query buffers are freed (Redis frees a client's buffer
    after it has been idle 2 s), read until two readings agree within 64 KiB."""
    time.sleep(wait)
    last = used_memory(r)
    for _ in range(20):
        time.sleep(0.5)
        now = used_memory(r)
        if abs(now - last) < 64 * 1024:
            return now
        last = now
    return last


def keys_memory(r: redis.Redis, dataset_id: str) -> tuple[int, list[str]]:
    """MEMORY USAGE of every key naming the dataset (record, X, y, w)."""
    names = sorted(k.decode() for k in r.scan_iter(match=f"*{dataset_id}*", count=1000))
    return sum(int(r.memory_usage(name, samples=0) or 0) for name in names), names


SEND_SLICE = 1024 * 1024


def post_body(client: httpx.Client, url: str, body: bytes, content_type: str) -> httpx.Response:
    """POST ``body`` in 1 MiB slices of one memoryview, with its Content-Length.

    Given one large ``bytes``, httpcore's socket loop re-slices the unsent rest after every
    send(), copying it: quadratic in the body (a 760 MB body took ~50 s, mostly that copying,
    and a 108 MB one ~1 s). Slices of a memoryview are never copied.
    """
    view = memoryview(body)
    slices = (view[start : start + SEND_SLICE] for start in range(0, len(view), SEND_SLICE))
    # httpx types the content as bytes; it only takes len() of each part and sends it.
    return client.post(url, content=cast(Iterable[bytes], slices),
                       headers={"Content-Type": content_type, "Content-Length": str(len(body))})


class UploadFailed(RuntimeError):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"{status}: {text[:400]}")
        self.status = status


@dataclass
class Upload:
    seconds: float
    body_bytes: int
    api_before_mib: float
    api_peak_growth_mib: float
    redis_keys_bytes: int
    redis_growth_bytes: int  # used_memory, settled, minus before
    dataset: dict[str, Any]

    @property
    def mb_per_s(self) -> float:
        return self.body_bytes / MB / self.seconds


def upload(
    client: httpx.Client, api_proc: Process, r: redis.Redis, body: bytes, content_type: str,
    *, redis_memory: bool = True, keep: bool = False,
) -> Upload:
    """POST /v1/datasets with ``body``; the dataset is deleted afterwards unless ``keep``."""
    before = used_memory(r)
    rss_before = rss_mb(api_proc.pid)
    reset_peak_rss(api_proc.pid)
    started = time.perf_counter()
    answer = post_body(client, "/v1/datasets", body, content_type)
    seconds = time.perf_counter() - started
    peak = peak_rss_mb(api_proc.pid)
    if answer.status_code != 201:
        raise UploadFailed(answer.status_code, answer.text)
    dataset = dict(answer.json())
    stored, _ = keys_memory(r, dataset["id"])
    growth = settled_memory(r) - before if redis_memory else 0
    if not keep:
        client.delete(f"/v1/datasets/{dataset['id']}").raise_for_status()
        if redis_memory:
            settled_memory(r, wait=0.5)
    return Upload(seconds, len(body), rss_before, peak - rss_before, stored, growth, dataset)


def load_text() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


# ---- 1. ingest ------------------------------------------------------------------------------


def bench_ingest(redis_url: str, cfg: Config, report: Report) -> None:
    print(f"ingest: {N_ROWS:,} × {N_FEATURES} as JSON, CSV and uint8 .npz", flush=True)
    X, y = pixels()
    bodies: dict[str, tuple[bytes, str]] = {
        "JSON": (json_body(X, y), "application/json"),
        "CSV": multipart("mnist.csv", csv_bytes(X, y)),
        ".npz": multipart("mnist.npz", npz_bytes(X, y)),
    }
    del X, y
    free()
    r = redis.Redis.from_url(redis_url)
    report.note(
        "ingest: the API runs with MLPFORGE_MAX_BODY_BYTES and MLPFORGE_MAX_UPLOAD_BYTES raised "
        f"to 1 GiB (defaults 64 MiB and 256 MiB): the JSON body is "
        f"{len(bodies['JSON'][0]) / MB:.0f} MB; the dataset limit stays at its default"
    )
    g = "ingest"
    with api(redis_url, **BIG_BODY) as (proc, client):
        for kind, (body, content_type) in bodies.items():
            runs = [upload(client, proc, r, body, content_type, redis_memory=False)
                    for _ in range(cfg.ingest_repeats)]
            speeds = [u.mb_per_s for u in runs]
            mid = statistics.median(speeds)
            label = f"{kind} 1× ({len(body) / MB:.0f} MB body)"
            report.add(g, f"{label}: MB/s", mid, "MB/s", target=TARGET_MBS[kind],
                       note=f"median of {', '.join(f'{s:.1f}' for s in speeds)}; "
                       f"{len(body) / MB / mid:.2f} s per upload")
            stored = runs[0].dataset.get("dtype")
            report.note(f"ingest: {kind} dataset stored as {stored} X")
            worst = max(runs, key=lambda u: u.api_peak_growth_mib)
            report.add(g, f"{label}: API peak RSS growth", worst.api_peak_growth_mib, "MiB",
                       note=f"the most of {len(runs)} uploads; API at "
                       f"{worst.api_before_mib:.0f} MiB before")
    in_process(redis_url, bodies, cfg, report)


def in_process(
    redis_url: str, bodies: dict[str, tuple[bytes, str]], cfg: Config, report: Report
) -> None:
    """The API's work on each body, step by step in this process (no HTTP), best of
    ``ingest_repeats``: the multipart form parse (Starlette, 256 KiB chunks as uvicorn hands
    them over), the parse function of service/ingest, and the store's write (sha256, the
    Redis transaction). With --profile: cProfile of the JSON and CSV parses, and the
    tracemalloc peak of each parse."""
    from service.ingest import (
        IngestLimits,
        parse_csv_dataset,
        parse_json_dataset,
        parse_npz_dataset,
    )
    from store.keys import TenantKeys

    limits = IngestLimits(max_cells=100_000_000, max_label_chars=256, max_classes=1000)
    parsers: dict[str, Callable[[bytes], ParsedDataset]] = {
        "JSON": lambda data: parse_json_dataset(data, limits=limits)[0],
        "CSV": lambda data: parse_csv_dataset(data, target=None, limits=limits),
        ".npz": lambda data: parse_npz_dataset(data, limits=limits),
    }
    datasets = Datasets(redis.Redis.from_url(redis_url), TenantKeys("bench-in-process"))
    for kind, parse in parsers.items():
        body, content_type = bodies[kind]
        steps_in_process(kind, parse, body, content_type, datasets, cfg, report)
        free()


def best_of(repeats: int, step: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - started)
    return min(times), result


def steps_in_process(
    kind: str, parse: Callable[[bytes], ParsedDataset], body: bytes, content_type: str,
    datasets: Datasets, cfg: Config, report: Report,
) -> None:
    g, repeats = "ingest", cfg.ingest_repeats
    data = body
    if kind != "JSON":
        seconds, data = best_of(repeats, lambda: form_file_sync(body, content_type))
        report.add(g, f"{kind}: multipart form parse in-process", seconds, "s",
                   note=f"Starlette request.form() + read, {len(body) / MB / seconds:.0f} MB/s")
    seconds, parsed = best_of(repeats, lambda: parse(data))
    report.add(g, f"{kind}: parse function in-process", len(data) / MB / seconds, "MB/s",
               note=f"service/ingest alone; best {seconds:.3f} s")

    def store() -> None:
        record = datasets.create(
            X=parsed.X, y=parsed.y, name=kind, feature_names=parsed.feature_names,
            target_name=parsed.target_name, target_kind=parsed.target_kind,
            classes=parsed.classes)
        datasets.delete(record.id)

    seconds, _ = best_of(repeats, store)
    report.add(g, f"{kind}: store write in-process", seconds, "s",
               note=f"Datasets.create (sha256, Redis MULTI) of {parsed.X.dtype} X, "
               f"{parsed.X.nbytes / MB:.0f} MB; then deleted")
    if not cfg.profile:
        return
    tracemalloc.start()
    parse(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"\n--- {kind} parse: tracemalloc peak {peak / MIB:.0f} MiB for "
          f"{len(data) / MB:.0f} MB of input ---", flush=True)
    if kind != ".npz":
        profiler = cProfile.Profile()
        profiler.runcall(parse, data)
        print(f"--- cProfile of the {kind} parse (tottime, top 15) ---", flush=True)
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def form_file_sync(body: bytes, content_type: str) -> bytes:
    """form_file on an event loop of its own. The file comes back through a list: returned by
    the coroutine, asyncio.run's task would repr() it whole once (~0.6 s for 48 MB)."""
    found: list[bytes] = []
    asyncio.run(form_file(body, content_type, found))
    return found[0]


async def form_file(body: bytes, content_type: str, into: list[bytes]) -> None:
    """The file of a multipart body, as the datasets route reads it. In 256 KiB chunks: what
    uvicorn (httptools, uvloop) handed the route in a profiled upload (1,275 parser writes for
    three 108 MB bodies); in 64 KiB chunks the same parse takes twice as long, in 16 KiB ten
    times, as Starlette writes each chunk to its spooled file through a worker thread."""
    chunk = 256 * 1024
    view = memoryview(body)
    offsets = iter(range(0, len(body), chunk))

    async def receive() -> dict[str, Any]:
        start = next(offsets, None)
        if start is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": bytes(view[start : start + chunk]),
                "more_body": True}

    scope = {"type": "http", "method": "POST", "path": "/v1/datasets", "query_string": b"",
             "headers": [(b"content-type", content_type.encode())]}
    form = await Request(scope, receive).form(max_files=1, max_fields=8)
    upload = form.get("file")
    assert isinstance(upload, UploadFile)
    into.append(await upload.read())
    await form.close()


# ---- 2. scaling -----------------------------------------------------------------------------


def scaled_body(scale: int) -> tuple[bytes, str]:
    """The 1× set repeated ``scale`` times, as a multipart .npz upload."""
    X, y = pixels()
    data = npz_bytes(np.tile(X, (scale, 1)), np.tile(y, scale))
    del X, y
    free()
    return multipart(f"mnist-x{scale}.npz", data)


def bench_scaling(redis_url: str, cfg: Config, report: Report) -> None:
    """Each size on the default (Redis) blob store; a size Redis refuses is noted and measured
    again with MLPFORGE_BLOB_URL=file://."""
    print(f"scaling: {', '.join(f'{s}×' for s in cfg.scales)} MNIST-sized uint8 .npz", flush=True)
    r = redis.Redis.from_url(redis_url)
    report.note(
        "scaling: the API runs with MLPFORGE_MAX_DATASET_CELLS raised to 1,000,000,000 (default "
        "100,000,000: 4× is 188 M cells, 16× 753 M) and MLPFORGE_MAX_UPLOAD_BYTES and "
        "MLPFORGE_MAX_BODY_BYTES to 1 GiB (16× is a 753 MB file; default 256 MiB for files)"
    )
    refused: list[int] = []
    with api(redis_url, **BIG_BODY, **BIG_CELLS) as (proc, client):
        for scale in cfg.scales:
            body, content_type = scaled_body(scale)
            label = scale_label(scale, body)
            try:
                done = upload(client, proc, r, body, content_type)
            except UploadFailed as failure:
                report.note(f"scaling {label} on the Redis blob store: {failure}")
                refused.append(scale)
            else:
                scale_figures(report, label, "redis", done, len(body))
            del body
            free()
    if not refused:
        return
    with tempfile.TemporaryDirectory(prefix="mlpforge-bench-blobs-") as folder:
        env = {"MLPFORGE_BLOB_URL": f"file://{folder}", **BIG_BODY, **BIG_CELLS}
        with api(redis_url, **env) as (proc, client):
            for scale in refused:
                body, content_type = scaled_body(scale)
                label = scale_label(scale, body)
                scale_figures(report, label, "file", upload(client, proc, r, body, content_type),
                              len(body))
                del body
                free()


def sized(size: float) -> tuple[float, str]:
    """Bytes as MiB from 1 MiB up, else as KiB."""
    return (size / MIB, "MiB") if abs(size) >= MIB else (size / 1024, "KiB")


def scale_label(scale: int, body: bytes) -> str:
    return f"{scale}× ({N_ROWS * scale:,} rows, {len(body) / MB:.0f} MB)"


def scale_figures(report: Report, label: str, store: str, done: Upload, size: int) -> None:
    g, where = "scaling", f" [{store} blob store]"
    report.add(g, f"{label}: upload{where}", done.seconds, "s", note=f"{done.mb_per_s:.0f} MB/s")
    report.add(g, f"{label}: upload MB/s{where}", done.mb_per_s, "MB/s", target=200.0)
    report.add(g, f"{label}: API peak RSS growth{where}", done.api_peak_growth_mib, "MiB",
               note=f"{done.api_peak_growth_mib / (size / MIB):.1f}× the body; "
               f"API at {done.api_before_mib:.0f} MiB before")
    value, unit = sized(done.redis_keys_bytes)
    report.add(g, f"{label}: Redis memory of the dataset's keys{where}", value, unit,
               note=f"used_memory {done.redis_growth_bytes / MIB:+.1f} MiB, settled")


# ---- 3. blob backends -----------------------------------------------------------------------


def bench_backends(redis_url: str, cfg: Config, report: Report) -> None:
    print("backends: the 1× .npz on MLPFORGE_BLOB_URL=redis, file://, s3:// (moto)", flush=True)
    X, y = pixels()
    body, content_type = multipart("mnist.npz", npz_bytes(X, y))
    del X, y
    free()
    r = redis.Redis.from_url(redis_url)
    g = "backends"
    s3 = S3Server()
    try:
        with tempfile.TemporaryDirectory(prefix="mlpforge-bench-blobs-") as folder:
            for kind in BACKENDS:
                place = backend(kind, Path(folder) / kind, s3)
                with api(redis_url, **place.env) as (proc, client):
                    runs = [upload(client, proc, r, body, content_type)
                            for _ in range(cfg.backend_repeats)]
                best = min(runs, key=lambda u: u.seconds)
                stored = max(u.redis_keys_bytes for u in runs)
                growth = statistics.median(u.redis_growth_bytes for u in runs)
                where = {"redis": "MLPFORGE_BLOB_URL=redis", "file": "file:// temporary folder",
                         "s3": "s3:// on moto's server"}[kind]
                report.add(g, f"{kind} ({where}): upload 1× .npz", best.seconds, "s",
                           note=f"{best.mb_per_s:.0f} MB/s, best of {len(runs)}")
                value, unit = sized(stored)
                report.add(g, f"{kind}: Redis memory of the dataset's keys", value, unit,
                           target=None if kind == "redis" else 16.0, higher_is_better=False,
                           note="record, X and y" if kind == "redis" else "the record only")
                value, unit = sized(growth)
                report.add(g, f"{kind}: Redis used_memory growth per dataset", value, unit,
                           note="settled (query buffers freed); a few KiB either way is noise")
                report.add(g, f"{kind}: API peak RSS growth", best.api_peak_growth_mib, "MiB")
    finally:
        s3.stop()


# ---- 4. training ----------------------------------------------------------------------------


def job_params(epochs: int, seed: int) -> dict[str, Any]:
    return {**TRAIN_PARAMS, "max_iter": epochs, "random_state": seed}


def wait_all(client: httpx.Client, ids: list[str], timeout: float = 900) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    done: dict[str, dict[str, Any]] = {}
    while len(done) < len(ids):
        if time.monotonic() > deadline:
            raise TimeoutError(f"jobs {ids} did not finish in {timeout} s")
        for job_id in ids:
            if job_id in done:
                continue
            job = client.get(f"/v1/jobs/{job_id}").json()
            if job["status"] in {"succeeded", "failed", "cancelled"}:
                if job["status"] != "succeeded":
                    raise RuntimeError(f"job {job_id} ended {job['status']}: {job.get('error')}")
                done[job_id] = job
        time.sleep(0.25)
    return [done[i] for i in ids]


@dataclass
class TrainingRun:
    seconds: float  # first started_at → last finished_at
    samples: int
    jobs: list[dict[str, Any]]
    worker_peak_mib: float
    phases: list[dict[str, float]]

    @property
    def rate(self) -> float:
        return self.samples / self.seconds


def train_jobs(
    redis_url: str, client: httpx.Client, bodies: list[dict[str, Any]], *,
    n_workers: int, blas: int | None,
) -> TrainingRun:
    """Start ``n_workers`` workers (``blas`` BLAS threads each; None: the machine's, as
    `make worker` has), submit the jobs at once, and time them from the first start to the
    last finish; the workers are stopped afterwards."""
    workers: list[Process] = []
    try:
        for index in range(n_workers):
            name = f"bench-bigdata-worker-{index}"
            if blas is None:
                workers.append(add_worker(redis_url, name))
            else:
                threads = str(blas)
                workers.append(start_worker(redis_url, name=name, OPENBLAS_NUM_THREADS=threads,
                                            OMP_NUM_THREADS=threads))
        ids = []
        for body in bodies:
            answer = client.post("/v1/jobs", json=body)
            if answer.status_code != 202:
                raise RuntimeError(f"job refused: {answer.status_code} {answer.text[:300]}")
            ids.append(str(answer.json()["id"]))
        jobs = wait_all(client, ids)
        peak = max(peak_rss_mb(pool_process(w)) for w in workers)
        phases = []
        for job in jobs:
            for worker in workers:
                found = worker_timings(worker.log_path, job["id"])
                if found:
                    phases.append(found)
                    break
    finally:
        for worker in workers:
            with suppress(Exception):
                worker.stop()
    started = min(timestamp(j["started_at"]) for j in jobs)
    finished = max(timestamp(j["finished_at"]) for j in jobs)
    epochs = sum(len(history(client, j)) for j in jobs)
    return TrainingRun(finished - started, epochs * N_ROWS, jobs, peak, phases)


def history(client: httpx.Client, job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(client.get(f"/v1/jobs/{job['id']}/metrics").json()["history"])


def accuracy_of(job: dict[str, Any], split: str) -> float:
    return float(((job.get("evaluation") or {}).get(split) or {}).get("accuracy", float("nan")))


def bench_training(redis_url: str, cfg: Config, report: Report) -> None:
    epochs = cfg.epochs
    print(f"training: {N_ROWS:,} × {N_FEATURES} uint8, 784-256-128-10 adam, {epochs} epochs, "
          "2 jobs on 1 and on 2 workers", flush=True)
    X, y = pixels()
    X_test, y_test = pixels(10_000, seed=7)
    train_body, content_type = multipart("mnist-train.npz", npz_bytes(X, y))
    test_body, test_type = multipart("mnist-test.npz", npz_bytes(X_test, y_test))
    del X, y, X_test, y_test
    free()
    g = "training"
    threads = blas_threads()
    # The service's default limits: an MNIST-sized .npz is accepted as it is.
    with api(redis_url) as (_, client):
        answer = post_body(client, "/v1/datasets", train_body, content_type)
        if answer.status_code != 201:
            raise RuntimeError(f"default limits refused the 1× .npz: {answer.text[:300]}")
        dataset_id = str(answer.json()["id"])
        test = post_body(client, "/v1/datasets", test_body, test_type)
        test.raise_for_status()
        test_id = str(test.json()["id"])
        del train_body, test_body
        free()

        def pair(with_test: bool) -> list[dict[str, Any]]:
            return [{"dataset_id": dataset_id, "task": "classification",
                     "params": job_params(epochs, seed),
                     **({"test_dataset_id": test_id} if with_test and seed == 0 else {})}
                    for seed in range(2)]

        configs: list[tuple[str, int, int | None]] = [
            (f"1 worker, {threads} BLAS threads: 2 jobs back to back", 1, None),
            (f"2 workers, {threads} BLAS threads each: 2 jobs at once", 2, None),
            ("1 worker, 1 BLAS thread: 2 jobs back to back", 1, 1),
            ("2 workers, 1 BLAS thread each: 2 jobs at once", 2, 1),
        ]
        # Rounds in opposite orders, so that the shared machine's drifting load falls on
        # each configuration alike; each configuration's best round counts.
        order = list(range(len(configs)))
        rounds = [order] if cfg.quick else [order, order[::-1]]
        runs: dict[int, list[TrainingRun]] = {i: [] for i in order}
        for number, indices in enumerate(rounds):
            for index in indices:
                label, n_workers, blas = configs[index]
                print(f"  {label} (load {load_text()})", flush=True)
                runs[index].append(train_jobs(redis_url, client, pair(number == 0 and index == 0),
                                              n_workers=n_workers, blas=blas))
        best = {i: max(runs[i], key=lambda run: run.rate) for i in order}
        for index, (label, _, _) in enumerate(configs):
            run = best[index]
            epoch_secs = [h["seconds"] for j in run.jobs for h in history(client, j)]
            loads = [p.get("load_dataset", 0.0) for p in run.phases]
            report.add(g, f"{label}: samples/s", run.rate, "samples/s",
                       note=f"best of {', '.join(f'{r.rate:,.0f}' for r in runs[index])}; "
                       f"{run.seconds:.2f} s first start → last finish; epochs "
                       f"{min(epoch_secs):.2f}–{max(epoch_secs):.2f} s; dataset load "
                       + ", ".join(f"{s * 1000:.0f} ms" for s in loads))
        first = runs[0][0]
        report.add(g, f"default limits: MNIST-sized 784-256-128-10 test accuracy ({epochs} "
                   "epochs)", accuracy_of(first.jobs[0], "test"), "",
                   note=f"job succeeded; 10,000 held-out rows; train accuracy "
                   f"{accuracy_of(first.jobs[0], 'train'):.3f}; uploaded with the default "
                   "MLPFORGE_MAX_DATASET_CELLS and body limits")
        report.add(g, "worker peak RSS (pool process, 1 worker)", first.worker_peak_mib, "MiB",
                   note="47 MB uint8 dataset, 784-256-128-10 adam")
        for one, two, what in ((0, 1, f"{threads} BLAS threads"), (2, 3, "1 BLAS thread")):
            report.add(g, f"2 ÷ 1 worker ({what} per worker)", best[two].rate / best[one].rate,
                       "×")
        report.add(g, "best 2-worker ÷ best 1-worker", max(best[1].rate, best[3].rate)
                   / max(best[0].rate, best[2].rate), "×")
        if cfg.defaults_job:
            print(f"  default params, 1 worker, 1 BLAS thread (load {load_text()})", flush=True)
            body = {"dataset_id": dataset_id, "task": "classification", "params": {},
                    "test_dataset_id": test_id}
            run = train_jobs(redis_url, client, [body], n_workers=1, blas=1)
            job = run.jobs[0]
            report.add(g, "default params (scikit-learn's: 100 relu, adam, ≤ 200 epochs): "
                       "test accuracy", accuracy_of(job, "test"), "",
                       note=f"job succeeded in {run.seconds:.1f} s, {run.samples // N_ROWS} "
                       f"epochs (converged: {job.get('converged')}); train accuracy "
                       f"{accuracy_of(job, 'train'):.3f}; 1 BLAS thread")


BENCHES: dict[str, Callable[[str, Config, Report], None]] = {
    "ingest": bench_ingest,
    "scaling": bench_scaling,
    "backends": bench_backends,
    "training": bench_training,
}


def main(argv: list[str]) -> int:
    args, chosen = bench_arguments(__doc__ or "", ALL, argv, profile=True)
    cfg, report = Config(quick=args.quick, profile=args.profile), Report()
    url, private = bench_redis_url()
    began = time.monotonic()
    print(f"bigger-data benchmarks against {url} ({'quick' if cfg.quick else 'full'} runs); "
          f"load average {load_text()}", flush=True)
    report.note(f"load average at start: {load_text()}")
    try:
        for name in chosen:
            BENCHES[name](url, cfg, report)
            free()
    finally:
        if private is not None:
            private.close()
    report.note(f"load average at end: {load_text()}; {time.monotonic() - began:.0f} s in all")
    if args.json:
        write_figures(args.json, report.figures, {"notes": report.notes})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
