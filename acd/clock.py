"""Time, injected: a `Clock` protocol, the real clock, and a virtual clock that jumps to the next
timer so a simulated hour runs in a fraction of a second.

The virtual clock runs on `VirtualTimeLoop`, an asyncio event loop whose `time()` is simulated:
whenever no callback is ready and no socket has data, the loop advances its time straight to the
next scheduled timer instead of sleeping. Everything built on asyncio timers (`asyncio.sleep`,
`call_later`, `wait_for`) therefore runs unchanged in simulated time.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Timer(Protocol):
    """A scheduled callback that can be cancelled."""

    def cancel(self) -> None:
        """Do not run the callback."""


class Clock(Protocol):
    """The one source of time for the routing engine, the carriers and reporting."""

    def now(self) -> float:
        """Seconds since the Unix epoch."""

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer:
        """Run `callback` after `delay` seconds of this clock's time."""

    async def sleep(self, delay: float) -> None:
        """Suspend the calling task for `delay` seconds of this clock's time."""


def to_datetime(epoch_s: float) -> datetime:
    """An epoch timestamp as an aware UTC datetime."""
    return datetime.fromtimestamp(epoch_s, tz=UTC)


class RealClock:
    """Wall-clock time, with timers on the running asyncio loop."""

    def now(self) -> float:
        """Seconds since the Unix epoch, from the system clock."""
        return time.time()

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer:
        """Schedule on the running loop."""
        return asyncio.get_running_loop().call_later(max(0.0, delay), callback)

    async def sleep(self, delay: float) -> None:
        """Sleep on the running loop."""
        await asyncio.sleep(delay)


class _JumpingSelector(selectors.DefaultSelector):
    """A selector that, instead of blocking until a timer is due, tells the loop to jump there."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer pending: only another thread or a socket can wake us
            return super().select(None)
        self._loop.advance(timeout)
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on simulated time that jumps to the next timer when nothing is ready."""

    def __init__(self) -> None:
        self._virtual_now = 0.0
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        """The loop's simulated monotonic time."""
        return self._virtual_now

    def advance(self, seconds: float) -> None:
        """Move simulated time forward."""
        self._virtual_now += seconds


class VirtualClock:
    """Simulated time on a `VirtualTimeLoop`, starting at a chosen epoch instant."""

    def __init__(self, loop: VirtualTimeLoop, start: float) -> None:
        self._loop = loop
        self._start = start

    def now(self) -> float:
        """The simulated instant, in seconds since the Unix epoch."""
        return self._start + self._loop.time()

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer:
        """Schedule on the virtual loop."""
        return self._loop.call_later(max(0.0, delay), callback)

    async def sleep(self, delay: float) -> None:
        """Sleep in simulated time (returns as soon as every earlier timer has run)."""
        await asyncio.sleep(delay)


def run_virtual(
    main: Callable[[VirtualClock], Coroutine[Any, Any, T]] | Callable[[VirtualClock], Awaitable[T]],
    start: float,
) -> T:
    """Run `main(clock)` to completion on a fresh virtual-time loop starting at `start`."""
    loop = VirtualTimeLoop()
    try:
        clock = VirtualClock(loop, start)
        return loop.run_until_complete(main(clock))
    finally:
        loop.close()
