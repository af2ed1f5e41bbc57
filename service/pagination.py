"""The query parameters every list takes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

Limit = Annotated[int, Query(ge=1, le=100, description="Page size (max 100).")]
Cursor = Annotated[str | None, Query(max_length=200, description="next_cursor of the last page.")]
