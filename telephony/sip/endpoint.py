"""A SIP endpoint: one transport and the transaction layer on a clock, delivering to a
transaction user (RFC 3261 §8, §17, §18). The TU (a UA core, a registrar) gets requests with the
key of their server transaction, and responses with the key of their client transaction.
"""

from __future__ import annotations

from typing import Protocol

from acd.clock import Clock
from telephony.sip.builders import build_response, new_tag, response_destination
from telephony.sip.message import SipMessage, SipRequest, SipResponse
from telephony.sip.syntax import SipParseError
from telephony.sip.transaction import TimerSettings, TransactionKey
from telephony.sip.transaction_layer import TransactionLayer, TransactionRunner
from telephony.sip.transport import Peer, SipTransport


class TransactionUser(Protocol):
    """What the endpoint delivers to (§8.2 UAS core, §8.1.3 UAC core)."""

    def on_request(self, request: SipRequest, key: TransactionKey | None, peer: Peer) -> None:
        """A new request (key None: an ACK for a 2xx, outside any transaction)."""

    def on_response(self, response: SipResponse, key: TransactionKey | None, peer: Peer) -> None:
        """A response to a request sent (key None: a 2xx retransmitted after timer M)."""


class SipEndpoint:
    """Transport + transactions + a TU; wire it as `open_udp(endpoint.receive)` then `attach`."""

    def __init__(
        self,
        clock: Clock,
        tu: TransactionUser,
        *,
        settings: TimerSettings | None = None,
        max_transactions: int = 50_000,
    ) -> None:
        self._clock = clock
        self._tu = tu
        self._settings = settings or TimerSettings()
        self._max_transactions = max_transactions
        self._transport: SipTransport | None = None
        self._runner: TransactionRunner | None = None

    def attach(self, transport: SipTransport) -> None:
        """Use `transport` for sending (its reliability sets the transaction timers)."""
        self._transport = transport
        layer = TransactionLayer(
            self._settings, reliable=transport.reliable, max_transactions=self._max_transactions
        )
        self._runner = TransactionRunner(layer, self._clock, self._transmit, self._deliver)

    @property
    def runner(self) -> TransactionRunner:
        """The transaction runner (after `attach`)."""
        if self._runner is None:
            raise RuntimeError("no transport attached")
        return self._runner

    def receive(self, message: SipMessage, peer: Peer) -> None:
        """The transport's callback."""
        self.runner.receive(message, peer)

    def send_request(self, request: SipRequest, peer: Peer) -> TransactionKey:
        """Send a request in a new client transaction."""
        return self.runner.send_request(request, peer)

    def respond(self, key: TransactionKey, response: SipResponse) -> bool:
        """Send a response in server transaction `key`; False if it is gone."""
        return self.runner.respond(key, response)

    def send_stateless(self, message: SipMessage, peer: Peer) -> None:
        """Send outside any transaction (the ACK for a 2xx, §13.2.2.4)."""
        self._transmit(message, peer)

    def _transmit(self, message: SipMessage, peer: Peer) -> None:
        if self._transport is None:
            raise OSError("no transport attached")
        if isinstance(message, SipResponse) and not self._transport.reliable:
            peer = response_destination(message.top_via)  # §18.2.2, RFC 3581 §4
        self._transport.send(message, peer)

    def _deliver(self, message: SipMessage, key: TransactionKey | None, peer: Peer) -> None:
        if isinstance(message, SipResponse):
            self._tu.on_response(message, key, peer)
            return
        try:
            self._tu.on_request(message, key, peer)
        except SipParseError as error:
            # A header the TU needed was malformed (a Contact, an Expires): 400 (§21.4.1).
            if key is not None:
                detail = error.reason[:80].replace("\r", " ").replace("\n", " ")
                response = build_response(message, 400, f"Bad Request ({detail})", to_tag=new_tag())
                self.respond(key, response)
