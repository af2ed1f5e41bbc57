"""A background task of the running event loop, for this process's shared Redis readers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

CANCEL_AGAIN_SECS = 1.0


class LoopTask:
    """``run()`` as one task of the running loop: started on demand, started again if it ended.

    The API's lifespan starts it and closes it. A new loop (a test client without a lifespan
    runs each request in a loop of its own) calls ``on_new_loop`` first: whatever the owner
    kept for the old loop died with it.
    """

    def __init__(
        self,
        run: Callable[[], Coroutine[Any, Any, None]],
        *,
        name: str,
        on_new_loop: Callable[[], None],
    ) -> None:
        self._run = run
        self._name = name
        self._on_new_loop = on_new_loop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None

    def ensure(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop, self._task = loop, None
            self._on_new_loop()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name=self._name)

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is None or self._loop is not asyncio.get_running_loop():
            return
        # Cancel until it ends: redis-py (8.1) can swallow a cancellation that lands in a
        # blocking read (XREAD returns as if its block ran out), and a task that then waits
        # for work would never end.
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=CANCEL_AGAIN_SECS)
        with contextlib.suppress(asyncio.CancelledError):
            task.result()
