"""The per-tenant cap on open event streams, shared by every API process.

A tenant's open streams are one sorted set in Redis (`TenantKeys.open_streams`): member = a
stream's id, score = when its slot lapses (Redis server time, so hosts' clocks never matter).
Admission is one Lua script — drop lapsed slots, count, take one if under the cap — so two
processes admitting at once can never both take the last slot. Every process renews the slots
of its own open streams every `RENEW_SECS`; a process that dies stops renewing, and its slots
lapse within `SLOT_TTL_SECS`. A stream whose slot has vanished (Redis restarted without its
data, or this process stalled past the TTL) is marked `Slot.lost`, and the API ends it: its
client reconnects and is admitted afresh, so the cap holds again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import redis

from store.connection import AsyncConnection
from store.ids import new_id
from store.keys import TenantKeys
from store.loop_task import LoopTask

log = logging.getLogger(__name__)

SLOT_TTL_SECS = 30
RENEW_SECS = 10.0

# KEYS[1]: the tenant's open streams. ARGV: cap, ttl, new stream id. Returns 1 if admitted.
_ADMIT_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
redis.call('EXPIRE', KEYS[1], math.ceil(ttl) + 1)
return 1
"""

# KEYS[i]: the open streams of slot i's tenant; ARGV[1]: ttl; ARGV[i + 1]: slot i's id.
# Renews the slots that still exist (never re-adds one: a slot released meanwhile stays
# released) and returns the positions of those that do not.
_RENEW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local ttl = tonumber(ARGV[1])
local lost = {}
for i, key in ipairs(KEYS) do
  if redis.call('ZSCORE', key, ARGV[i + 1]) then
    redis.call('ZADD', key, now + ttl, ARGV[i + 1])
    redis.call('EXPIRE', key, math.ceil(ttl) + 1)
  else
    lost[#lost + 1] = i
  end
end
return lost
"""


@dataclass(eq=False)
class Slot:
    """One open stream's place under its tenant's cap."""

    tenant: str
    id: str
    lost: bool = False

    @property
    def key(self) -> str:
        return TenantKeys(self.tenant).open_streams()


class StreamSlots:
    """This process's door to the shared per-tenant cap; used from its event loop only."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self._held: set[Slot] = set()
        self._renewal = LoopTask(
            self._renew_forever, name="stream-slots", on_new_loop=self._held.clear
        )

    async def admit(self, tenant: str, *, limit: int) -> Slot | None:
        """A slot for a new stream, or None when the tenant already has ``limit`` open."""
        slot = Slot(tenant, new_id("sse"))
        admit = self._connection.client().register_script(_ADMIT_LUA)
        admitted = await admit(keys=[slot.key], args=[limit, SLOT_TTL_SECS, slot.id])
        return slot if admitted else None

    def hold(self, slot: Slot) -> None:
        """Keep renewing ``slot`` until it is released (from when its stream starts)."""
        self.start()
        self._held.add(slot)

    async def release(self, slot: Slot) -> None:
        self._held.discard(slot)
        await self._connection.client().zrem(slot.key, slot.id)

    def start(self) -> None:
        self._renewal.ensure()

    async def aclose(self) -> None:
        await self._renewal.aclose()

    async def renew(self) -> None:
        held = list(self._held)
        if not held:
            return
        renew = self._connection.client().register_script(_RENEW_LUA)
        lost = await renew(
            keys=[slot.key for slot in held], args=[SLOT_TTL_SECS, *(slot.id for slot in held)]
        )
        for position in lost:
            held[int(position) - 1].lost = True

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECS)
            try:
                await self.renew()
            except redis.RedisError as error:
                # Slots last SLOT_TTL_SECS: a few failed renewals in a row cost nothing.
                log.warning("renewing open event streams: %s", error)
            except Exception:  # renewing must outlive any one failure
                log.exception("renewing open event streams failed")
