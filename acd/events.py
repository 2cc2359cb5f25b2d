"""The domain events: one vocabulary for telephony adapters, the routing engine, the call-record
writer, live statistics and the websocket hub.

Every event is a small frozen dataclass carrying `at`, the time it happened (seconds since the Unix
epoch, read from the injected clock). Events are grouped by who raises them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EndedBy = Literal["caller", "agent", "system"]
OverflowReason = Literal["timeout", "full", "no-agents"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every domain event."""

    at: float


# --- raised by a carrier adapter (simulated or SIP): what happened on the wire ----------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOffered(Event):
    """A new call reached the center (or, with direction 'callback', a callback was created)."""

    call_id: str
    ani: str
    dnis: str
    direction: str = "inbound"


@dataclass(frozen=True, slots=True, kw_only=True)
class DigitsCollected(Event):
    """The caller keyed digits after a prompt; empty when the collection timed out."""

    call_id: str
    digits: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentAnswered(Event):
    """The agent's phone answered a call offered to it."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CalleeAnswered(Event):
    """The number dialled by an `Originate` answered."""

    call_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferDeclined(Event):
    """The agent's phone refused an offered call (rejected, busy, unreachable)."""

    call_id: str
    agent_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VoicemailRecorded(Event):
    """A caller finished leaving a voicemail message."""

    call_id: str
    mailbox: str
    duration_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEnded(Event):
    """A call's last leg hung up."""

    call_id: str
    by: EndedBy
    cause: str = ""


# --- raised by agents (desktop, phone, simulated agent): requests to change presence -----------


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLoginRequested(Event):
    """An agent logs in and wants to take calls."""

    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLogoutRequested(Event):
    """An agent logs out."""

    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentReadyRequested(Event):
    """An agent becomes ready after a pause (or ends wrap-up early)."""

    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentPauseRequested(Event):
    """An agent pauses with a reason (break, lunch, training, ...)."""

    agent_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentWrapUpExtendRequested(Event):
    """An agent asks for more wrap-up time (once per call)."""

    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DispositionChosen(Event):
    """An agent recorded the outcome of a call (one of its queue's dispositions)."""

    call_id: str
    agent_id: str
    disposition: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackRequested(Event):
    """A waiting caller asked to be called back at `number` instead of holding on."""

    call_id: str
    number: str


# --- raised by the engine's own timers -------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RingTimedOut(Event):
    """An offer rang for the queue's ring timeout without being answered."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WrapUpExpired(Event):
    """An agent's wrap-up time ran out."""

    agent_id: str
    call_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MaxWaitExpired(Event):
    """A contact waited in a queue for the queue's maximum wait."""

    call_id: str
    queue: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PreferenceExpired(Event):
    """A contact stopped waiting for its preferred agent: anyone qualified may now take it."""

    call_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackRetryDue(Event):
    """A callback that could not reach the customer goes back in line."""

    call_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnouncementDue(Event):
    """Time to tell a waiting caller their position and estimated wait."""

    call_id: str


# --- raised by the routing engine: what it decided (the call-event log is built from these) ---


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRouted(Event):
    """The IVR or the hours check sent a call to a destination ('queue:x', 'menu:y', ...)."""

    call_id: str
    source: str
    destination: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallQueued(Event):
    """ENTERQUEUE: a contact entered a queue."""

    call_id: str
    queue: str
    priority: int
    position: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentStateChanged(Event):
    """An agent's presence changed; `reason` is set for pauses."""

    agent_id: str
    state: str
    previous: str
    reason: str = ""
    call_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRinging(Event):
    """A waiting contact is being offered to an agent."""

    call_id: str
    agent_id: str
    queue: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RingNoAnswer(Event):
    """RINGNOANSWER: an offer was not answered; the contact is back at its place in the queue."""

    call_id: str
    agent_id: str
    queue: str
    ring_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallConnected(Event):
    """CONNECT: the contact was bridged to an agent after waiting `wait_s` in the queue."""

    call_id: str
    agent_id: str
    queue: str
    wait_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallAbandoned(Event):
    """ABANDON: the caller hung up while waiting (or while an agent's phone rang)."""

    call_id: str
    queue: str
    wait_s: float
    position: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CallOverflowed(Event):
    """EXITWITHTIMEOUT / EXITFULL: a contact left its queue for the overflow destination."""

    call_id: str
    queue: str
    destination: str
    wait_s: float
    reason: OverflowReason


@dataclass(frozen=True, slots=True, kw_only=True)
class CallCompleted(Event):
    """COMPLETEAGENT / COMPLETECALLER: a connected call ended."""

    call_id: str
    agent_id: str
    queue: str
    talk_s: float
    by: EndedBy


@dataclass(frozen=True, slots=True, kw_only=True)
class WrapUpEnded(Event):
    """An agent finished wrap-up for a call."""

    call_id: str
    agent_id: str
    wrap_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFinished(Event):
    """The engine is done with a call: its record can be closed with this outcome."""

    call_id: str
    outcome: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CandidateView:
    """One agent a routing decision considered, with what the strategy looked at."""

    agent_id: str
    level: int
    idle_s: float
    calls: int
    talk_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutingDecision(Event):
    """Why a contact went to an agent: the strategy, the candidates considered, the winner."""

    call_id: str
    queue: str
    strategy: str
    chosen: tuple[str, ...]
    reason: str
    candidates: tuple[CandidateView, ...]
    considered: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRequestRefused(Event):
    """An agent's request could not be honoured (unknown pause reason, wrong state, ...)."""

    agent_id: str
    request: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallLost(Event):
    """A waiting call whose media was lost (the engine restarted): closed as abandoned."""

    call_id: str
    queue: str
    ani: str
    dnis: str
    arrived_at: float
    queued_at: float
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackAttemptFailed(Event):
    """Dialling a callback's customer failed (busy, no answer); it may be tried again."""

    call_id: str
    agent_id: str
    queue: str
    cause: str
    attempt: int
    will_retry: bool
