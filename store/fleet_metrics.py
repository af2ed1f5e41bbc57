"""The fleet's numbers for /metrics, kept in Redis so that one scrape of any API process sees
every worker: jobs by status, broker queue depths, training throughput and job durations.

Written cheaply where things happen: the job transitions count final statuses in the same
MULTI that writes them; a worker adds its training totals at most every few seconds and a
duration when it ends a job. Read with one pipeline per scrape; nothing here scans the
keyspace or grows with the number of jobs (the rates hash holds one field per live worker
process and prunes the silent ones).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import orjson
import redis
import redis.asyncio as aioredis

from store import workers
from store.keys import (
    broker_queues,
    job_durations,
    jobs_finished_counts,
    queued_jobs,
    running_jobs,
    training_rates,
    training_totals,
)

# Upper bounds (seconds) of the job-duration histogram's buckets; +Inf is implied.
JOB_SECONDS_BUCKETS = (1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 24 * 3600.0)
# A worker's throughput counts while its last report is this recent (Redis server time).
RATE_WINDOW_SECS = 30.0
# Reports older than this are dropped from the rates hash by the next writer.
RATE_FORGET_SECS = 300.0

# KEYS: totals hash, rates hash. ARGV: worker, device, samples, seconds, epochs, forget secs.
_REPORT_LUA = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local device = ARGV[2]
redis.call('HINCRBYFLOAT', KEYS[1], 'samples|' .. device, ARGV[3])
redis.call('HINCRBYFLOAT', KEYS[1], 'seconds|' .. device, ARGV[4])
redis.call('HINCRBY', KEYS[1], 'epochs|' .. device, ARGV[5])
local rate = 0
if tonumber(ARGV[4]) > 0 then rate = tonumber(ARGV[3]) / tonumber(ARGV[4]) end
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode({device = device, rate = rate, at = t}))
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  local ok, entry = pcall(cjson.decode, all[i + 1])
  if not ok or type(entry) ~= 'table' or tonumber(entry.at) == nil
     or tonumber(entry.at) < t - tonumber(ARGV[6]) then
    redis.call('HDEL', KEYS[2], all[i])
  end
end
return 1
"""


def report_training(
    client: redis.Redis, *, worker: str, device: str, samples: int, seconds: float, epochs: int
) -> None:
    """Add a worker's training since its last report, and note its current throughput."""
    script = client.register_script(_REPORT_LUA)
    script(
        keys=[training_totals(), training_rates()],
        args=[worker, device, samples, repr(float(seconds)), epochs, RATE_FORGET_SECS],
    )


def bucket_of(seconds: float) -> str:
    """The histogram bucket a duration falls in (its upper bound; "+Inf" past the last)."""
    for bound in JOB_SECONDS_BUCKETS:
        if seconds <= bound:
            return repr(bound)
    return "+Inf"


def report_job_duration(client: redis.Redis, *, status: str, seconds: float) -> None:
    with client.pipeline(transaction=False) as pipe:
        pipe.hincrby(job_durations(), f"{status}|{bucket_of(seconds)}", 1)
        pipe.hincrbyfloat(job_durations(), f"{status}|sum", seconds)
        pipe.hincrby(job_durations(), f"{status}|count", 1)
        pipe.execute()


@dataclass(frozen=True)
class Durations:
    """One status's job durations: cumulative (upper bound, count) buckets, sum and count."""

    buckets: list[tuple[str, int]]
    sum: float
    count: int


@dataclass
class FleetSnapshot:
    queued: int = 0
    running: int = 0
    finished: dict[str, int] = field(default_factory=dict)
    queue_depth: dict[str, int] = field(default_factory=dict)
    training: dict[str, dict[str, float]] = field(default_factory=dict)  # kind → device → total
    rates: dict[str, float] = field(default_factory=dict)  # device → samples/s
    durations: dict[str, Durations] = field(default_factory=dict)  # status → histogram
    workers: dict[str, int] = field(default_factory=dict)  # queue → live workers


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def _rates(raw: dict[bytes, bytes], now: float) -> dict[str, float]:
    rates: dict[str, float] = {}
    for value in raw.values():
        try:
            entry = orjson.loads(value)
            device, rate, at = str(entry["device"]), float(entry["rate"]), float(entry["at"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
        if now - at <= RATE_WINDOW_SECS and math.isfinite(rate):
            rates[device] = rates.get(device, 0.0) + rate
    return rates


def _durations(raw: dict[bytes, bytes]) -> dict[str, Durations]:
    fields: dict[str, dict[str, str]] = {}
    for key, value in raw.items():
        status, _, part = _text(key).partition("|")
        fields.setdefault(status, {})[part] = _text(value)
    out: dict[str, Durations] = {}
    for status, parts in fields.items():
        cumulative, buckets = 0, []
        for bound in [*map(repr, JOB_SECONDS_BUCKETS), "+Inf"]:
            cumulative += int(parts.get(bound, 0))
            buckets.append((bound, cumulative))
        out[status] = Durations(buckets, float(parts.get("sum", 0.0)), int(parts.get("count", 0)))
    return out


def _totals(raw: dict[bytes, bytes]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for key, value in raw.items():
        kind, _, device = _text(key).partition("|")
        out.setdefault(kind, {})[device] = float(value)
    return out


async def snapshot(client: aioredis.Redis) -> FleetSnapshot:
    """Everything above in two round trips: the live workers, then one pipeline (Redis server
    time decides which rates are live). Queues: the known ones and any a live worker consumes."""
    live = workers.per_queue(await workers.live_async(client))
    queues = sorted(live)
    async with client.pipeline(transaction=False) as pipe:
        pipe.time()
        pipe.zcard(queued_jobs())
        pipe.scard(running_jobs())
        pipe.hgetall(jobs_finished_counts())
        pipe.hgetall(training_totals())
        pipe.hgetall(training_rates())
        pipe.hgetall(job_durations())
        for queue in queues:
            for key in broker_queues(queue):
                pipe.llen(key)
        results = await pipe.execute()
    (seconds, micros), queued, running, finished, totals, rates, durations = results[:7]
    lengths = results[7:]
    per_queue = len(lengths) // max(1, len(queues))
    return FleetSnapshot(
        queued=int(queued),
        running=int(running),
        finished={_text(k): int(v) for k, v in finished.items()},
        queue_depth={
            queue: sum(lengths[i * per_queue : (i + 1) * per_queue])
            for i, queue in enumerate(queues)
        },
        training=_totals(totals),
        rates=_rates(rates, seconds + micros / 1e6),
        durations=_durations(durations),
        workers=live,
    )
