"""Looking after callers while they wait: the preferred-agent window, position announcements,
and the timers that drive them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from acd import events as ev
from acd.calls import CallSession, Output
from acd.commands import AnnouncePosition
from acd.contacts import WaitingContact

if TYPE_CHECKING:
    from acd.engine import Engine


class WaitingCare:
    """Timers and announcements for waiting contacts."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._store = engine.store

    def handlers(self) -> dict[type[ev.Event], Callable[[Any, list[Output]], Awaitable[None]]]:
        """The events this part handles."""
        return {
            ev.PreferenceExpired: self._on_preference_expired,
            ev.AnnouncementDue: self._on_announcement_due,
        }

    def start(self, call: CallSession, contact: WaitingContact) -> None:
        """Start the max-wait, preferred-agent and announcement timers of a new waiting call."""
        engine = self._engine
        queue = engine.center.queues[contact.queue]
        if queue.max_wait_s is not None:
            engine.start_timer(
                call,
                "max-wait",
                queue.max_wait_s,
                lambda: ev.MaxWaitExpired(
                    at=engine.now(), call_id=call.call_id, queue=contact.queue
                ),
            )
        if contact.preferred_until:
            engine.dispatch.waiting_for.setdefault(contact.preferred_agent, set()).add(call.call_id)
            engine.start_timer(
                call,
                "preferred",
                contact.preferred_until - engine.now(),
                lambda: ev.PreferenceExpired(at=engine.now(), call_id=call.call_id),
            )
        if queue.announce_every_s > 0:
            self._next_announcement(call, queue.announce_every_s)

    def _next_announcement(self, call: CallSession, every_s: float) -> None:
        engine = self._engine
        engine.start_timer(
            call,
            "announce",
            every_s,
            lambda: ev.AnnouncementDue(at=engine.now(), call_id=call.call_id),
        )

    async def _on_preference_expired(self, event: ev.PreferenceExpired, out: list[Output]) -> None:
        contact = await self._store.get_waiting(event.call_id)
        # A window started later (the call moved to another queue) is not over yet.
        if contact is not None and 0 < contact.preferred_until <= event.at:
            await self.drop_preference(contact, out)

    async def drop_preference(self, contact: WaitingContact, out: list[Output]) -> None:
        """The contact stops waiting for one agent; offer it to anyone qualified."""
        dispatch = self._engine.dispatch
        dispatch.waiting_for.get(contact.preferred_agent, set()).discard(contact.call_id)
        contact = replace(contact, preferred_until=0.0)
        await self._store.update_waiting(contact)
        await dispatch.offer_contact(contact, out)

    async def _on_announcement_due(self, event: ev.AnnouncementDue, out: list[Output]) -> None:
        call = self._engine.call(event.call_id)
        contact = await self._store.get_waiting(event.call_id)
        if call is None or contact is None:
            return
        queue = self._engine.center.queues[contact.queue]
        info = await self._engine.status.contact_info(contact)
        out.append(
            AnnouncePosition(
                call_id=call.call_id,
                position=info.position,
                estimated_wait_s=info.estimated_wait_s,
                callback_key=queue.callback_key or "",
            )
        )
        self._next_announcement(call, queue.announce_every_s)
