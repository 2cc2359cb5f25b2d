"""Client transactions (RFC 3261 §17.1): INVITE (§17.1.1, with the Accepted state of RFC 6026)
and non-INVITE (§17.1.2), as pure state machines over `transaction.Transaction`.
"""

from __future__ import annotations

from typing import ClassVar

from telephony.sip.builders import DEFAULT_MAX_FORWARDS
from telephony.sip.headers import Headers
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

TIMER_D_S = 32.0  # §17.1.1.2: at least 32 s on unreliable transports


def ack_for_failure(request: SipRequest, response: SipResponse) -> SipRequest:
    """The ACK a client INVITE transaction sends for a 3xx-6xx (§17.1.1.3): same Request-URI,
    Call-ID, From, top Via and Route as the INVITE, To from the response, CSeq method ACK."""
    headers = Headers()
    headers.add("Via", request.headers.values("via")[0])
    headers.add("Max-Forwards", str(DEFAULT_MAX_FORWARDS))
    for route in request.headers.get_all("route"):
        headers.add("Route", route)
    headers.add("From", request.headers.get("from") or "")
    headers.add("To", response.headers.get("to") or "")
    headers.add("Call-ID", request.call_id)
    headers.add("CSeq", f"{request.cseq.number} ACK")
    headers.add("Content-Length", "0")
    return SipRequest("ACK", request.uri, headers)


def cancel_for(invite: SipRequest) -> SipRequest:
    """The CANCEL for a pending INVITE (§9.1): same Request-URI, Call-ID, To, From, CSeq number
    and Route, a single Via equal to the INVITE's top Via (same branch), method CANCEL."""
    headers = Headers()
    headers.add("Via", invite.headers.values("via")[0])
    headers.add("Max-Forwards", str(DEFAULT_MAX_FORWARDS))
    for route in invite.headers.get_all("route"):
        headers.add("Route", route)
    headers.add("From", invite.headers.get("from") or "")
    headers.add("To", invite.headers.get("to") or "")
    headers.add("Call-ID", invite.call_id)
    headers.add("CSeq", f"{invite.cseq.number} CANCEL")
    headers.add("Content-Length", "0")
    return SipRequest("CANCEL", invite.uri, headers)


class ClientTransaction(Transaction):
    """A client transaction: `start()` sends the request; then it takes responses and timers."""

    def start(self) -> list[Action]:
        """The actions that send the request for the first time."""
        raise NotImplementedError

    def _pass_up(self, message: SipMessage | None) -> Step:
        return self.state, [PassUp(as_response(message))]

    def _timeout(self, _: SipMessage | None) -> Step:
        return self._local_failure(408, f"timed out in {self.state}")

    def _transport_error(self, _: SipMessage | None) -> Step:
        return self._local_failure(503, f"transport error in {self.state}")

    def _end(self, _: SipMessage | None) -> Step:
        return State.TERMINATED, [Terminated(f"done ({self.state})")]


