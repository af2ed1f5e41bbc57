"""Who a log line is about: the request id, the tenant and the job, carried in a context variable.

The API binds the request id (service.request_id) and the tenant (service.access) for each
request; a worker binds all three for each task (worker.tasks). Every line logged meanwhile —
by our code, uvicorn's or Celery's — gets them from `ContextFilter`, so no call site has to pass
them along. A context variable, not a thread-local: it follows a request across `await`s and
into the threads FastAPI runs sync routes in, and never leaks from one request to the next.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import MappingProxyType

FIELDS = ("request_id", "tenant", "job_id")

_bound: ContextVar[Mapping[str, str]] = ContextVar(
    "mlpforge_log_fields", default=MappingProxyType({})
)


def bind(**fields: str | None) -> Token[Mapping[str, str]]:
    """Add ``fields`` (None values are skipped) to the current context's."""
    given = {name: value for name, value in fields.items() if value is not None}
    return _bound.set({**_bound.get(), **given})


def unbind(token: Token[Mapping[str, str]]) -> None:
    _bound.reset(token)


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    token = bind(**fields)
    try:
        yield
    finally:
        unbind(token)


def current(name: str) -> str | None:
    return _bound.get().get(name)


class ContextFilter(logging.Filter):
    """Sets ``record.request_id``, ``record.tenant`` and ``record.job_id`` from the context,
    where bound; a value passed explicitly (``extra={"job_id": ...}``) wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _bound.get().items():
            if getattr(record, name, None) is None:
                setattr(record, name, value)
        return True
