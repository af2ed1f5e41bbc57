"""One reader per API process for every open event stream.

Each SSE stream used to hold a Redis connection of its own for a blocking XREAD: 300 streams
were 300 Redis clients, and past Redis's `maxclients` a stream answered 200 and then died.
Now one task per process does a single blocking XREAD over every watched job stream, on one
dedicated connection, and hands each event to the asyncio queue of every `Subscription` to
that stream. A `Follower` (one per SSE stream) first reads what it missed straight from Redis
(catch-up, through the shared pool), then what the hub delivers, skipping what it has seen:

* nothing is missed: a follower subscribes only once a catch-up read came back empty, then
  reads once more — the hub may have read that stream further than it did before it joined,
  and everything the hub reads after it joined reaches its queue;
* nothing is duplicated: events arrive in id order from both sources, and a follower drops
  any id not after the last one it returned;
* a slow consumer costs bounded memory: its queue holds `QUEUE_EVENTS`; past that the hub
  marks it lagging and stops filling it, and the follower catches up from Redis again.

Redis connections of one API process: one for this reader, plus the shared asyncio pool
(catch-up reads, job records) and the blocking pool of the sync routes, both bounded.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from types import TracebackType
from typing import Any

import redis

from store.connection import AsyncConnection, streaming_client
from store.events import PAGE, Event, earliest, last_id, later, read_after, xread_batches
from store.loop_task import LoopTask

log = logging.getLogger(__name__)

# A stream first watched while the reader is blocked must join its XREAD: the reader is woken
# with CLIENT UNBLOCK (its XREAD returns at once, and the next one includes the new stream).
# Where a Redis refuses CLIENT (some managed ones do), the new stream joins the next XREAD
# instead, so its first live event may wait this long.
READ_BLOCK_MS = 1000
# How long `subscribe` keeps trying to wake a reader that is about to block (its XREAD sent
# but not yet blocking when the first CLIENT UNBLOCK arrived).
WAKE_TRIES, WAKE_PAUSE_SECS = 20, 0.002
QUEUE_EVENTS = 1000
RETRY_SECS = 1.0


class Subscription:
    """The events of one stream, as the hub reads them, for one follower."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=QUEUE_EVENTS)
        # Set when an event did not fit: the follower must re-read from Redis.
        self.lagging = False

    def offer(self, event: Event) -> None:
        if self.lagging:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.lagging = True


