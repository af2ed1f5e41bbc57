"""A "gpu" job is never trained on the CPU behind its back; "auto" follows the GPU workers.

A real worker consuming the gpu queue on this machine, which has no usable GPU: it stands for
a GPU host whose CUDA device went missing.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from mlpforge.redis_server import RedisServer
from mlpforge.settings import Settings
from service.app import create_app
from tests.e2e.helpers import blobs, stored, submit, upload_json, wait_for
from tests.processes import start_worker
from worker.device import device_for

SMALL = {"hidden_layer_sizes": [4], "max_iter": 3}


def _gpu_here() -> bool:
    try:
        return device_for("auto") == "gpu"
    except Exception:
        return False


@pytest.mark.skipif(_gpu_here(), reason="this machine has a usable GPU")
def test_a_gpu_worker_without_a_gpu_fails_gpu_jobs_and_trains_auto_ones_on_the_cpu(
    isolated_redis: RedisServer,
) -> None:
    worker = start_worker(isolated_redis.url, queues="gpu", name="gpu-without-gpu")
    try:
        with TestClient(create_app(Settings(redis_url=isolated_redis.url))) as client:
            X, y = blobs(60)
            dataset = upload_json(client, X, y)  # type: ignore[arg-type]
            gpu = submit(client, dataset["id"], device="gpu", params=SMALL)  # type: ignore[arg-type]
            auto = submit(client, dataset["id"], device="auto", params=SMALL)  # type: ignore[arg-type]
            # A GPU worker beats: no warning, and "auto" is routed to it.
            url = isolated_redis.url
            assert (stored(url, gpu["id"]).queue, gpu["warnings"]) == ("gpu", [])
            assert stored(url, auto["id"]).queue == "gpu"
            failed = wait_for(client, gpu["id"], timeout=60)  # type: ignore[arg-type]
            done = wait_for(client, auto["id"], timeout=60)  # type: ignore[arg-type]
        assert failed["status"] == "failed", failed
        assert failed["error"]["type"] == "DeviceUnavailable"
        assert "asks for a GPU" in failed["error"]["message"]
        assert "never trained on the CPU" in failed["error"]["message"]
        assert failed["model_id"] is None and failed["epoch"] == 0
        assert done["status"] == "succeeded", done
        assert (done["device"], done["requested_device"]) == ("cpu", "auto")
    finally:
        worker.stop()