class ClientInviteTransaction(ClientTransaction):
    """The INVITE client transaction (§17.1.1.2, Figure 5; RFC 6026 §7.2).

    Timer A retransmits (T1, doubling each time) until timer B (64*T1) gives up with a 408 to
    the TU. A 3xx-6xx is acknowledged here; timer D absorbs its retransmissions. A 2xx moves to
    Accepted, where timer M (64*T1) lets retransmitted 2xx reach the TU, which ACKs them.
    """

    initial = State.CALLING

    def __init__(
        self, request: SipRequest, settings: TimerSettings, *, reliable: bool = False
    ) -> None:
        super().__init__(request, settings, reliable=reliable)
        self._interval_a = settings.t1
        self._ack: SipRequest | None = None

    def start(self) -> list[Action]:
        """Send the INVITE; start timer A (unreliable transports only) and timer B."""
        actions: list[Action] = [Send(self.request)]
        if not self.reliable:
            actions.append(StartTimer("A", self._interval_a))
        return [*actions, StartTimer("B", self.settings.timeout)]

    def _timer_a(self, _: SipMessage | None) -> Step:
        self._interval_a *= 2
        return State.CALLING, [Send(self.request), StartTimer("A", self._interval_a)]

    def _provisional(self, message: SipMessage | None) -> Step:
        return State.PROCEEDING, [StopTimer("A"), StopTimer("B"), PassUp(as_response(message))]

    def _success(self, message: SipMessage | None) -> Step:
        timer_m = StartTimer("M", self.settings.timeout)
        return State.ACCEPTED, [
            StopTimer("A"),
            StopTimer("B"),
            PassUp(as_response(message)),
            timer_m,
        ]

    def _failure(self, message: SipMessage | None) -> Step:
        response = as_response(message)
        self._ack = ack_for_failure(self.request, response)
        stops: list[Action] = [StopTimer("A"), StopTimer("B")]
        delay = self._unreliable(TIMER_D_S)
        return self._wait_then_end(
            State.COMPLETED, "D", delay, *stops, Send(self._ack), PassUp(response)
        )

    def _failure_again(self, _: SipMessage | None) -> Step:
        return State.COMPLETED, [Send(self._ack)] if self._ack else []

    TABLE: ClassVar[dict[tuple[State, str], Handler]] = {
        (State.CALLING, "timer A"): _timer_a,
        (State.CALLING, "timer B"): ClientTransaction._timeout,
        (State.CALLING, "1xx"): _provisional,
        (State.CALLING, "2xx"): _success,
        (State.CALLING, "3xx-6xx"): _failure,
        (State.CALLING, "transport error"): ClientTransaction._transport_error,
        (State.PROCEEDING, "1xx"): ClientTransaction._pass_up,
        (State.PROCEEDING, "2xx"): _success,
        (State.PROCEEDING, "3xx-6xx"): _failure,
        (State.PROCEEDING, "transport error"): ClientTransaction._transport_error,
        (State.COMPLETED, "3xx-6xx"): _failure_again,
        (State.COMPLETED, "timer D"): ClientTransaction._end,
        (State.COMPLETED, "transport error"): ClientTransaction._end,
        (State.ACCEPTED, "2xx"): ClientTransaction._pass_up,
        (State.ACCEPTED, "timer M"): ClientTransaction._end,
    }


class ClientNonInviteTransaction(ClientTransaction):
    """The non-INVITE client transaction (§17.1.2.2, Figure 6).

    Timer E retransmits (T1 doubling up to T2; T2 once a provisional came) until timer F
    (64*T1) gives up with a 408 to the TU. Timer K (T4) absorbs retransmitted final responses.
    """

    initial = State.TRYING

    def __init__(
        self, request: SipRequest, settings: TimerSettings, *, reliable: bool = False
    ) -> None:
        super().__init__(request, settings, reliable=reliable)
        self._interval_e = settings.t1

    def start(self) -> list[Action]:
        """Send the request; start timer F, and timer E on unreliable transports."""
        actions: list[Action] = [Send(self.request), StartTimer("F", self.settings.timeout)]
        if not self.reliable:
            actions.append(StartTimer("E", self._interval_e))
        return actions

    def _timer_e(self, _: SipMessage | None) -> Step:
        if self.state is State.PROCEEDING:
            self._interval_e = self.settings.t2
        else:
            self._interval_e = min(2 * self._interval_e, self.settings.t2)
        return self.state, [Send(self.request), StartTimer("E", self._interval_e)]

    def _provisional(self, message: SipMessage | None) -> Step:
        return State.PROCEEDING, [PassUp(as_response(message))]

    def _final(self, message: SipMessage | None) -> Step:
        actions: list[Action] = [StopTimer("E"), StopTimer("F"), PassUp(as_response(message))]
        delay = self._unreliable(self.settings.t4)
        return self._wait_then_end(State.COMPLETED, "K", delay, *actions)

    TABLE: ClassVar[dict[tuple[State, str], Handler]] = {
        (State.TRYING, "timer E"): _timer_e,
        (State.TRYING, "timer F"): ClientTransaction._timeout,
        (State.TRYING, "1xx"): _provisional,
        (State.TRYING, "2xx"): _final,
        (State.TRYING, "3xx-6xx"): _final,
        (State.TRYING, "transport error"): ClientTransaction._transport_error,
        (State.PROCEEDING, "timer E"): _timer_e,
        (State.PROCEEDING, "timer F"): ClientTransaction._timeout,
        (State.PROCEEDING, "1xx"): _provisional,
        (State.PROCEEDING, "2xx"): _final,
        (State.PROCEEDING, "3xx-6xx"): _final,
        (State.PROCEEDING, "transport error"): ClientTransaction._transport_error,
        (State.COMPLETED, "timer K"): ClientTransaction._end,
    }


def new_client_transaction(
    request: SipRequest, settings: TimerSettings, *, reliable: bool = False
) -> ClientTransaction:
    """The client transaction kind that fits the request's method."""
    kind = ClientInviteTransaction if request.method == "INVITE" else ClientNonInviteTransaction
    return kind(request, settings, reliable=reliable)
