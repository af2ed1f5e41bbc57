"""What every resource's schemas share: the page of a listing, the Location header, names
and tags."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

#: The OpenAPI ``headers`` of a response that names the resource it created (or replayed).
LOCATION_HEADER: dict[str, Any] = {
    "Location": {
        "description": "The URL of the resource.",
        "required": True,
        "schema": {"type": "string"},
    }
}

MAX_NAME_CHARS = 200
MAX_TAGS = 20
MAX_TAG_CHARS = 64
# Letters, digits and a few separators: a tag is an identifier people filter by (and a part
# of a Redis key, see store.keys.job_tag_index), not free text.
TAG_PATTERN = r"^[A-Za-z0-9_.:-]+$"
# What a name may not hold: control characters (newlines, escapes) would break every listing
# that shows it on one line.
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]+$"


def _printable(name: str) -> str:
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise ValueError("a name may not hold control characters (newlines, tabs, escapes)")
    return name


Name = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_NAME_CHARS,
        json_schema_extra={"pattern": NAME_PATTERN},
        description=f"Free text for people, up to {MAX_NAME_CHARS} characters on one line.",
        examples=["baseline, 2 layers"],
    ),
    AfterValidator(_printable),
]

Tag = Annotated[
    str,
    Field(min_length=1, max_length=MAX_TAG_CHARS, pattern=TAG_PATTERN, examples=["baseline"]),
]


def _distinct(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))  # in the order given, repeats dropped


Tags = Annotated[
    list[Tag],
    Field(
        max_length=MAX_TAGS,
        description=f"Up to {MAX_TAGS} tags of up to {MAX_TAG_CHARS} characters each, of "
        "letters, digits and `_ . : -`; repeats are dropped. `?tag=` filters lists by one.",
        examples=[["baseline", "exp:42"]],
    ),
    AfterValidator(_distinct),
]


class NamingUpdate(BaseModel):
    """A change of name and tags: a field left out stays as it is; ``name: null`` clears the
    name; ``tags`` replaces every tag (``[]`` removes them)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "best so far", "tags": ["keep", "v2"]}]},
    )

    name: Name | None = None
    tags: Tags | None = None

    @property
    def renames(self) -> bool:
        return "name" in self.model_fields_set


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a listing (newest first unless ``sort`` says otherwise): follow
    ``next_cursor`` (null on the last page) with ``?cursor=``."""

    data: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as ?cursor= for the next page; null on the last page."
    )
