"""The runtime that drives the engine: one inbox of events, handled strictly one at a time.

Carriers, agents' desktops and the engine's timers `submit` events. For each event the runtime
publishes it on the bus, lets the engine decide, publishes the engine's decision events and hands
its commands to the carrier, in that order. One event at a time keeps every consumer's view
consistent and makes simulations deterministic.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import structlog

from acd.bus import EventBus
from acd.commands import Command
from acd.events import Event

log = structlog.get_logger(__name__)


class EnginePort(Protocol):
    """What the runtime needs from the routing engine."""

    async def handle(self, event: Event) -> list[Command | Event]:
        """Apply one event; the commands and events it leads to, in order."""


class CarrierPort(Protocol):
    """What the engine needs from telephony: carry out a command (simulated or over SIP)."""

    async def execute(self, command: Command) -> None:
        """Carry out one command; results come back later as events."""


class Inbox:
    """The queue of events waiting to be handled."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Event] = asyncio.Queue()

    def submit(self, event: Event) -> None:
        """Add an event (safe from callbacks and timers)."""
        self._queue.put_nowait(event)

    async def get(self) -> Event:
        """The next event."""
        return await self._queue.get()

    def done(self) -> None:
        """Mark the last event handled."""
        self._queue.task_done()

    async def drained(self) -> None:
        """Wait until every submitted event has been handled."""
        await self._queue.join()


class Runtime:
    """Feeds the inbox through the bus, the engine and the carrier."""

    def __init__(
        self, inbox: Inbox, bus: EventBus, engine: EnginePort, carrier: CarrierPort
    ) -> None:
        self.inbox = inbox
        self.bus = bus
        self.engine = engine
        self.carrier = carrier

    async def step(self, event: Event) -> None:
        """Handle one event completely."""
        await self.bus.publish(event)
        await self.apply(await self.engine.handle(event))

    async def apply(self, outputs: list[Command | Event]) -> None:
        """Publish the engine's events and carry out its commands, in order."""
        for output in outputs:
            if isinstance(output, Event):
                await self.bus.publish(output)
            else:
                await self.carrier.execute(output)

    async def run(self) -> None:
        """Handle events until cancelled."""
        while True:
            event = await self.inbox.get()
            try:
                await self.step(event)
            except Exception:
                # One bad event must not stop the center; it is logged with the event.
                log.exception("event could not be handled", failed_event=repr(event))
            finally:
                self.inbox.done()
