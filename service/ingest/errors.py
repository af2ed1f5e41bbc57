"""The one exception type of the ingest package, and helpers to word its messages.

Every problem in uploaded data becomes a :class:`DatasetError` whose ``errors`` use FastAPI's
``[{"loc": [...], "msg": ...}]`` shape, so the HTTP layer can put them straight into an
``application/problem+json`` body; ``status`` tells it which 4xx to answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Loc = list[str | int]

#: Size-limit violations: the request is well-formed but too large to accept.
STATUS_TOO_LARGE = 413
#: Everything else: the data is malformed or violates a rule.
STATUS_INVALID = 422

# Enough to show a person what is wrong without echoing a whole upload back at them.
_MAX_ERRORS = 20
_MAX_QUOTED = 40


class DatasetError(ValueError):
    """A problem in the uploaded data.

    ``errors`` is a list of ``{"loc": [...], "msg": str}`` (``loc`` holds ``str | int``, as
    FastAPI uses); ``status`` is 413 for size limits and 422 otherwise.
    """

    errors: list[dict[str, Any]]
    status: int

    def __init__(self, errors: Sequence[dict[str, Any]], *, status: int = STATUS_INVALID) -> None:
        if not errors:
            raise ValueError("DatasetError needs at least one error")
        self.errors = [{"loc": list(e["loc"]), "msg": str(e["msg"])} for e in errors[:_MAX_ERRORS]]
        self.status = status
        super().__init__(self.detail)

    @classmethod
    def at(
        cls, loc: Sequence[str | int], msg: str, *, status: int = STATUS_INVALID
    ) -> DatasetError:
        """One error at one place — the common case."""
        return cls([{"loc": list(loc), "msg": msg}], status=status)

    @property
    def detail(self) -> str:
        """A one-line summary, suitable for problem+json's ``detail``."""
        first = self.errors[0]["msg"]
        if len(self.errors) == 1:
            return first
        return f"{first} (and {len(self.errors) - 1} more problem(s))"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep errors/status when pickled across process boundaries (e.g. test runners).
        return (_rebuild, (self.errors, self.status))


def _rebuild(errors: list[dict[str, Any]], status: int) -> DatasetError:
    return DatasetError(errors, status=status)


def error(loc: Sequence[str | int], msg: str) -> dict[str, Any]:
    """One entry of ``DatasetError.errors``."""
    return {"loc": list(loc), "msg": msg}


def quote(text: str, limit: int = _MAX_QUOTED) -> str:
    """``text`` in quotes, shortened so a huge cell cannot flood a message."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


def json_kind(value: object) -> str:
    """How a parsed JSON value is called in JSON's own words ("an object", "a string", ...)."""
    # bool before int: bool is a subclass of int in Python but a distinct type in JSON.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def json_repr(value: object) -> str:
    """A short JSON-ish rendering of a scalar for messages ('abc', true, null, an array)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, int | float):
        return repr(value)
    return json_kind(value)


def not_a_number(value: object, where: str) -> str:
    """The message for a JSON value where a number belongs, in ``where`` ("features")."""
    msg = f"not a number: {json_repr(value)}"
    if value is None:
        return msg + " (missing values are not allowed)"
    if isinstance(value, bool):
        return msg + f" (booleans are not allowed in {where}; use 0 and 1)"
    return msg


def plural(n: int, word: str) -> str:
    """'1 row', '3 rows'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def join_names(names: Sequence[str], limit: int = 20) -> str:
    """'a', 'b', 'c' … — a list of names for a message, truncated if long."""
    shown = ", ".join(quote(n) for n in names[:limit])
    if len(names) > limit:
        shown += f", … ({len(names) - limit} more)"
    return shown
