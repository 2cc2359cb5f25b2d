"""The in-process event bus: every consumer of domain events subscribes here.

Handlers run in subscription order for each event, one event at a time, so every consumer sees
the same order. A failing handler is logged and does not stop the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import structlog

from acd.events import Event

Handler = Callable[[Event], Awaitable[None]]
log = structlog.get_logger(__name__)


class EventBus:
    """Publish domain events to subscribed async handlers."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def subscribe(self, handler: Handler) -> Callable[[], None]:
        """Call `handler` for every event from now on; returns a function that unsubscribes."""
        self._handlers.append(handler)

        def unsubscribe() -> None:
            if handler in self._handlers:
                self._handlers.remove(handler)

        return unsubscribe

    async def publish(self, event: Event) -> None:
        """Deliver `event` to every handler, in subscription order."""
        for handler in list(self._handlers):
            try:
                await handler(event)
            except Exception:
                log.exception(
                    "event handler failed", handler=repr(handler), failed_event=repr(event)
                )

    async def stream(self, maxsize: int = 1000) -> AsyncIterator[Event]:
        """Iterate over events as they come (for slow consumers such as websockets).

        When the consumer falls `maxsize` events behind, the oldest are dropped: a live view
        should then reload its state rather than replay history.
        """
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize)

        async def enqueue(event: Event) -> None:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

        unsubscribe = self.subscribe(enqueue)
        try:
            while True:
                yield await queue.get()
        finally:
            unsubscribe()
