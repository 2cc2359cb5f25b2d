"""Server transactions (RFC 3261 §17.2): INVITE (§17.2.1, with the Accepted state of RFC 6026)
and non-INVITE (§17.2.2), as pure state machines over `transaction.Transaction`.
"""

from __future__ import annotations

from typing import ClassVar

from telephony.sip.builders import build_response
from telephony.sip.message import SipMessage, SipRequest, SipResponse
from telephony.sip.transaction import (
    Action,
    Handler,
    PassUp,
    Send,
    StartTimer,
    State,
    Step,
    StopTimer,
    Terminated,
    TimerSettings,
    Transaction,
    as_response,
)


class ServerTransaction(Transaction):
    """A server transaction: `start()` passes the request up; then it takes retransmissions,
    the TU's responses and timers, and answers retransmissions with the last response."""

    def __init__(
        self, request: SipRequest, settings: TimerSettings, *, reliable: bool = False
    ) -> None:
        super().__init__(request, settings, reliable=reliable)
        self.last_response: SipResponse | None = None

    def start(self) -> list[Action]:
        """Pass the new request to the TU."""
        return [PassUp(self.request)]

    def _send(self, message: SipMessage | None) -> Send:
        self.last_response = as_response(message)
        return Send(self.last_response)

    def _resend_last(self, _: SipMessage | None) -> Step:
        return self.state, [Send(self.last_response)] if self.last_response else []

    def _end(self, _: SipMessage | None) -> Step:
        return State.TERMINATED, [Terminated(f"done ({self.state})")]

    def _transport_error(self, _: SipMessage | None) -> Step:
        return State.TERMINATED, [Terminated(f"transport error in {self.state}")]


class ServerInviteTransaction(ServerTransaction):
    """The INVITE server transaction (§17.2.1, Figure 7; RFC 6026 §7.1).

    Answers 100 Trying at once and resends the last provisional to retransmitted INVITEs. A
    3xx-6xx is retransmitted on timer G (T1 doubling up to T2) until the ACK comes (then timer I
    absorbs ACK retransmissions) or timer H (64*T1) gives up. A 2xx moves to Accepted, where the
    TU's 2xx retransmissions go out, ACKs go up to the TU, and timer L (64*T1) ends it.
    """

    initial = State.PROCEEDING

    def __init__(
        self, request: SipRequest, settings: TimerSettings, *, reliable: bool = False
    ) -> None:
        super().__init__(request, settings, reliable=reliable)
        self._interval_g = settings.t1

    def start(self) -> list[Action]:
        """Pass the INVITE up and send 100 Trying (§17.2.1: the TU may take over 200 ms)."""
        trying = build_response(self.request, 100)
        return [self._send(trying), PassUp(self.request)]

    def _provisional(self, message: SipMessage | None) -> Step:
        return State.PROCEEDING, [self._send(message)]

    def _success(self, message: SipMessage | None) -> Step:
        return State.ACCEPTED, [self._send(message), StartTimer("L", self.settings.timeout)]

    def _failure(self, message: SipMessage | None) -> Step:
        actions: list[Action] = [self._send(message)]
        if not self.reliable:
            actions.append(StartTimer("G", self._interval_g))
        return State.COMPLETED, [*actions, StartTimer("H", self.settings.timeout)]

    def _timer_g(self, _: SipMessage | None) -> Step:
        self._interval_g = min(2 * self._interval_g, self.settings.t2)
        resend = [Send(self.last_response)] if self.last_response else []
        return State.COMPLETED, [*resend, StartTimer("G", self._interval_g)]

    def _timer_h(self, _: SipMessage | None) -> Step:
        return State.TERMINATED, [Terminated("timer H: no ACK for the final response")]

    def _ack(self, _: SipMessage | None) -> Step:
        stops: list[Action] = [StopTimer("G"), StopTimer("H")]
        return self._wait_then_end(State.CONFIRMED, "I", self._unreliable(self.settings.t4), *stops)

    def _ack_for_2xx(self, message: SipMessage | None) -> Step:
        return State.ACCEPTED, [PassUp(message)] if message else []

    def _resend_2xx(self, message: SipMessage | None) -> Step:
        return State.ACCEPTED, [self._send(message)]

    TABLE: ClassVar[dict[tuple[State, str], Handler]] = {
        (State.PROCEEDING, "request"): ServerTransaction._resend_last,
        (State.PROCEEDING, "tu 1xx"): _provisional,
        (State.PROCEEDING, "tu 2xx"): _success,
        (State.PROCEEDING, "tu 3xx-6xx"): _failure,
        (State.PROCEEDING, "transport error"): ServerTransaction._transport_error,
        (State.COMPLETED, "request"): ServerTransaction._resend_last,
        (State.COMPLETED, "timer G"): _timer_g,
        (State.COMPLETED, "timer H"): _timer_h,
        (State.COMPLETED, "ACK"): _ack,
        (State.COMPLETED, "transport error"): ServerTransaction._transport_error,
        (State.CONFIRMED, "timer I"): ServerTransaction._end,
        (State.ACCEPTED, "ACK"): _ack_for_2xx,
        (State.ACCEPTED, "tu 2xx"): _resend_2xx,
        (State.ACCEPTED, "timer L"): ServerTransaction._end,
    }


class ServerNonInviteTransaction(ServerTransaction):
    """The non-INVITE server transaction (§17.2.2, Figure 8).

    Retransmitted requests are absorbed in Trying and answered with the last response later;
    timer J (64*T1 on unreliable transports) keeps the final response for them.
    """

    initial = State.TRYING

    def _provisional(self, message: SipMessage | None) -> Step:
        return State.PROCEEDING, [self._send(message)]

    def _final(self, message: SipMessage | None) -> Step:
        delay = self._unreliable(self.settings.timeout)
        return self._wait_then_end(State.COMPLETED, "J", delay, self._send(message))

    TABLE: ClassVar[dict[tuple[State, str], Handler]] = {
        (State.TRYING, "tu 1xx"): _provisional,
        (State.TRYING, "tu 2xx"): _final,
        (State.TRYING, "tu 3xx-6xx"): _final,
        (State.TRYING, "transport error"): ServerTransaction._transport_error,
        (State.PROCEEDING, "request"): ServerTransaction._resend_last,
        (State.PROCEEDING, "tu 1xx"): _provisional,
        (State.PROCEEDING, "tu 2xx"): _final,
        (State.PROCEEDING, "tu 3xx-6xx"): _final,
        (State.PROCEEDING, "transport error"): ServerTransaction._transport_error,
        (State.COMPLETED, "request"): ServerTransaction._resend_last,
        (State.COMPLETED, "timer J"): ServerTransaction._end,
        (State.COMPLETED, "transport error"): ServerTransaction._transport_error,
    }


def new_server_transaction(
    request: SipRequest, settings: TimerSettings, *, reliable: bool = False
) -> ServerTransaction:
    """The server transaction kind that fits the request's method."""
    kind = ServerInviteTransaction if request.method == "INVITE" else ServerNonInviteTransaction
    return kind(request, settings, reliable=reliable)
