"""Carrying out an operation's steps: the one place where Client and AsyncClient differ.

An operation (see :mod:`._steps`) is a generator that yields each thing it needs done (an
:data:`Effect`: send a request, sleep, open an event stream, read its next line, hand an item
to the caller) and is sent the result back, or has the error thrown in where it occurred.
:class:`SyncTransport` does each effect with ``httpx.Client`` and ``time.sleep``,
:class:`AsyncTransport` with ``httpx.AsyncClient`` and ``asyncio.sleep``; retries, reconnecting
streams, waiting and paging are written once, in the steps (the "sans-I/O" style of h11).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

from mlpforge.client._calls import Call

T = TypeVar("T")


@dataclass(frozen=True)
class Send:
    """Make the request; the steps get the response back, whatever its status."""

    call: Call[Any]


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Open:
    """Open an event stream (one at a time: any effect but NextLine closes it); the steps get
    the response back, its body read when it is an error answer."""

    path: str
    headers: dict[str, str]
    timeout: httpx.Timeout


@dataclass(frozen=True)
class NextLine:
    """The open stream's next line; None where the stream ends."""


@dataclass(frozen=True)
class Emit:
    """An item for the caller: what ``iterate`` yields and ``run`` hands to ``on_item``."""

    item: Any


Effect = Send | Sleep | Open | NextLine | Emit
Steps = Generator[Effect, Any, T]
NEXT_LINE = NextLine()


class _Run(Generic[T]):
    """One run of an operation's steps: the outcome of each effect in, the next effect out."""

    def __init__(self, steps: Steps[T]) -> None:
        self.steps = steps
        self.result: T
        self.lines: Any = None  # the open stream's line iterator

    def resume(self, value: Any = None, error: Exception | None = None) -> Effect | None:
        """The next effect, or None once the steps have returned (their value in ``result``)."""
        try:
            return self.steps.throw(error) if error is not None else self.steps.send(value)
        except StopIteration as stop:
            self.result = stop.value
            return None


class SyncTransport:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def run(self, steps: Steps[T], on_item: Callable[[Any], None] | None = None) -> T:
        run = _Run(steps)
        for item in self._drive(run):
            if on_item is not None:
                on_item(item)
        return run.result

    def iterate(self, steps: Steps[Any]) -> Iterator[Any]:
        return self._drive(_Run(steps))

    def _drive(self, run: _Run[Any]) -> Iterator[Any]:
        with contextlib.ExitStack() as stream, contextlib.closing(run.steps):
            effect = run.resume()
            while effect is not None:
                if isinstance(effect, Emit):
                    yield effect.item
                    effect = run.resume()
                    continue
                try:
                    value, error = self._do(effect, run, stream), None
                except Exception as caught:
                    value, error = None, caught
                effect = run.resume(value, error)

    def _do(self, effect: Effect, run: _Run[Any], stream: contextlib.ExitStack) -> Any:
        if isinstance(effect, NextLine):
            return next(run.lines, None)
        stream.close()
        if isinstance(effect, Send):
            return self.http.request(effect.call.method, effect.call.path, **effect.call.options())
        if isinstance(effect, Sleep):
            return time.sleep(effect.seconds)
        assert isinstance(effect, Open)
        request = self.http.stream(
            "GET", effect.path, headers=effect.headers, timeout=effect.timeout
        )
        response = stream.enter_context(request)
        if response.status_code >= 400:
            response.read()
        run.lines = response.iter_lines()
        return response


class AsyncTransport:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def run(self, steps: Steps[T], on_item: Callable[[Any], None] | None = None) -> T:
        run = _Run(steps)
        async for item in self._drive(run):
            if on_item is not None:
                on_item(item)
        return run.result

    def iterate(self, steps: Steps[Any]) -> AsyncIterator[Any]:
        return self._drive(_Run(steps))

    async def _drive(self, run: _Run[Any]) -> AsyncIterator[Any]:
        async with contextlib.AsyncExitStack() as stream:
            with contextlib.closing(run.steps):
                effect = run.resume()
                while effect is not None:
                    if isinstance(effect, Emit):
                        yield effect.item
                        effect = run.resume()
                        continue
                    try:
                        value, error = await self._do(effect, run, stream), None
                    except Exception as caught:
                        value, error = None, caught
                    effect = run.resume(value, error)

    async def _do(self, effect: Effect, run: _Run[Any], stream: contextlib.AsyncExitStack) -> Any:
        if isinstance(effect, NextLine):
            return await anext(run.lines, None)
        await stream.aclose()
        if isinstance(effect, Send):
            call = effect.call
            return await self.http.request(call.method, call.path, **call.options())
        if isinstance(effect, Sleep):
            return await asyncio.sleep(effect.seconds)
        assert isinstance(effect, Open)
        request = self.http.stream(
            "GET", effect.path, headers=effect.headers, timeout=effect.timeout
        )
        response = await stream.enter_async_context(request)
        if response.status_code >= 400:
            await response.aread()
        run.lines = response.aiter_lines()
        return response
