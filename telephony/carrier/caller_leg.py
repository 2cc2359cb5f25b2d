"""A caller's leg: our UAS side of an inbound INVITE (RFC 3261 §13.3).

It rings (180), answers (200 with our SDP answer, resent on T1 doubling to T2 until the ACK,
§13.3.1.4), takes CANCEL (200, then 487 for the INVITE, §9.2), BYE both ways (§15), and
re-INVITEs with a new offer. Its lifecycle is the `CALLER_LEG` table; what happens to the call is
reported to a `CallerEvents` (the carrier).
"""

from __future__ import annotations

from typing import Protocol

from acd.clock import Clock, Timer
from telephony.carrier.legs import CALLER_LEG, Leg, LegState
from telephony.carrier.negotiation import SDP, AnsweredMedia, parse_sdp
from telephony.carrier.signalling import Signalling, dialog_peer
from telephony.media.offer_answer import LocalMedia, OfferAnswerError, answer_offer
from telephony.sip.builders import build_response, new_tag
from telephony.sip.dialog import Dialog
from telephony.sip.message import SipRequest, SipResponse
from telephony.sip.transaction import TimerSettings, TransactionKey
from telephony.sip.transport import Peer
from telephony.sip.uri import SipUri, TelUri

ANONYMOUS = "anonymous"


class CallerEvents(Protocol):
    """What a caller's leg tells the carrier."""

    def caller_left(self, leg: CallerLeg, cause: str) -> None:
        """The caller cancelled or hung up (the leg has already answered the peer)."""

    def caller_lost(self, leg: CallerLeg) -> None:
        """No ACK came for our 200 (§13.3.1.4): the call must be released."""