class EventHub:
    """This process's reader of job event streams; used from its event loop only."""

    def __init__(self, connection: AsyncConnection, url: str, *, timeout_secs: float) -> None:
        self._connection = connection  # the shared pool: catch-up reads
        self._url = url
        self._timeout = timeout_secs
        self._reader = LoopTask(self._read_forever, name="event-hub", on_new_loop=self._forget)
        self._wanted = asyncio.Event()
        self._subscriptions: dict[str, set[Subscription]] = {}
        # Per watched stream: the last id the reader has read (it reads on from there).
        self._cursors: dict[str, str] = {}
        # The streams of the XREAD in flight (None between reads), and the reader connection's
        # CLIENT ID (None until known, or after a reconnection).
        self._reading: frozenset[str] | None = None
        self._reader_id: int | None = None

    @property
    def watched(self) -> int:
        return len(self._cursors)

    def start(self) -> None:
        """Start the reader on the running loop (it idles until a stream is watched)."""
        self._reader.ensure()

    async def aclose(self) -> None:
        await self._reader.aclose()

    def _forget(self) -> None:
        self._wanted = asyncio.Event()
        self._subscriptions.clear()
        self._cursors.clear()
        self._reading = self._reader_id = None

    def follow(self, key: str, after: str) -> Follower:
        return Follower(self, key, after)

    async def read_after(self, key: str, cursor: str) -> list[Event]:
        return await read_after(self._connection.client(), key, cursor)

    async def subscribe(self, key: str, at: str) -> Subscription:
        """Deliver ``key``'s events after ``at`` (or after where the reader already is)."""
        self.start()
        if key not in self._cursors:
            # Never start the shared reader past the stream's end: a follower resuming from
            # an id that does not exist yet must not hide the stream's next events from others.
            at = earliest(at, await last_id(self._connection.client(), key))
        subscription = Subscription(key)
        self._subscriptions.setdefault(key, set()).add(subscription)
        self._cursors.setdefault(key, at)
        self._wanted.set()
        await self._wake_reader(key)
        return subscription

    async def _wake_reader(self, key: str) -> None:
        """Make a blocked reader read again now, so that ``key`` joins its XREAD (else the
        first live event of a new stream could wait for the block to end)."""
        for _ in range(WAKE_TRIES):
            reading, reader_id = self._reading, self._reader_id
            if reading is None or key in reading or reader_id is None:
                return  # between reads (the next one takes every cursor), or already in it
            try:
                if await self._connection.client().client_unblock(reader_id):
                    return
            except redis.RedisError as error:  # e.g. CLIENT refused by an ACL: wait instead
                log.debug("event reader: CLIENT UNBLOCK refused (%s)", error)
                return
            await asyncio.sleep(WAKE_PAUSE_SECS)  # its XREAD has not blocked yet

    def unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._subscriptions.get(subscription.key)
        if subscribers is None:
            return
        subscribers.discard(subscription)
        if not subscribers:
            del self._subscriptions[subscription.key]
            del self._cursors[subscription.key]

    async def _read_forever(self) -> None:
        client = streaming_client(self._url, READ_BLOCK_MS / 1000, self._timeout)
        try:
            while True:
                if not self._cursors:
                    self._wanted.clear()
                    await self._wanted.wait()
                    continue
                try:
                    if self._reader_id is None:
                        self._reader_id = int(await client.client_id())
                    streams: dict[Any, Any] = dict(self._cursors)
                    self._reading = frozenset(streams)
                    try:
                        reply = await client.xread(streams, count=PAGE, block=READ_BLOCK_MS)
                    finally:
                        self._reading = None
                    for key, events in xread_batches(reply):
                        self._dispatch(key, events)
                except Exception as error:  # the reader must outlive any one failure
                    self._reader_id = None  # a new connection has a new id
                    if isinstance(error, redis.RedisError):
                        log.warning("event reader: %s; reading again in %g s", error, RETRY_SECS)
                    else:
                        log.exception("event reader failed; reading again in %g s", RETRY_SECS)
                    await asyncio.sleep(RETRY_SECS)
        finally:
            await client.aclose()

    def _dispatch(self, key: str, events: list[Event]) -> None:
        cursor = self._cursors.get(key)
        if cursor is None or not events:
            return  # nobody follows it any more
        if later(events[-1].id, cursor):
            self._cursors[key] = events[-1].id
        for subscription in self._subscriptions.get(key, ()):
            for event in events:
                subscription.offer(event)


class Follower:
    """Every event of one stream after ``after``, each once, in order (one per SSE stream)."""

    def __init__(self, hub: EventHub, key: str, after: str) -> None:
        self.cursor = after
        self._hub = hub
        self._key = key
        self._backlog: deque[Event] = deque()
        self._subscription: Subscription | None = None
        self._catching_up = True

    async def next(self, timeout: float) -> Event | None:
        """The next event, or None when none came within ``timeout`` seconds.

        A Redis error leaves the follower as it was: calling again resumes where it stood.
        """
        while True:
            if self._backlog:
                event = self._backlog.popleft()
                self.cursor = event.id
                return event
            if self._catching_up:
                page = await self._hub.read_after(self._key, self.cursor)
                if page:
                    self._backlog.extend(page)
                    continue
                if self._subscription is None:
                    self._subscription = await self._hub.subscribe(self._key, self.cursor)
                    continue  # once more: the hub may have read past our cursor before we joined
                self._catching_up = False
            subscription = self._subscription
            assert subscription is not None
            if subscription.lagging:
                # In this order: the queue takes new events again, and Redis has the dropped ones.
                subscription.lagging = False
                self._catching_up = True
                continue
            try:
                async with asyncio.timeout(timeout):
                    event = await subscription.queue.get()
            except TimeoutError:
                return None
            if later(event.id, self.cursor):
                self.cursor = event.id
                return event

    def close(self) -> None:
        if self._subscription is not None:
            self._hub.unsubscribe(self._subscription)
            self._subscription = None

    def __enter__(self) -> Follower:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
