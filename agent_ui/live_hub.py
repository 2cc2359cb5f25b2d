"""The websocket hub: which browser tabs are connected, and what each is sent, in order.

Every tab has an outbox of bounded length. What is put in it is either a message or an awaitable
of one (a screen-pop whose customer lookup is still running): the tab's sender takes them in
order, so a later message never overtakes an earlier one, and the event bus never waits for a
browser. A tab that falls too far behind is closed (code 1013, "try again later"): the page
reconnects and starts from a fresh snapshot instead of replaying stale changes.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from agent_ui.desk_view import SUPERVISORS, Message, Notice
from crm_core.users import Role, UserPublic

OUTBOX_LIMIT = 512
Outgoing = Message | Awaitable[Message | None]
_LAGGING: Message = {"type": "lagging"}


@dataclass(eq=False, slots=True)
class Tab:
    """One connected browser tab of a signed-in user."""

    number: int
    user: UserPublic
    outbox: asyncio.Queue[Outgoing] = field(default_factory=lambda: asyncio.Queue(OUTBOX_LIMIT + 1))
    lagging: bool = False

    @property
    def sees_board(self) -> bool:
        """Supervisors and admins watch the wallboard."""
        return self.user.role in (Role.SUPERVISOR, Role.ADMIN)

    def put(self, item: Outgoing) -> None:
        """Queue a message; a tab that is too far behind is told to start over."""
        if self.lagging:
            _discard(item)
            return
        if self.outbox.qsize() >= OUTBOX_LIMIT:
            self.lagging = True
            _discard(item)
            self.outbox.put_nowait(_LAGGING)
            return
        self.outbox.put_nowait(item)

    async def next_message(self) -> Message | None:
        """The next message to send, in order (None: skip; `lagging`: close the socket)."""
        item = await self.outbox.get()
        if isinstance(item, dict):
            return item
        return await item


def is_lagging(message: Message) -> bool:
    """True for the marker that tells a tab's sender to close the socket."""
    return message is _LAGGING


def _discard(item: Outgoing) -> None:
    if asyncio.isfuture(item):
        item.cancel()
    elif asyncio.iscoroutine(item):
        item.close()


class LiveHub:
    """The connected tabs, by agent and by role."""

    def __init__(self) -> None:
        self._tabs: set[Tab] = set()
        self._numbers = itertools.count(1)

    def connect(self, user: UserPublic) -> Tab:
        """A new tab for `user`."""
        tab = Tab(next(self._numbers), user)
        self._tabs.add(tab)
        return tab

    def disconnect(self, tab: Tab) -> None:
        """Forget a tab whose socket closed."""
        self._tabs.discard(tab)

    @property
    def tabs(self) -> int:
        """How many tabs are connected."""
        return len(self._tabs)

    @property
    def has_board_watchers(self) -> bool:
        """True if a supervisor or admin is connected."""
        return any(tab.sees_board for tab in self._tabs)

    def deliver(self, notice: Notice, message: Outgoing | None = None) -> None:
        """Send a notice (or `message` in its place, e.g. awaiting a lookup) to its audience."""
        item: Any = notice.message if message is None else message
        targets = [tab for tab in self._tabs if _addressed(tab, notice.to)]
        if not targets:
            _discard(item)
            return
        if not isinstance(item, dict) and len(targets) > 1:
            item = asyncio.ensure_future(item)
            shared: asyncio.Future[Message | None] = item
            for tab in targets:
                tab.put(asyncio.shield(shared))
            return
        for tab in targets:
            tab.put(item)


def _addressed(tab: Tab, to: str) -> bool:
    if to == SUPERVISORS:
        return tab.sees_board
    return tab.user.agent_id == to
