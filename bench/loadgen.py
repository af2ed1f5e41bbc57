"""A fixed-connection HTTP load generator: `wrk` when installed, else an asyncio httpx client.

Both run for a bounded time against a loopback URL and report requests/s, p50/p99 latency
and the number of non-2xx answers. The same generator serves every URL of one comparison.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass(frozen=True)
class LoadResult:
    tool: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def tool_name() -> str:
    return "wrk" if shutil.which("wrk") else "httpx (asyncio)"


def run_load(
    url: str,
    *,
    seconds: float,
    connections: int,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> LoadResult:
    """GET ``url`` (POST ``body`` as JSON when given) over ``connections`` for ``seconds``."""
    if not url.startswith(("http://127.", "http://localhost")):
        raise ValueError(f"load is only ever sent to loopback addresses, not {url}")
    if shutil.which("wrk"):
        return _wrk(url, seconds, connections, body, headers or {})
    return asyncio.run(_httpx(url, seconds, connections, body, headers or {}))


def _lua_string(value: str | bytes) -> str:
    text = value.decode() if isinstance(value, bytes) else value
    return "[==[" + text + "]==]"


def _wrk(
    url: str, seconds: float, connections: int, body: bytes | None, headers: dict[str, str]
) -> LoadResult:
    # Spaces inside the brackets: "t[[" would open a Lua long string.
    lines = [f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items()]
    if body is not None:
        lines += [
            'wrk.method = "POST"',
            f"wrk.body = {_lua_string(body)}",
            'wrk.headers["Content-Type"] = "application/json"',
        ]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "load.lua"
        script.write_text("\n".join(lines) + "\n")
        # One wrk thread: the load generator takes one core, the server the other.
        out = subprocess.run(
            ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
             "--timeout", "5s", "-s", str(script), url],
            capture_output=True, text=True, timeout=seconds + 60, check=True,
        ).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+),", out)
    if done is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return LoadResult(
        tool="wrk",
        requests=int(done.group(1)),
        errors=int(bad.group(1)) if bad else 0,
        seconds=float(done.group(2)) * _UNITS[done.group(3)] / 1000,
        p50_ms=_wrk_percentile(out, "50"),
        p99_ms=_wrk_percentile(out, "99"),
    )


def _wrk_percentile(out: str, which: str) -> float:
    found = re.search(rf"^\s+{which}(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    if found is None:
        raise RuntimeError(f"no {which}th percentile in wrk output:\n{out}")
    return float(found.group(1)) * _UNITS[found.group(2)]


async def _httpx(
    url: str, seconds: float, connections: int, body: bytes | None, headers: dict[str, str]
) -> LoadResult:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    errors = 0
    send_headers = {**headers, **({"Content-Type": "application/json"} if body else {})}
    async with httpx.AsyncClient(limits=limits, timeout=5, headers=send_headers) as client:
        deadline = time.perf_counter() + seconds

        async def connection() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                if body is None:
                    answer = await client.get(url)
                else:
                    answer = await client.post(url, content=body)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += answer.status_code >= 300

        began = time.perf_counter()
        await asyncio.gather(*(connection() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    values = np.asarray(latencies)
    return LoadResult(
        tool="httpx (asyncio)",
        requests=len(latencies),
        errors=errors,
        seconds=elapsed,
        p50_ms=float(np.percentile(values, 50)),
        p99_ms=float(np.percentile(values, 99)),
    )
