"""The UA core (RFC 3261 §8.2, §12.2.2): the transaction user that sorts what the endpoint
delivers. REGISTER goes to the phone registry, a new INVITE through the trunk gate to the
carrier, in-dialog requests and all responses to the leg they belong to, found by
(Call-ID, our tag). Dispatch is a table by method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import structlog

from telephony.carrier.agent_leg import AgentLeg
from telephony.carrier.caller_leg import CallerLeg
from telephony.carrier.phones import PhoneRegistry
from telephony.carrier.trunks import CHALLENGE, TrunkGate
from telephony.sip.builders import build_response, new_tag
from telephony.sip.message import SipRequest, SipResponse
from telephony.sip.transaction import TransactionKey, cancel_target_key
from telephony.sip.transport import Peer

log = structlog.get_logger(__name__)
AnyLeg = CallerLeg | AgentLeg
ALLOW = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, INFO"


class Responder(Protocol):
    """Sends a response in a server transaction (the carrier's signalling, over UDP or TCP)."""

    def respond(self, key: TransactionKey, response: SipResponse) -> bool:
        """Answer in server transaction `key`; False if it is gone."""


class InviteSink(Protocol):
    """Takes admitted new INVITEs (the carrier)."""

    def incoming(self, invite: SipRequest, key: TransactionKey, trunk: str, source: Peer) -> None:
        """A new call that passed the trunk check (`source`: where the INVITE came from)."""


class LegIndex:
    """The live legs by (Call-ID, our tag), and callers' legs by their INVITE transaction."""

    def __init__(self) -> None:
        self._by_dialog: dict[tuple[str, str], AnyLeg] = {}
        self._by_invite: dict[TransactionKey, CallerLeg] = {}

    def add(self, leg: AnyLeg) -> None:
        """Route messages to `leg` from now on."""
        self._by_dialog[leg.dialog_key] = leg
        if isinstance(leg, CallerLeg):
            self._by_invite[leg.key] = leg

    def remove(self, leg: AnyLeg) -> None:
        """Forget `leg`."""
        if self._by_dialog.get(leg.dialog_key) is leg:
            del self._by_dialog[leg.dialog_key]
        if isinstance(leg, CallerLeg) and self._by_invite.get(leg.key) is leg:
            del self._by_invite[leg.key]

    def by_dialog(self, call_id: str, our_tag: str | None) -> AnyLeg | None:
        """The leg with this Call-ID and our tag."""
        return self._by_dialog.get((call_id, our_tag or ""))

    def by_invite(self, key: TransactionKey) -> CallerLeg | None:
        """The caller's leg whose INVITE has this server transaction."""
        return self._by_invite.get(key)

    def __len__(self) -> int:
        return len(self._by_dialog)


class UaCore:
    """The endpoint's transaction user for the carrier."""

    def __init__(self, phones: PhoneRegistry, gate: TrunkGate, legs: LegIndex) -> None:
        self.phones = phones
        self.gate = gate
        self.legs = legs
        self.endpoint: Responder | None = None
        self.sink: InviteSink | None = None
        self._methods: dict[str, Callable[[SipRequest, TransactionKey, Peer], None]] = {
            "INVITE": self._invite,
            "BYE": self._bye,
            "CANCEL": self._cancel,
            "REGISTER": self._register,
            "OPTIONS": self._ok,
            "INFO": self._ok,  # SIP INFO digits are not used: RFC 4733 events carry them
        }

    def on_request(self, request: SipRequest, key: TransactionKey | None, peer: Peer) -> None:
        """A request from the endpoint (key None: an ACK for a 2xx)."""
        if request.method == "ACK":
            leg = self.legs.by_dialog(request.call_id, request.to_tag)
            if isinstance(leg, CallerLeg):
                leg.acked()
            return
        if key is None:
            return
        handler = self._methods.get(request.method, self._not_allowed)
        handler(request, key, peer)

    def on_response(self, response: SipResponse, key: TransactionKey | None, peer: Peer) -> None:
        """A response to one of our requests."""
        leg = self.legs.by_dialog(response.call_id, response.from_tag)
        if isinstance(leg, AgentLeg):
            leg.on_response(response)

    def _respond(self, key: TransactionKey, response: SipResponse) -> None:
        if self.endpoint is not None:
            self.endpoint.respond(key, response)

    def _invite(self, request: SipRequest, key: TransactionKey, peer: Peer) -> None:
        if request.to_tag:
            leg = self.legs.by_dialog(request.call_id, request.to_tag)
            if isinstance(leg, CallerLeg):
                leg.reinvite(request, key)
            else:
                self._respond(key, build_response(request, 481, to_tag=new_tag()))
            return
        admission = self.gate.admit(request, peer[0])
        if admission.admitted:
            if self.sink is None:  # not wired yet: try again later (§21.5.4)
                self._respond(key, build_response(request, 503, to_tag=new_tag()))
            else:
                self.sink.incoming(request, key, admission.trunk, peer)
            return
        if admission.status == CHALLENGE:
            extra = self.gate.challenge_headers(stale=admission.stale)
            self._respond(key, build_response(request, 401, to_tag=new_tag(), extra=extra))
            return
        log.warning(
            "sip invite refused",
            source=f"{peer[0]}:{peer[1]}",
            from_uri=str(request.from_addr.uri),
            to_uri=request.uri,
            reason=admission.reason,
        )
        self._respond(key, build_response(request, 403, to_tag=new_tag()))

    def _bye(self, request: SipRequest, key: TransactionKey, peer: Peer) -> None:
        leg = self.legs.by_dialog(request.call_id, request.to_tag)
        if leg is None:
            self._respond(key, build_response(request, 481, to_tag=new_tag()))
        else:
            leg.bye_received(request, key)

    def _cancel(self, request: SipRequest, key: TransactionKey, peer: Peer) -> None:
        leg = self.legs.by_invite(cancel_target_key(request))
        if leg is None:
            self._respond(key, build_response(request, 481, to_tag=new_tag()))
        else:
            leg.cancelled(request, key)

    def _register(self, request: SipRequest, key: TransactionKey, peer: Peer) -> None:
        self._respond(key, self.phones.answer(request, peer, new_tag()))

    def _ok(self, request: SipRequest, key: TransactionKey, peer: Peer) -> None:
        self._respond(key, build_response(request, 200, to_tag=new_tag(), extra=[("Allow", ALLOW)]))

    def _not_allowed(self, request: SipRequest, key: TransactionKey, peer: Peer) -> None:
        extra = [("Allow", ALLOW)]
        self._respond(key, build_response(request, 405, to_tag=new_tag(), extra=extra))
