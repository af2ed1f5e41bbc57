# syntax=docker/dockerfile:1
# mlpforge's images, one Dockerfile, two targets:
#   docker build --target cpu -t mlpforge:cpu .   the API, the CPU workers and Flower (default)
#   docker build --target gpu -t mlpforge:gpu .   a GPU worker (CuPy + CUDA from PyPI)
# Every Python package is pinned by constraints.txt (regenerate: python -m tests.deploy.lock)
# and installed from wheels only; the runtime stages hold the base image's Python and one
# virtualenv, no compiler, no pip, and run as an unprivileged user.
#
# GPU: CuPy's CUDA libraries come from PyPI (cupy-cuda12x[ctk]: the nvidia-* wheels of CUDA
# 12.9) rather than from an nvidia/cuda base image: both targets then share one slim Python
# base, the very Python 3.11 the test suite runs on (the CUDA images are Ubuntu's, with
# another Python to install), and constraints.txt pins the CUDA libraries like every other
# package. The host needs only the NVIDIA driver (any CUDA 12 driver, >= 525) and the NVIDIA
# Container Toolkit.

# ---- shared base: the Python both the builder and the runtime stages use ------------------
FROM python:3.11-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# ---- builder: pinned build tools, an empty virtualenv, the requirement lists ---------------
FROM base AS builder
WORKDIR /src
COPY constraints.txt pyproject.toml ./
# The image's own pip and setuptools are whatever the base came with: pin them first. Then the
# requirements of each target, read from pyproject.toml: the dependencies and its extras.
ARG CPU_EXTRAS=monitoring
ARG GPU_EXTRAS=gpu
RUN <<'EOF'
set -eu
python -m pip install --no-cache-dir --constraint constraints.txt pip setuptools
python -m venv --without-pip /opt/venv
python - "$CPU_EXTRAS" "$GPU_EXTRAS" <<'PY'
import sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
for target, extras in zip(("cpu", "gpu"), sys.argv[1:]):
    wanted = [extra for extra in extras.split(",") if extra]
    extra_requirements = [r for e in wanted for r in project["optional-dependencies"][e]]
    with open(f"requirements-{target}.txt", "w") as out:
        out.write("\n".join(project["dependencies"] + extra_requirements) + "\n")
PY
EOF

# The project's own wheel (its dependencies are installed separately below).
FROM builder AS wheel
COPY README.md ./
COPY mlpforge ./mlpforge
COPY engine ./engine
COPY store ./store
COPY service ./service
COPY worker ./worker
RUN python -m pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels .

# ---- one virtualenv per target: the dependencies first (a layer that only pyproject.toml
# and constraints.txt invalidate, not every code change), then the project alone. Flower
# (the `monitoring` extra) is built into the CPU image: the compose file's flower service
# runs it from there, so nothing is installed when a container starts.
FROM builder AS venv-cpu
RUN python -m pip --python /opt/venv/bin/python install --no-cache-dir --only-binary=:all: \
        --constraint constraints.txt --requirement requirements-cpu.txt
COPY --from=wheel /wheels /wheels
RUN python -m pip --python /opt/venv/bin/python install --no-cache-dir --no-deps /wheels/*.whl \
    && python -m pip --python /opt/venv/bin/python check

FROM builder AS venv-gpu
RUN python -m pip --python /opt/venv/bin/python install --no-cache-dir --only-binary=:all: \
        --constraint constraints.txt --requirement requirements-gpu.txt
COPY --from=wheel /wheels /wheels
RUN python -m pip --python /opt/venv/bin/python install --no-cache-dir --no-deps /wheels/*.whl \
    && python -m pip --python /opt/venv/bin/python check

# ---- runtime: the base Python, an unprivileged user, nothing else --------------------------
FROM base AS runtime
LABEL org.opencontainers.image.title="mlpforge" \
      org.opencontainers.image.description="Training-as-a-service for multi-layer perceptrons" \
      org.opencontainers.image.licenses="MIT"
# The base's own pip and setuptools go: nothing installs at run time.
RUN python -m pip uninstall --no-cache-dir --yes pip setuptools wheel \
    && groupadd --system --gid 10001 mlpforge \
    && useradd --system --uid 10001 --gid mlpforge --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin mlpforge
ENV PATH=/opt/venv/bin:$PATH
# Containers log JSON lines for the log collector (mlpforge.logging_setup); set
# MLPFORGE_LOG_FORMAT=text to read them as `make run` prints them.
ENV MLPFORGE_LOG_FORMAT=json
# Nothing of the source tree is needed: the project is installed in /opt/venv.
WORKDIR /app

# ---- gpu: a Celery worker on the gpu queue ------------------------------------------------
FROM runtime AS gpu
COPY --from=venv-gpu /opt/venv /opt/venv
# What the NVIDIA Container Toolkit mounts: the driver's compute libraries (which GPUs, the
# compose file's device reservation says; the image claims none by itself). CuPy caches the
# kernels it compiles: /tmp is writable even with a read-only root file system.
ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    CUPY_CACHE_DIR=/tmp/cupy-kernel-cache
USER 10001:10001
# Healthy while this container's worker beats in Redis (store.workers, every ~3 s).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "worker.healthcheck"]
# Prefork with one child, not --pool solo: see the worker-gpu service of docker-compose.yml.
CMD ["celery", "-A", "worker.celery_app:app", "worker", "--loglevel", "INFO", \
     "--concurrency", "1", "-Q", "gpu", "--without-gossip", "--without-mingle", \
     "--hostname", "gpu@%h"]

# ---- cpu (the default target): the API; the same image runs the CPU workers and Flower -----
FROM runtime AS cpu
COPY --from=venv-cpu /opt/venv /opt/venv
USER 10001:10001
EXPOSE 8000
# Ready while the API answers and Redis answers it: /readyz is a 503 without Redis.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]
CMD ["uvicorn", "service.main:app", "--host", "0.0.0.0", "--port", "8000", "--workers", "2", \
     "--no-access-log", "--timeout-graceful-shutdown", "10"]
