"""The call legs' lifecycles as data: one transition table per kind of leg, applied by
`LegState.change`, which logs every move as `state -[event]-> state`.

A caller's leg is our UAS side of an inbound INVITE (RFC 3261 §13.3); an agent's leg is our UAC
side of the INVITE that rings the agent's phone (§13.2, CANCEL per §9.1). An event a state does
not list is refused (`change` returns False) and the leg stays where it was, which is how stray
or late messages are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import structlog

log = structlog.get_logger(__name__)


class Leg(StrEnum):
    """Where a leg is in its life."""

    RINGING = "ringing"  # caller: INVITE taken, 180 sent; agent: INVITE sent or 1xx received
    ANSWERING = "answering"  # caller: 200 sent, waiting for the ACK
    CANCEL_PENDING = "cancel-pending"  # agent: CANCEL wanted, waiting for a 1xx to send it (§9.1)
    CANCELLING = "cancelling"  # agent: CANCEL sent, waiting for the final response
    UP = "up"  # the dialog is confirmed and media flows
    ENDED = "ended"


CALLER_LEG: dict[tuple[Leg, str], Leg] = {
    (Leg.RINGING, "answer"): Leg.ANSWERING,
    (Leg.RINGING, "cancel"): Leg.ENDED,
    (Leg.RINGING, "reject"): Leg.ENDED,
    (Leg.ANSWERING, "ack"): Leg.UP,
    (Leg.ANSWERING, "bye"): Leg.ENDED,
    (Leg.ANSWERING, "hangup"): Leg.ENDED,
    (Leg.ANSWERING, "no-ack"): Leg.ENDED,
    (Leg.UP, "bye"): Leg.ENDED,
    (Leg.UP, "hangup"): Leg.ENDED,
}

AGENT_LEG: dict[tuple[Leg, str], Leg] = {
    (Leg.RINGING, "answered"): Leg.UP,
    (Leg.RINGING, "declined"): Leg.ENDED,
    (Leg.RINGING, "cancel"): Leg.CANCELLING,
    (Leg.RINGING, "cancel-early"): Leg.CANCEL_PENDING,
    (Leg.CANCEL_PENDING, "provisional"): Leg.CANCELLING,
    (Leg.CANCEL_PENDING, "answered"): Leg.ENDED,  # too late to cancel: ACK, then BYE
    (Leg.CANCEL_PENDING, "declined"): Leg.ENDED,
    (Leg.CANCELLING, "declined"): Leg.ENDED,  # 487 Request Terminated, usually
    (Leg.CANCELLING, "answered"): Leg.ENDED,  # the 200 crossed our CANCEL: ACK, then BYE
    (Leg.CANCELLING, "cancel-timeout"): Leg.ENDED,
    (Leg.UP, "bye"): Leg.ENDED,
    (Leg.UP, "hangup"): Leg.ENDED,
}


@dataclass(slots=True)
class LegState:
    """One leg's current state under its table; `call_id` and `leg` name it in the log."""

    table: dict[tuple[Leg, str], Leg]
    call_id: str
    leg: str
    state: Leg = Leg.RINGING
    history: list[str] = field(default_factory=list)

    def change(self, event: str) -> bool:
        """Apply `event`; False (and no change) when the table has no such move."""
        target = self.table.get((self.state, event))
        if target is None:
            log.debug(
                "leg event ignored", call_id=self.call_id, leg=self.leg, state=self.state, ev=event
            )
            return False
        move = f"{self.state} -[{event}]-> {target}"
        log.info("leg", call_id=self.call_id, leg=self.leg, move=move)
        self.history.append(move)
        self.state = target
        return True

    def can(self, event: str) -> bool:
        """True if `event` would be accepted now."""
        return (self.state, event) in self.table

    @property
    def ended(self) -> bool:
        """True once the leg is over."""
        return self.state is Leg.ENDED
