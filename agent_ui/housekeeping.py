"""Chores the running center does by itself: today, closing tickets that have stayed resolved for
the auto-close period (a week by default), as the ticket rules promise. It runs once at start and
then every hour, in a worker thread (it writes to the database), and a failure is logged and
retried at the next turn, never taken down with the app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

import structlog

log = structlog.get_logger(__name__)
EVERY_S = 3600.0


class Housekeeping:
    """A background service that runs `close_resolved` now and every `every_s` seconds."""

    def __init__(
        self, close_resolved: Callable[[], Sequence[int]], *, every_s: float = EVERY_S
    ) -> None:
        self._close_resolved = close_resolved
        self._every_s = every_s
        self._task: asyncio.Task[None] | None = None
        self.runs = 0

    async def start(self) -> None:
        """Begin the hourly round."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """End it (a round in progress finishes its transaction in its thread)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self._every_s)

    async def run_once(self) -> None:
        """One round; errors are logged, not raised."""
        try:
            closed = await asyncio.to_thread(self._close_resolved)
        except Exception:
            log.exception("housekeeping: closing resolved tickets failed")
        else:
            if closed:
                log.info("housekeeping: resolved tickets closed", tickets=list(closed))
        self.runs += 1
