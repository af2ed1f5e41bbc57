"""One log configuration for every process mlpforge runs: the API (uvicorn's loggers too), the
worker (Celery's), and the launcher of `make run`.

``MLPFORGE_LOG_FORMAT``:

* ``text`` (the default; `make run` at a terminal):
  ``2026-01-02 10:00:00,123 INFO mlpforge.api: job job_… created [request_id=… tenant=alice]``
* ``json`` (the Docker image's default): one JSON object per line, ``ts`` (UTC, ISO 8601),
  ``level``, ``logger``, ``message``, then ``request_id``, ``tenant``, ``job_id`` where they
  apply (mlpforge.log_context), whatever the call passed in ``extra`` (the access log's
  ``method``, ``route``, ``status``…), and ``exc_info`` for a traceback.

JSON lines come from python-json-logger (it already serializes every ``extra`` field, dates and
tracebacks); this module only chooses the fields and their names. Every line goes to stderr,
as uvicorn's and Celery's always did; the launcher's own lines keep going to stdout.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from mlpforge.log_context import FIELDS, ContextFilter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers that come with handlers of their own (uvicorn's dictConfig) or that would say too
# much: each is made to propagate to the root's one handler, at the level given.
THIRD_PARTY_LEVELS: dict[str, int] = {
    "uvicorn": logging.NOTSET,
    "uvicorn.error": logging.NOTSET,
    "celery": logging.NOTSET,
    # httpx logs every request's full URL at INFO: a callback URL may carry a token.
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
}


class TextFormatter(logging.Formatter):
    """The classic line, with the context fields appended in brackets where bound."""

    def __init__(self, fmt: str = TEXT_FORMAT) -> None:
        super().__init__(fmt)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        context = " ".join(
            f"{name}={value}" for name in FIELDS if (value := getattr(record, name, None))
        )
        return f"{line} [{context}]" if context else line


class JsonLineFormatter(JsonFormatter):
    def __init__(self) -> None:
        super().__init__(
            ["levelname", "name", "message"],
            rename_fields={"levelname": "level", "name": "logger"},
            # uvicorn adds an ANSI-coloured copy of its message to some records.
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        )

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        # First, so that a line reads in time order; milliseconds, in UTC, like most collectors.
        stamp = datetime.fromtimestamp(record.created, tz=UTC)
        log_data["ts"] = stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        super().add_fields(log_data, record, message_dict)


def formatter(log_format: str) -> logging.Formatter:
    return JsonLineFormatter() if log_format == "json" else TextFormatter()


def configure(level: str, log_format: str, *, stream: IO[str] | None = None) -> None:
    """The root logger writes every line, through one handler that adds the context fields.

    Called by the API's entry point (after uvicorn's own logging config, which it replaces),
    by the worker's `setup_logging` signal (so Celery configures nothing) and by the launcher.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, name_level in THIRD_PARTY_LEVELS.items():
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(name_level)
    # uvicorn's access log stays off whatever its flags say: service.access_log's replaces it
    # (uvicorn writes its own only while that logger has a handler somewhere).
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers.clear()
    uvicorn_access.propagate = False
    # A Python warning becomes a line in the same format instead of raw text on stderr.
    logging.captureWarnings(True)


def launcher_logger(level: str, log_format: str) -> logging.Logger:
    """The launcher's own lines, on stdout: ``mlpforge: …`` as text, or JSON lines."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        logging.Formatter("mlpforge: %(message)s") if log_format == "text" else JsonLineFormatter()
    )
    logger = logging.getLogger("mlpforge.launcher")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(level)
    return logger
