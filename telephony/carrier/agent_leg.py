"""An agent's leg: our UAC side of the INVITE that rings an agent's registered phone (RFC 3261
§13.2), with CANCEL (§9.1), the ACK for a 2xx (§13.2.2.4) and BYE both ways (§15).

A CANCEL may only go once the phone sent a provisional response (§9.1), so a cancel that comes
earlier waits for it. A 200 that crosses our CANCEL is acknowledged and ended with a BYE. When no
final response follows a CANCEL within 64*T1, the INVITE transaction is destroyed (§9.1). An
ended leg lingers for 64*T1 so that late responses still find it. Every request of the leg goes
to the address the phone registered from (see `PhoneContact`).
"""

from __future__ import annotations

from typing import Protocol

from acd.clock import Clock, Timer
from telephony.carrier.legs import AGENT_LEG, Leg, LegState
from telephony.carrier.negotiation import SDP, OfferedMedia, apply_answer
from telephony.carrier.phones import PhoneContact
from telephony.carrier.signalling import Signalling
from telephony.media.offer_answer import OfferAnswerError
from telephony.sip.builders import build_request, build_response, new_call_id, new_tag
from telephony.sip.client_transaction import cancel_for
from telephony.sip.dialog import Dialog
from telephony.sip.message import SipRequest, SipResponse
from telephony.sip.transaction import TimerSettings, TransactionKey
from telephony.sip.uri import NameAddr, SipUri


class AgentEvents(Protocol):
    """What an agent's leg tells the carrier."""

    def agent_answered(self, leg: AgentLeg) -> None:
        """The phone answered and media is negotiated."""

    def agent_declined(self, leg: AgentLeg, reason: str) -> None:
        """The phone refused the call while ringing (busy, decline, unreachable, timeout)."""

    def agent_hung_up(self, leg: AgentLeg) -> None:
        """The agent hung up an answered call."""

    def leg_gone(self, leg: AgentLeg) -> None:
        """The leg is over and may be forgotten."""


def offer_invite(
    signalling: Signalling, phone: PhoneContact, extension: str, caller: str, media: OfferedMedia
) -> SipRequest:
    """The INVITE that rings `extension` at its registered contact, showing the caller's number."""
    user = caller if caller and caller.replace("+", "").isalnum() else "anonymous"
    return build_request(
        "INVITE",
        str(phone.uri),
        from_addr=NameAddr(signalling.uri(user), display_name=user).with_tag(new_tag()),
        to_addr=NameAddr(SipUri(phone.host, extension, phone.port)),
        call_id=new_call_id(),
        cseq=1,
        via=signalling.via((phone.host, phone.port)),
        contact=signalling.contact,
        body=str(media.offer).encode(),
        content_type=SDP,
    )


class AgentLeg:
    """One ringing (then answered) agent phone for one call."""

    def __init__(
        self,
        call_id: str,
        agent_id: str,
        invite: SipRequest,
        phone: PhoneContact,
        media: OfferedMedia,
        signalling: Signalling,
        clock: Clock,
        settings: TimerSettings,
        events: AgentEvents,
    ) -> None:
        self.call_id = call_id
        self.agent_id = agent_id
        self.invite = invite
        self.media = media
        self.state = LegState(AGENT_LEG, call_id, f"agent:{agent_id}")
        self.dialog: Dialog | None = None
        self._peer = (phone.host, phone.port)
        self._sip = signalling
        self._clock = clock
        self._settings = settings
        self._events = events
        self._key: TransactionKey | None = None
        self._rang = False
        self._timer: Timer | None = None

    @property
    def dialog_key(self) -> tuple[str, str]:
        """(Call-ID, our From tag): how responses and the phone's requests find this leg."""
        return self.invite.call_id, self.invite.from_tag or ""

    @property
    def answered(self) -> bool:
        """True while the phone is answered and the dialog is up."""
        return self.state.state is Leg.UP

    def send(self) -> None:
        """Ring the phone."""
        self._key = self._sip.send(self.invite, self._peer)

    def on_response(self, response: SipResponse) -> None:
        """A response to one of our requests on this leg (only INVITE's matter)."""
        if response.cseq.method != "INVITE":
            return
        if response.status < 200:
            self._rang = True
            if self.state.change("provisional"):
                self._send_cancel()
        elif response.status < 300:
            self._success(response)
        else:
            self._failure(response)

    def _success(self, response: SipResponse) -> None:
        first = self.dialog is None
        if first:
            self.dialog = Dialog.as_uac(self.invite, response)
        self._ack()  # every 2xx, retransmissions too (§13.2.2.4)
        if not first or not self.state.change("answered"):
            return
        if self.state.state is not Leg.UP:
            self.send_bye()  # it crossed our CANCEL
            self._finish()
            return
        try:
            apply_answer(self.media, response.body)
        except OfferAnswerError as error:
            self.state.change("hangup")
            self.send_bye()
            self._events.agent_declined(self, f"no usable SDP answer: {error}")
            self._finish()
            return
        self._events.agent_answered(self)

    def _failure(self, response: SipResponse) -> None:
        was_ringing = self.state.state is Leg.RINGING
        if self.state.change("declined"):
            if was_ringing:
                self._events.agent_declined(self, f"{response.status} {response.reason}")
            self._finish()

    def cancel(self) -> None:
        """Stop ringing (a CANCEL now, or after the first 1xx); an answered leg is hung up."""
        if self.state.state is Leg.UP:
            self.hang_up()
        elif self._rang:
            if self.state.change("cancel"):
                self._send_cancel()
        else:
            self.state.change("cancel-early")

    def _send_cancel(self) -> None:
        self._sip.send(cancel_for(self.invite), self._peer)
        self._timer = self._clock.call_later(self._settings.timeout, self._cancel_timed_out)

    def _cancel_timed_out(self) -> None:
        if self.state.change("cancel-timeout") and self._key is not None:
            self._sip.abandon(self._key, "no final response to CANCEL")
            self._finish()

    def hang_up(self) -> None:
        """End an answered call with a BYE."""
        if self.state.change("hangup"):
            self.send_bye()
            self._finish()

    def bye_received(self, bye: SipRequest, key: TransactionKey) -> None:
        """The agent hung up (§15.1.2)."""
        status = 481 if self.dialog is None else self.dialog.receive_request(bye) or 200
        self._sip.respond(key, build_response(bye, status))
        if self.state.change("bye"):
            self._events.agent_hung_up(self)
            self._finish()

    def send_bye(self) -> None:
        """A BYE in the dialog (§15.1.1)."""
        if self.dialog is not None:
            self._sip.send(self.dialog.bye(self._sip.via(self._peer)), self._peer)

    def _ack(self) -> None:
        if self.dialog is not None:
            ack = self.dialog.ack(self._sip.via(self._peer), self.invite.cseq.number)
            self._sip.send_stateless(ack, self._peer)

    def _finish(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.media.endpoint.close()
        self._clock.call_later(self._settings.timeout, lambda: self._events.leg_gone(self))
