"""Where an event stream resumes: the Last-Event-ID header or the ``after`` query parameter,
the same for every resource's stream (jobs, searches)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header, Query

from service.errors import RETRY_AFTER, ApiError, problem_response

EVENT_ID = re.compile(r"^\d{1,12}-\d{1,3}$")

LastEventId = Annotated[
    str | None,
    Header(
        description="Resume after this event (browsers send it when they reconnect).",
        json_schema_extra={"pattern": EVENT_ID.pattern},
    ),
]
After = Annotated[
    str | None,
    Query(
        description="Same as the Last-Event-ID header.",
        json_schema_extra={"pattern": EVENT_ID.pattern},
    ),
]

# The answers of a stream route besides its problems.
STREAM_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"text/event-stream": {}}, "description": "Server-sent events"},
    429: problem_response(
        "Too many requests, or this tenant already has MLPFORGE_MAX_STREAMS_PER_TENANT "
        "event streams open.",
        headers=RETRY_AFTER,
    ),
}


def resume_point(last_event_id: str | None, after: str | None) -> str:
    """Where a stream resumes. Checked here rather than by FastAPI's `pattern`, to answer
    with what an event id looks like."""
    for where, name, value in (
        ("header", "Last-Event-ID", last_event_id),
        ("query", "after", after),
    ):
        if value is not None and not EVENT_ID.match(value):
            raise ApiError(
                422,
                f"{name} must look like '12-0' (the id of an event this stream sent)",
                errors=[{"loc": [where, name], "msg": "malformed event id"}],
            )
    return last_event_id or after or "0-0"
