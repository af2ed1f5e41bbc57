"""The log line formats and the request id, in-process: what every process writes."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from mlpforge.log_context import bound, current
from mlpforge.logging_setup import configure
from service.request_id import chosen_id


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """The root logger configured as a process configures it, writing into a buffer."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    yield stream
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def test_json_lines_name_the_request_tenant_and_job(logged: io.StringIO) -> None:
    configure("INFO", "json", stream=logged)
    log = logging.getLogger("mlpforge.test")
    with bound(request_id="req-1", tenant="alice"):
        log.info("job %s created", "job_1", extra={"job_id": "job_1", "color_message": "\x1b[1m"})
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("it failed")
    log.debug("not at INFO")
    log.warning("outside any request")
    first, failed, outside = (json.loads(line) for line in logged.getvalue().splitlines())
    assert list(first)[:4] == ["ts", "level", "logger", "message"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["ts"])
    assert first == {
        "ts": first["ts"], "level": "INFO", "logger": "mlpforge.test",
        "message": "job job_1 created", "job_id": "job_1", "request_id": "req-1",
        "tenant": "alice",
    }  # fmt: skip
    assert failed["level"] == "ERROR" and "ValueError: boom" in failed["exc_info"]
    assert outside.keys() == {"ts", "level", "logger", "message"}


def test_text_lines_end_with_the_context(logged: io.StringIO) -> None:
    configure("DEBUG", "text", stream=logged)
    with bound(request_id="req-2", job_id="job_2"):
        logging.getLogger("mlpforge.test").debug("hello")
    logging.getLogger("mlpforge.test").info("bye")
    hello, bye = logged.getvalue().splitlines()
    assert hello.endswith("DEBUG mlpforge.test: hello [request_id=req-2 job_id=job_2]")
    assert bye.endswith("INFO mlpforge.test: bye")


def test_uvicorns_loggers_write_through_ours_but_its_access_log_stays_off(
    logged: io.StringIO,
) -> None:
    configure("INFO", "json", stream=logged)
    logging.getLogger("uvicorn.error").info("Application startup complete.")
    assert json.loads(logged.getvalue())["logger"] == "uvicorn.error"
    assert not logging.getLogger("uvicorn.access").hasHandlers()  # so uvicorn skips it


def test_the_context_does_not_leak_between_concurrent_requests() -> None:
    async def request(request_id: str) -> str | None:
        with bound(request_id=request_id):
            await asyncio.sleep(0.01)
            return current("request_id")

    async def both() -> list[str | None]:
        return list(await asyncio.gather(request("a"), request("b")))

    assert asyncio.run(both()) == ["a", "b"]
    assert current("request_id") is None


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("0af7651916cd43dd8448eb211c80319c", True),
        ("req-1.retry:2", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("two words", False),
        ("line\nbreak", False),
        ('{"json": 1}', False),
        ("", False),
        (None, False),
    ],
)
def test_a_request_id_is_kept_only_when_well_formed(given: str | None, kept: bool) -> None:
    chosen = chosen_id(given)
    assert (chosen == given) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{32}", chosen)
