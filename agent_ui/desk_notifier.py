"""Turns domain events into websocket messages: the desk board's notices, with screen-pops.

The customer lookup for a screen-pop starts when the call is offered (the caller is still in
the IVR), so by the time an agent's phone rings the card is usually ready and goes out in the
same message as the ringing banner. The lookup runs in a worker thread (it reads the database);
the bus never waits for it, and the hub keeps each tab's messages in order.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

import structlog

from acd import events as ev
from agent_ui.desk_view import DeskBoard, Message, Notice
from agent_ui.live_hub import LiveHub

POP_TIMEOUT_S = 2.0  # a lookup this slow is shown as "unknown caller" rather than holding the pop

log = structlog.get_logger(__name__)


class ScreenPops(Protocol):
    """Where screen-pops come from: find the caller once per call, then a card per agent."""

    async def find(self, ani: str) -> Any:
        """Whatever identifies the caller (None: unknown)."""

    async def card(self, found: Any, agent_id: str) -> dict[str, Any] | None:
        """The card agent `agent_id` is shown (None: "unknown caller")."""


class NoScreenPops:
    """A center without customer records: every caller is unknown."""

    async def find(self, ani: str) -> Any:
        """Nobody."""
        return None

    async def card(self, found: Any, agent_id: str) -> dict[str, Any] | None:
        """No card."""
        return None


class DeskNotifier:
    """Bus handler: applies each event to the desk board and delivers what it means."""

    def __init__(self, board: DeskBoard, hub: LiveHub, pops: ScreenPops | None = None) -> None:
        self.board = board
        self._hub = hub
        self._screen_pops = pops or NoScreenPops()
        self._pops: dict[str, asyncio.Task[Any]] = {}
        self._cards: dict[str, tuple[str, dict[str, Any] | None]] = {}  # agent: (call, card)

    async def __call__(self, event: ev.Event) -> None:
        """Handle one event (never waits for a browser or the database)."""
        if isinstance(event, ev.CallOffered):
            self._pops[event.call_id] = asyncio.create_task(self._look_up(event.ani))
        for notice in self.board.apply(event):
            if notice.message["type"] == "ringing":
                self._hub.deliver(notice, self._with_card(event, notice))
            else:
                self._hub.deliver(notice)
        if isinstance(event, ev.CallFinished):
            task = self._pops.pop(event.call_id, None)
            if task is not None and not task.done():
                task.cancel()

    async def _look_up(self, ani: str) -> Any:
        try:
            return await asyncio.wait_for(self._screen_pops.find(ani), POP_TIMEOUT_S)
        except Exception:
            log.warning("screen-pop lookup failed", ani=ani, exc_info=True)
            return None

    def card_of(self, agent_id: str, call_id: str) -> dict[str, Any] | None:
        """The card last shown to the agent for this call (for a tab that reconnects)."""
        shown_call, card = self._cards.get(agent_id, ("", None))
        return card if shown_call == call_id else None

    async def _with_card(self, event: ev.Event, notice: Notice) -> Message:
        call_id = getattr(event, "call_id", "")
        task = self._pops.get(call_id)
        card = None
        try:
            found = await asyncio.shield(task) if task is not None else None
            card = await asyncio.wait_for(self._screen_pops.card(found, notice.to), POP_TIMEOUT_S)
        except Exception:
            log.warning("screen-pop card failed", agent_id=notice.to, exc_info=True)
        self._cards[notice.to] = (call_id, card)
        return {**notice.message, "customer": card}
