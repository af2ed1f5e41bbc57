"""Regenerate constraints.txt, the pins of every Python package the Docker images install.

    .venv/bin/python -m tests.deploy.lock            # keep today's pins where they still fit
    .venv/bin/python -m tests.deploy.lock --upgrade  # move everything to the newest versions

Run it after changing the dependencies of pyproject.toml or its `monitoring`/`gpu` extras
(tests/test_deployment.py says so when they no longer match). It asks PyPI (with uv, a dev
dependency) for one resolution of the project's dependencies, both image extras and the build
tools (pip, setuptools), for the images' platform: CPython 3.11 on glibc Linux, wheels only.
The versions already in constraints.txt are kept where they still satisfy the requirements,
so a regeneration moves only what it must; a fresh file starts from the versions of this
checkout's .venv, which the test suite ran against.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "constraints.txt"
# The Dockerfile's base image: python:3.11-slim (glibc 2.36, so manylinux_2_28 wheels fit).
PYTHON_VERSION = "3.11"
PLATFORM = "x86_64-manylinux_2_28"
IMAGE_EXTRAS = ("monitoring", "gpu")
BUILD_TOOLS = ("pip", "setuptools>=77")  # the builder stage's pip and the build backend

HEADER = f"""\
# Every Python package of the Docker images, pinned: the Dockerfile installs with
# `--constraint constraints.txt --only-binary=:all:`, so an image build resolves to exactly
# these versions (CPython {PYTHON_VERSION}, glibc Linux). Generated; do not edit by hand:
#     .venv/bin/python -m tests.deploy.lock [--upgrade]
# (uv pip compile of pyproject.toml with the extras {", ".join(IMAGE_EXTRAS)} and the build
# tools {", ".join(BUILD_TOOLS)}).
"""


def _venv_pins() -> str:
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return "".join(line + "\n" for line in frozen.splitlines() if "==" in line)


def main(argv: list[str]) -> int:
    upgrade = "--upgrade" in argv
    with tempfile.TemporaryDirectory() as tmp:
        tools = Path(tmp) / "build-tools.in"
        tools.write_text("\n".join(BUILD_TOOLS) + "\n")
        output = Path(tmp) / "constraints.txt"
        # uv keeps the pins of an existing output file where they still fit.
        output.write_text(CONSTRAINTS.read_text() if CONSTRAINTS.exists() else _venv_pins())
        command = [
            str(Path(sys.executable).with_name("uv")), "pip", "compile",
            "pyproject.toml", str(tools),
            *(f"--extra={extra}" for extra in IMAGE_EXTRAS),
            f"--python-version={PYTHON_VERSION}", f"--python-platform={PLATFORM}",
            "--only-binary=:all:", "--no-header", "--no-annotate", "--quiet",
            f"--output-file={output}",
            *(["--upgrade"] if upgrade else []),
        ]  # fmt: skip
        subprocess.run(command, check=True, cwd=ROOT)
        CONSTRAINTS.write_text(HEADER + output.read_text())
    print(f"wrote {CONSTRAINTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