class CallerLeg:
    """One inbound call's signalling and media negotiation state."""

    def __init__(
        self,
        call_id: str,
        invite: SipRequest,
        key: TransactionKey,
        signalling: Signalling,
        clock: Clock,
        settings: TimerSettings,
        events: CallerEvents,
        source: Peer | None = None,
    ) -> None:
        self.call_id = call_id
        self.source = source  # where the INVITE came from: its TCP connection is reused
        self.invite = invite
        self.key = key
        self.tag = new_tag()
        self.state = LegState(CALLER_LEG, call_id, "caller")
        self.media: AnsweredMedia | None = None
        self.dialog: Dialog | None = None
        self._sip = signalling
        self._clock = clock
        self._settings = settings
        self._events = events
        self._ok: SipResponse | None = None
        self._resend: Timer | None = None
        self._waited_s = 0.0

    @property
    def dialog_key(self) -> tuple[str, str]:
        """(Call-ID, our tag): how in-dialog requests and responses find this leg."""
        return self.invite.call_id, self.tag

    @property
    def ani(self) -> str:
        """The caller's number: the From URI's user (tel: number), or 'anonymous'."""
        uri = self.invite.from_addr.uri
        if isinstance(uri, TelUri):
            return uri.digits
        return (uri.user if isinstance(uri, SipUri) else None) or ANONYMOUS

    @property
    def dnis(self) -> str:
        """The dialled number: the Request-URI's user (or tel: number), else the To URI's user
        (trunks that address the gateway and name the DID in To)."""
        for uri in (self.invite.request_uri, self.invite.to_addr.uri):
            if isinstance(uri, TelUri):
                return uri.digits
            if isinstance(uri, SipUri) and uri.user:
                return uri.user
        return ""

    def ring(self) -> None:
        """Tell the caller it rings (180 with our tag, §13.3.1.1)."""
        extra = [("Contact", str(self._sip.contact))]
        self._sip.respond(self.key, build_response(self.invite, 180, to_tag=self.tag, extra=extra))

    def answer(self) -> bool:
        """Send 200 with our SDP answer and start resending it until the ACK; False when the
        leg cannot be answered any more (cancelled)."""
        if self.media is None or not self.state.change("answer"):
            return False
        self._ok = build_response(
            self.invite,
            200,
            to_tag=self.tag,
            extra=[("Contact", str(self._sip.contact))],
            body=self.media.answer,
            content_type=SDP,
        )
        self.dialog = Dialog.as_uas(self.invite, self.tag, self._sip.contact, confirmed=True)
        self._sip.respond(self.key, self._ok)
        self._schedule_resend(self._settings.t1)
        return True

    def _schedule_resend(self, interval: float) -> None:
        self._resend = self._clock.call_later(interval, lambda: self._resend_ok(interval))

    def _resend_ok(self, interval: float) -> None:
        self._waited_s += interval
        if self.state.state is not Leg.ANSWERING or self._ok is None:
            return
        if self._waited_s >= self._settings.timeout:
            self.state.change("no-ack")
            self.send_bye()  # §13.3.1.4: the dialog is confirmed, so end it with a BYE
            self._events.caller_lost(self)
            return
        self._sip.respond(self.key, self._ok)
        self._schedule_resend(min(2 * interval, self._settings.t2))

    def acked(self) -> None:
        """The ACK for our 200 came (§13.3.1.4)."""
        self.state.change("ack")
        self._stop_resend()

    def reject(self, status: int, reason: str | None = None) -> bool:
        """Refuse the call before answering it (e.g. 480, 488); False if too late."""
        if not self.state.change("reject"):
            return False
        self._sip.respond(self.key, build_response(self.invite, status, reason, to_tag=self.tag))
        return True

    def cancelled(self, cancel: SipRequest, cancel_key: TransactionKey) -> None:
        """A CANCEL for our INVITE (§9.2): 200 for it; 487 for the INVITE if still ringing."""
        self._sip.respond(cancel_key, build_response(cancel, 200, to_tag=self.tag))
        if self.state.change("cancel"):
            self._sip.respond(self.key, build_response(self.invite, 487, to_tag=self.tag))
            self._events.caller_left(self, "cancelled")

    def bye_received(self, bye: SipRequest, key: TransactionKey) -> None:
        """The caller hung up (§15.1.2)."""
        status = 200 if self.dialog is None else self.dialog.receive_request(bye) or 200
        self._sip.respond(key, build_response(bye, status))
        if self.state.change("bye"):
            self._stop_resend()
            self._events.caller_left(self, "normal clearing")

    def hang_up(self) -> None:
        """We end the call: BYE once answered, 480 while it still rings."""
        if self.state.state is Leg.RINGING:
            self.reject(480)
        elif self.state.change("hangup"):
            self._stop_resend()
            self.send_bye()

    def send_bye(self) -> None:
        """Send a BYE in the dialog (§15.1.1)."""
        if self.dialog is not None:
            source = self.source
            on_its_flow = source is not None and self._sip.over_tcp(source)
            peer = source if on_its_flow and source else dialog_peer(self.dialog)
            self._sip.send(self.dialog.bye(self._sip.via(peer)), peer)

    def reinvite(self, request: SipRequest, key: TransactionKey) -> None:
        """A new offer in the dialog (hold, codec change): answer it on the same endpoint."""
        if self.dialog is None or self.media is None:
            self._sip.respond(key, build_response(request, 491))
            return
        self.dialog.receive_request(request)
        local = LocalMedia(self.media.session.address, self.media.endpoint.local_port)
        try:
            answer, agreed = answer_offer(parse_sdp(request.body), local, self.media.session)
        except OfferAnswerError:
            self._sip.respond(key, build_response(request, 488))
            return
        self.media.endpoint.set_remote((agreed.remote_address, agreed.remote_port))
        extra = [("Contact", str(self._sip.contact))]
        ok = build_response(request, 200, extra=extra, body=str(answer).encode(), content_type=SDP)
        self._sip.respond(key, ok)

    def _stop_resend(self) -> None:
        if self._resend is not None:
            self._resend.cancel()
            self._resend = None

    def close(self) -> None:
        """Release the media endpoint and timers."""
        self._stop_resend()
        if self.media is not None:
            self.media.endpoint.close()
