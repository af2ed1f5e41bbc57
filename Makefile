# mlpforge — the commands of the README. Each creates .venv and installs what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BASE_STAMP := $(VENV)/.installed-base
DEV_STAMP  := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
GPU_STAMP := $(VENV)/.installed-gpu

.PHONY: run api worker test lint bench gpu-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(BASE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(BASE_STAMP)

$(BENCH_STAMP): $(DEV_STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

run: $(BASE_STAMP)
	$(BIN)/python -m mlpforge.launcher run

api: $(BASE_STAMP)
	$(BIN)/python -m mlpforge.launcher api

worker: $(BASE_STAMP)
	$(BIN)/python -m mlpforge.launcher worker

# The suite starts its own redis-server on a free port (tests/conftest.py); it never touches
# another Redis unless MLPFORGE_TEST_REDIS names one.
# The dashboard's and /docs' browser tests drive Debian's chromium (Playwright's own browser
# download is never used): installed here when missing.
test: $(DEV_STAMP)
	@command -v redis-server >/dev/null || { echo "make test needs redis-server on PATH (apt-get install redis-server)"; exit 1; }
	@command -v chromium >/dev/null || { echo "installing Debian's chromium for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  { echo "make test needs chromium (apt-get install chromium)"; exit 1; }
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(BENCH_STAMP)
	$(BIN)/python bench/run_all.py

# On a machine with an NVIDIA GPU: the engine's CuPy tests and its speed against PyTorch CUDA
# (bench/gpu_check.py); CuPy brings its CUDA libraries from PyPI, the host needs the driver.
$(GPU_STAMP): $(BENCH_STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench,gpu]'
	touch $@

gpu-check: $(GPU_STAMP)
	$(BIN)/python bench/gpu_check.py

clean:
	rm -rf $(VENV) .run .pytest_cache .mypy_cache .ruff_cache
