"""Which jobs have a training message in the broker: waiting in a queue, or delivered.

The Celery broker is this same Redis, through kombu's Redis transport (layout checked on a
real worker, kombu 5.x; key names in store.keys):

- a queue is a list named after it (LPUSH to send, BRPOP to receive), one more list per
  non-zero priority level;
- a message a worker has received but not yet acknowledged (tasks ack late: until the job's
  run ends) is a field of the hash ``unacked``, valued ``[message, exchange, routing_key]``;
- a message is JSON whose ``headers`` are plain JSON — ``task`` (the task name) and
  ``argsrepr`` (``"['tenant', 'job_id']"``) — beside the base64 body, which is not decoded.

A message moves from its list to ``unacked`` when delivered, so the lists are read before the
hash: a message in flight is then seen in one of the two, except in the microseconds between
kombu's BRPOP and its HSET. A job missed that way is sent twice, which is harmless: the job's
lease lets only one delivery train it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from itertools import chain
from typing import Any

import orjson
import redis

from store.keys import BROKER_UNACKED, JobRef, broker_queues

# Messages read per round trip while walking a long queue.
CHUNK = 1000


def _job_of(message: Any, task: str) -> JobRef | None:
    """The (tenant, job_id) a training message is for; None for anything else."""
    headers = message.get("headers") if isinstance(message, dict) else None
    if not isinstance(headers, dict) or headers.get("task") != task:
        return None
    try:
        args = ast.literal_eval(str(headers.get("argsrepr", "")))  # literals only, never code
    except (ValueError, SyntaxError):
        return None
    if isinstance(args, list | tuple) and len(args) == 2 and all(isinstance(a, str) for a in args):
        return args[0], args[1]
    return None


def _loads(raw: bytes | str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def _waiting(client: redis.Redis, queues: Iterable[str]) -> Iterator[Any]:
    for queue in queues:
        for key in broker_queues(queue):
            start = 0
            while True:
                chunk = client.lrange(key, start, start + CHUNK - 1)
                yield from map(_loads, chunk)
                if len(chunk) < CHUNK:
                    break
                start += CHUNK


def _delivered(client: redis.Redis) -> Iterator[Any]:
    for _tag, raw in client.hscan_iter(BROKER_UNACKED, count=CHUNK):
        entry = _loads(raw)
        if isinstance(entry, list) and entry:
            yield entry[0]


def jobs_in_broker(
    client: redis.Redis, wanted: set[JobRef], queues: Iterable[str], *, task: str
) -> set[JobRef]:
    """Those of ``wanted`` with a ``task`` message waiting in one of ``queues`` or delivered.

    Reads the broker only until every wanted job is found.
    """
    found: set[JobRef] = set()
    for message in chain(_waiting(client, queues), _delivered(client)):
        job = _job_of(message, task)
        if job in wanted:
            found.add(job)
            if found == wanted:
                break
    return found
