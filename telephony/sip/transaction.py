"""What every SIP transaction shares (RFC 3261 §17): timer settings, the events a transaction
takes, the actions it returns, transaction keys (§17.1.3, §17.2.3), and the state-machine base.

A transaction is pure: it never touches a socket or a clock. It takes an event (a message
received, a response from the transaction user, a timer fired, a transport error) and returns
actions (send a message, start or stop a named timer, pass a message up, terminated). Timers
are named as in the RFC (A, B, D, E, F, G, H, I, J, K; L and M from RFC 6026), so the RFC is the
documentation; whoever runs the actions schedules them on its clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from telephony.sip.builders import build_response
from telephony.sip.headers import MAGIC_COOKIE
from telephony.sip.message import SipMessage, SipRequest, SipResponse

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TimerSettings:
    """T1, T2 and T4 (§17.1.1.1, Table 4); every other timer derives from them."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0

    @property
    def timeout(self) -> float:
        """64*T1: timers B, F, H, J (and L, M of RFC 6026)."""
        return 64 * self.t1


class State(StrEnum):
    """Transaction states, as named in §17 and RFC 6026."""

    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    ACCEPTED = "Accepted"
    COMPLETED = "Completed"
    CONFIRMED = "Confirmed"
    TERMINATED = "Terminated"


# --- events -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """A message from the transport that matched this transaction."""

    message: SipMessage


@dataclass(frozen=True, slots=True)
class ResponseFromTU:
    """The transaction user asks a server transaction to send a response."""

    response: SipResponse


@dataclass(frozen=True, slots=True)
class TimerFired:
    """A timer this transaction started has fired."""

    name: str


@dataclass(frozen=True, slots=True)
class TransportFailed:
    """The transport could not send (§17.1.4, §17.2.4)."""

    reason: str = ""


Event = MessageReceived | ResponseFromTU | TimerFired | TransportFailed

# --- actions ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    """Hand a message to the transport."""

    message: SipMessage

    @property
    def data(self) -> bytes:
        """The bytes to send."""
        return bytes(self.message)


@dataclass(frozen=True, slots=True)
class StartTimer:
    """Start (or restart) the named timer."""

    name: str
    delay: float


@dataclass(frozen=True, slots=True)
class StopTimer:
    """Cancel the named timer if it runs."""

    name: str


@dataclass(frozen=True, slots=True)
class PassUp:
    """Deliver a message to the transaction user (synthesized 408/503 included)."""

    message: SipMessage


@dataclass(frozen=True, slots=True)
class Terminated:
    """The transaction is over; forget it (and cancel its timers)."""

    reason: str


Action = Send | StartTimer | StopTimer | PassUp | Terminated
Step = tuple[State, list[Action]]

# --- keys ---------------------------------------------------------------------------------------

TransactionKey = tuple[str, ...]


def client_key(message: SipMessage) -> TransactionKey:
    """The client transaction a message belongs to: top Via branch and CSeq method (§17.1.3)."""
    return ("client", message.top_via.branch or "", message.cseq.method)


def server_key(request: SipRequest) -> TransactionKey:
    """The server transaction a request belongs to (§17.2.3).

    With an RFC 3261 branch: branch, sent-by and method, ACK counting as INVITE. Without the
    magic cookie (RFC 2543 peers): Call-ID, From tag, CSeq number, method and top Via.
    """
    via = request.top_via
    method = "INVITE" if request.method == "ACK" else request.method
    branch = via.branch or ""
    if branch.startswith(MAGIC_COOKIE):
        return ("server", branch, via.host.lower(), str(via.port or ""), method)
    from_tag = request.from_addr.tag or ""
    number = str(request.cseq.number)
    return ("server-2543", request.call_id, from_tag, number, method, str(via).lower())


def cancel_target_key(cancel: SipRequest) -> TransactionKey:
    """The key of the INVITE server transaction a CANCEL cancels (§9.2): the CANCEL's own key
    with method INVITE."""
    return server_key(replace_method(cancel, "INVITE"))


def replace_method(request: SipRequest, method: str) -> SipRequest:
    """A shallow copy of `request` with another method (CSeq left alone)."""
    return SipRequest(method, request.uri, request.headers, request.body, request.version)


# --- the state-machine base ---------------------------------------------------------------------

# A handler is a method of the concrete transaction class, hence `Any` for its self.
Handler = Callable[[Any, SipMessage | None], Step]


class Transaction:
    """A transaction as data: `TABLE` maps (state, trigger) to a handler returning the next
    state and the actions; `handle` applies it and logs `state -[trigger]-> state`.

    Triggers: '1xx', '2xx', '3xx-6xx' (responses received), 'request', 'ACK' (requests
    received), 'tu 1xx', 'tu 2xx', 'tu 3xx-6xx' (responses from the TU), 'timer X' and
    'transport error'. A trigger with no entry for the state is absorbed.
    """

    TABLE: ClassVar[dict[tuple[State, str], Handler]] = {}
    initial: ClassVar[State] = State.TERMINATED

    def __init__(
        self, request: SipRequest, settings: TimerSettings, *, reliable: bool = False
    ) -> None:
        self.request = request
        self.settings = settings
        self.reliable = reliable
        self.state = self.initial

    def handle(self, event: Event) -> list[Action]:
        """Apply one event; return what to do."""
        trigger, message = _trigger(event)
        handler = self.TABLE.get((self.state, trigger))
        if handler is None:
            return []
        next_state, actions = handler(self, message)
        log.debug("%s %s -[%s]-> %s", type(self).__name__, self.state, trigger, next_state)
        self.state = next_state
        return actions

    @property
    def terminated(self) -> bool:
        """True once the transaction is over."""
        return self.state is State.TERMINATED

    def _unreliable(self, delay: float) -> float:
        """A wait that only unreliable transports need (timers D, I, J, K are 0 on TCP)."""
        return 0.0 if self.reliable else delay

    def _wait_then_end(self, state: State, timer: str, delay: float, *actions: Action) -> Step:
        """Enter `state` and start `timer`, or terminate at once when the wait is zero."""
        if delay <= 0:
            return State.TERMINATED, [*actions, Terminated(f"{state} (no wait on reliable)")]
        return state, [*actions, StartTimer(timer, delay)]

    def _local_failure(self, status: int, reason: str) -> Step:
        """Terminate, telling the TU with a locally made 408 or 503 (§8.1.3.1, §17.1.1.2)."""
        response = build_response(self.request, status)
        return State.TERMINATED, [PassUp(response), Terminated(reason)]


def _trigger(event: Event) -> tuple[str, SipMessage | None]:
    if isinstance(event, TimerFired):
        return f"timer {event.name}", None
    if isinstance(event, TransportFailed):
        return "transport error", None
    if isinstance(event, ResponseFromTU):
        return "tu " + status_class(event.response.status), event.response
    message = event.message
    if isinstance(message, SipResponse):
        return status_class(message.status), message
    return ("ACK" if message.method == "ACK" else "request"), message


def status_class(status: int) -> str:
    """'1xx', '2xx' or '3xx-6xx': what the transaction state machines distinguish."""
    if status < 200:
        return "1xx"
    return "2xx" if status < 300 else "3xx-6xx"


def as_response(message: SipMessage | None) -> SipResponse:
    """The message of a response trigger (the trigger guarantees it)."""
    if not isinstance(message, SipResponse):
        raise TypeError("a response trigger without a response")
    return message
