"""The transaction layer (RFC 3261 §17): matching messages to transactions, creating server
transactions for new requests, and running transaction actions on an injected clock.

`TransactionLayer` is pure bookkeeping; `TransactionRunner` carries the actions out: it sends
through a callback, schedules the named timers on a `Clock`, and delivers to the TU.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from acd.clock import Clock, Timer
from telephony.sip.builders import build_response
from telephony.sip.client_transaction import ClientTransaction, new_client_transaction
from telephony.sip.message import SipMessage, SipRequest, SipResponse
from telephony.sip.server_transaction import ServerTransaction, new_server_transaction
from telephony.sip.syntax import SipParseError
from telephony.sip.transaction import (
    Action,
    MessageReceived,
    PassUp,
    ResponseFromTU,
    Send,
    StartTimer,
    StopTimer,
    Terminated,
    TimerFired,
    TimerSettings,
    Transaction,
    TransactionKey,
    TransportFailed,
    client_key,
    server_key,
)

log = logging.getLogger(__name__)
Peer = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Routed:
    """Actions of one transaction (key None: no transaction, e.g. a stray 2xx or an ACK for a
    2xx, passed straight to the TU; or a 503 when the table is full)."""

    key: TransactionKey | None
    peer: Peer
    actions: list[Action]


class TransactionLayer:
    """Keeps the live transactions and routes events to them (§17.1.3, §17.2.3)."""

    def __init__(
        self,
        settings: TimerSettings | None = None,
        *,
        reliable: bool = False,
        max_transactions: int = 50_000,
    ) -> None:
        self.settings = settings or TimerSettings()
        self.reliable = reliable
        self._max = max_transactions
        self._transactions: dict[TransactionKey, Transaction] = {}
        self._peers: dict[TransactionKey, Peer] = {}

    def __len__(self) -> int:
        return len(self._transactions)

    def send_request(self, request: SipRequest, peer: Peer) -> Routed:
        """Start a client transaction for `request`, sent to `peer`."""
        tx = new_client_transaction(request, self.settings, reliable=self.reliable)
        key = client_key(request)
        self._transactions[key] = tx
        self._peers[key] = peer
        return self._after(key, tx, tx.start())

    def respond(self, key: TransactionKey, response: SipResponse) -> Routed | None:
        """Have the server transaction `key` send `response`; None if it is gone."""
        tx = self._transactions.get(key)
        if not isinstance(tx, ServerTransaction):
            return None
        return self._after(key, tx, tx.handle(ResponseFromTU(response)))

    def receive(self, message: SipMessage, peer: Peer) -> Routed:
        """Route a message from the transport (§17.1.3, §17.2.3). `SipParseError` when the
        headers the matching needs are unreadable."""
        if isinstance(message, SipResponse):
            return self._receive_response(message, peer)
        key = server_key(message)
        tx = self._transactions.get(key)
        if tx is not None:
            return self._after(key, tx, tx.handle(MessageReceived(message)))
        if message.method == "ACK":  # the ACK for a 2xx is its own transaction (§17.1.1.3)
            return Routed(None, peer, [PassUp(message)])
        if len(self._transactions) >= self._max:
            log.warning("transaction table full: answering 503")
            return Routed(None, peer, [Send(build_response(message, 503))])
        server = new_server_transaction(message, self.settings, reliable=self.reliable)
        self._transactions[key] = server
        self._peers[key] = peer
        return self._after(key, server, server.start())

    def _receive_response(self, response: SipResponse, peer: Peer) -> Routed:
        key = client_key(response)
        tx = self._transactions.get(key)
        if isinstance(tx, ClientTransaction):
            return self._after(key, tx, tx.handle(MessageReceived(response)))
        if response.cseq.method == "INVITE" and 200 <= response.status < 300:
            return Routed(None, peer, [PassUp(response)])  # stray 2xx: the dialog ACKs it
        return Routed(None, peer, [])

    def timer_fired(self, key: TransactionKey, name: str) -> Routed | None:
        """Deliver a timer to its transaction; None if it is gone."""
        tx = self._transactions.get(key)
        return None if tx is None else self._after(key, tx, tx.handle(TimerFired(name)))

    def transport_failed(self, key: TransactionKey, reason: str = "") -> Routed | None:
        """Tell a transaction that its transport failed (§17.1.4, §17.2.4)."""
        tx = self._transactions.get(key)
        return None if tx is None else self._after(key, tx, tx.handle(TransportFailed(reason)))

    def transaction(self, key: TransactionKey) -> Transaction | None:
        """The live transaction with this key, if any."""
        return self._transactions.get(key)

    def _after(self, key: TransactionKey, tx: Transaction, actions: list[Action]) -> Routed:
        peer = self._peers[key]
        if tx.terminated:
            self._transactions.pop(key, None)
            self._peers.pop(key, None)
        return Routed(key, peer, actions)


Deliver = Callable[[SipMessage, TransactionKey | None, Peer], None]
Transmit = Callable[[SipMessage, Peer], None]


class TransactionRunner:
    """Carries out transaction actions: sends, timers on the clock, delivery to the TU.

    A `Transmit` that raises `OSError` is a transport error for the transaction (§17.1.4).
    """

    def __init__(
        self, layer: TransactionLayer, clock: Clock, transmit: Transmit, deliver: Deliver
    ) -> None:
        self.layer = layer
        self._clock = clock
        self._transmit = transmit
        self._deliver = deliver
        self._timers: dict[TransactionKey, dict[str, Timer]] = {}

    def send_request(self, request: SipRequest, peer: Peer) -> TransactionKey:
        """Start a client transaction; returns its key."""
        routed = self.layer.send_request(request, peer)
        self.run(routed)
        return client_key(request)

    def respond(self, key: TransactionKey, response: SipResponse) -> bool:
        """Send a response through server transaction `key`; False if it is gone."""
        routed = self.layer.respond(key, response)
        if routed is not None:
            self.run(routed)
        return routed is not None

    def receive(self, message: SipMessage, peer: Peer) -> None:
        """Route a message from the transport; unreadable routing headers drop it."""
        try:
            routed = self.layer.receive(message, peer)
        except SipParseError as error:
            log.info("dropped a message with unreadable routing headers: %s", error.reason)
            return
        self.run(routed)

    def run(self, routed: Routed) -> None:
        """Carry out the actions of one transaction, in order, deliveries to the TU last: the
        TU may answer at once, and its response must follow the transaction's own (100 Trying).
        """
        for action in routed.actions:
            if not isinstance(action, PassUp):
                self._do(routed, action)
        for action in routed.actions:
            if isinstance(action, PassUp):
                self._do(routed, action)

    def _do(self, routed: Routed, action: Action) -> None:
        key = routed.key
        if isinstance(action, Send):
            self._send(routed, action.message)
        elif isinstance(action, PassUp):
            self._deliver(action.message, key, routed.peer)
        elif key is None:
            return
        elif isinstance(action, StartTimer):
            self._start(key, action)
        elif isinstance(action, StopTimer):
            self._stop(key, action.name)
        elif isinstance(action, Terminated):
            for timer in self._timers.pop(key, {}).values():
                timer.cancel()

    def _send(self, routed: Routed, message: SipMessage) -> None:
        try:
            self._transmit(message, routed.peer)
        except OSError as error:
            if routed.key is not None:
                failed = self.layer.transport_failed(routed.key, str(error))
                if failed is not None:
                    self.run(failed)

    def _start(self, key: TransactionKey, action: StartTimer) -> None:
        self._stop(key, action.name)
        if self.layer.transaction(key) is None:
            return  # ended while its actions were carried out (a failed send)

        def fire() -> None:
            self._forget(key, action.name)
            routed = self.layer.timer_fired(key, action.name)
            if routed is not None:
                self.run(routed)

        timer = self._clock.call_later(action.delay, fire)
        self._timers.setdefault(key, {})[action.name] = timer

    def _stop(self, key: TransactionKey, name: str) -> None:
        timer = self._forget(key, name)
        if timer is not None:
            timer.cancel()

    def _forget(self, key: TransactionKey, name: str) -> Timer | None:
        timers = self._timers.get(key, {})
        timer = timers.pop(name, None)
        if not timers:
            self._timers.pop(key, None)
        return timer

    @property
    def running_timers(self) -> int:
        """How many timers are scheduled (for leak checks)."""
        return sum(len(timers) for timers in self._timers.values())
