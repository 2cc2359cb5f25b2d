"""Agent presence as a state machine: LOGGED_OUT → AVAILABLE → RESERVED → ON_CALL → WRAP_UP →
AVAILABLE, with PAUSED(reason) reachable from most states. Pure: no clock, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any


class AgentState(StrEnum):
    """Where an agent is in the presence state machine."""

    LOGGED_OUT = "logged-out"
    AVAILABLE = "available"
    RESERVED = "reserved"
    ON_CALL = "on-call"
    WRAP_UP = "wrap-up"
    PAUSED = "paused"


_S = AgentState
ALLOWED: dict[AgentState, frozenset[AgentState]] = {
    _S.LOGGED_OUT: frozenset({_S.AVAILABLE, _S.PAUSED}),
    _S.AVAILABLE: frozenset({_S.RESERVED, _S.PAUSED, _S.LOGGED_OUT}),
    _S.RESERVED: frozenset({_S.ON_CALL, _S.AVAILABLE, _S.PAUSED, _S.LOGGED_OUT}),
    _S.ON_CALL: frozenset({_S.WRAP_UP, _S.AVAILABLE, _S.PAUSED, _S.LOGGED_OUT}),
    _S.WRAP_UP: frozenset({_S.AVAILABLE, _S.PAUSED, _S.LOGGED_OUT}),
    _S.PAUSED: frozenset({_S.AVAILABLE, _S.PAUSED, _S.LOGGED_OUT}),
}


class InvalidTransition(ValueError):
    """A presence change the state machine does not allow."""


@dataclass(frozen=True, slots=True)
class AgentPresence:
    """An agent's presence and the counters routing strategies need."""

    agent_id: str
    state: AgentState = AgentState.LOGGED_OUT
    since: float = 0.0
    reason: str = ""
    call_id: str = ""
    idle_since: float = 0.0
    calls_handled: int = 0
    talk_s: float = 0.0
    no_answer_streak: int = 0
    pending_pause: str = ""
    pending_logout: bool = False

    def transition(
        self, to: AgentState, at: float, *, reason: str = "", call_id: str = ""
    ) -> AgentPresence:
        """The presence after moving to `to` at `at`; raises InvalidTransition if not allowed."""
        if to not in ALLOWED[self.state]:
            raise InvalidTransition(f"agent {self.agent_id}: {self.state} -> {to} is not allowed")
        available, logged_out = to is AgentState.AVAILABLE, to is AgentState.LOGGED_OUT
        # Built field by field: this runs on every routing decision, and `replace` is slow.
        return AgentPresence(
            agent_id=self.agent_id,
            state=to,
            since=at,
            reason=reason,
            call_id=call_id,
            idle_since=at if available else self.idle_since,
            calls_handled=self.calls_handled,
            talk_s=self.talk_s,
            no_answer_streak=0 if logged_out else self.no_answer_streak,
            pending_pause="" if available or logged_out else self.pending_pause,
            pending_logout=False if available or logged_out else self.pending_logout,
        )

    def time_in_state(self, now: float) -> float:
        """Seconds spent in the current state."""
        return max(0.0, now - self.since)

    @property
    def is_busy(self) -> bool:
        """True while the agent holds a contact (ringing, talking or wrapping up)."""
        return self.state in (AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP)


_FIELDS = tuple(f.name for f in fields(AgentPresence))


def with_changes(presence: AgentPresence, **changes: Any) -> AgentPresence:
    """The presence with some fields changed (no validation, unlike a transition).

    Copied field by field: this runs on routing decisions, and `dataclasses.replace` is slow.
    """
    copy = object.__new__(AgentPresence)
    for name in _FIELDS:
        object.__setattr__(
            copy, name, changes[name] if name in changes else getattr(presence, name)
        )
    return copy
