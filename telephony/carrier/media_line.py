"""One caller's media, one thing at a time: jobs (a prompt, a digit collection, an announcement,
a recording) run in the order the routing engine asked for them, and a background job (hold
music) fills the gaps: it stops when a job comes and starts again when the jobs are done."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)
Job = Callable[[], Awaitable[None]]


class MediaLine:
    """A queue of media jobs with an optional background job, run by one task."""

    def __init__(self, call_id: str) -> None:
        self.call_id = call_id
        self._jobs: deque[Job] = deque()
        self._background: Job | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.idle = asyncio.Event()

    def start(self) -> None:
        """Start running jobs (the call is answered)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    @property
    def started(self) -> bool:
        """True once `start` was called."""
        return self._task is not None

    def then(self, job: Job) -> None:
        """Run `job` after the jobs already queued, interrupting the background."""
        self._jobs.append(job)
        self.idle.clear()
        self._wake.set()

    def background(self, job: Job | None) -> None:
        """Run `job` whenever no other job is queued (None: silence)."""
        self._background = job
        self._wake.set()

    async def close(self) -> None:
        """Stop everything; a job being run is cancelled (its `finally` blocks run)."""
        self._jobs.clear()
        self._background = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            if self._jobs:
                await self._run_job(self._jobs.popleft())
                continue
            self.idle.set()
            self._wake.clear()
            background = self._background
            if background is None:
                await self._wake.wait()
            else:
                await self._run_background(background)

    async def _run_job(self, job: Job) -> None:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            # A broken prompt must not stop the rest of the call's media.
            log.exception("media job failed", call_id=self.call_id)

    async def _run_background(self, background: Job) -> None:
        """Run the background until something is queued (or it ends by itself)."""
        task = asyncio.get_running_loop().create_task(self._run_job(background))
        waiter = asyncio.get_running_loop().create_task(self._wake.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if task.done() and not waiter.done():
                await waiter  # it ended by itself: wait for the next thing to do
        finally:
            for pending in (task, waiter):
                pending.cancel()
            await asyncio.gather(task, waiter, return_exceptions=True)
