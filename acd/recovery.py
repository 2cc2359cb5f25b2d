"""Starting again after a restart, from what the state store kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

from acd import events as ev
from acd.calls import Output

if TYPE_CHECKING:
    from acd.engine import Engine

RESTART_REASON = "system-restart"


async def recover(engine: Engine) -> list[Output]:
    """Close waiting calls whose media is gone (as abandoned, reason `system-restart`), give
    kept callbacks a session again, and free agents held by calls that are gone. Presence
    (pauses with reasons and since-when) and positions stay as the store kept them."""
    out: list[Output] = []
    for name in engine.center.queues:
        for contact in await engine.store.waiting(name):
            if contact.channel != "voice" or engine.call(contact.call_id) is not None:
                continue
            await engine.store.remove_waiting(contact.call_id)
            out.append(
                ev.CallLost(
                    at=engine.now(),
                    call_id=contact.call_id,
                    queue=contact.queue,
                    ani=contact.ani,
                    dnis=contact.dnis,
                    arrived_at=contact.arrived_at,
                    queued_at=contact.first_queued_at,
                    reason=RESTART_REASON,
                )
            )
    await engine.callbacks.recover(out)
    await engine.desk.recover(out)
    return out
