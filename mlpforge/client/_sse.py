"""The text/event-stream format (WHATWG HTML §9.2), read one line at a time."""

from __future__ import annotations

from mlpforge.client._models import Event, parse_event_data


class SSEDecoder:
    """Server-sent events from the lines of a stream.

    ``last_id`` is the id to resume after (kept across events, as the spec's "last event ID
    buffer"); ``retry`` the reconnection delay the server asked for, in milliseconds.
    """

    def __init__(self) -> None:
        self.last_id: str | None = None
        self.retry: int | None = None
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, line: str) -> Event | None:
        line = line.rstrip("\r\n")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: keep-alive
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id":
            if "\0" not in value:
                self._id = value
                self.last_id = value or None
        elif name == "retry" and value.isdigit():
            self.retry = int(value)
        return None

    def _dispatch(self) -> Event | None:
        event_id, self._id = self._id, None
        if not self._data:
            self._event = ""
            return None
        event = Event(
            event=self._event or "message",
            data=parse_event_data("\n".join(self._data)),
            id=event_id,
        )
        self._event, self._data = "", []
        return event
