from __future__ import annotations

import shutil
import subprocess
from types import ModuleType

import numpy as np
import pytest


@pytest.fixture
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """120 samples, 5 features, 3 separable-ish classes with string labels."""
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 3, (3, 5))
    y = rng.integers(0, 3, 120)
    X = centers[y] + rng.normal(0, 1.0, (120, 5))
    return X, np.array(["ant", "bee", "cat"])[y]


@pytest.fixture
def linear() -> tuple[np.ndarray, np.ndarray]:
    """100 samples, 4 features, a noisy linear target with a large offset."""
    rng = np.random.default_rng(1)
    X = rng.normal(0, 1, (100, 4)) * [1, 10, 100, 0.1]
    y = X @ np.array([1.0, 0.2, 0.01, 5.0]) + 50 + rng.normal(0, 0.1, 100)
    return X, y


def _gpu_present() -> bool:
    """Whether this machine has an NVIDIA GPU, asked without CuPy."""
    if shutil.which("nvidia-smi") is None:
        return False
    try:
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return listed.returncode == 0 and "GPU" in listed.stdout


def cupy_or_skip() -> ModuleType:
    """CuPy with a usable device; a skip only where there is no GPU (a GPU that CuPy cannot
    use is a failure, never a skip)."""
    try:
        import cupy  # type: ignore[import-not-found]

        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as error:  # not installed, no driver, no device
        if _gpu_present():
            pytest.fail(f"this machine has a GPU but CuPy cannot use it: {error!r}")
        pytest.skip("no GPU here (CuPy tests run where one is)")
    if count < 1:
        if _gpu_present():
            pytest.fail("this machine has a GPU but CuPy sees none")
        pytest.skip("no GPU here (CuPy tests run where one is)")
    return cupy  # type: ignore[no-any-return]


@pytest.fixture(params=["strict", "cupy"])
def device_xp(request: pytest.FixtureRequest) -> ModuleType:
    """A device array module: the CPU stand-in (always) and CuPy (where there is a GPU)."""
    if request.param == "cupy":
        return cupy_or_skip()
    from tests.engine.strict_xp import MODULE

    return MODULE
