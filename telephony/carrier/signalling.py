"""How the carrier's legs send SIP: our address in Via and Contact, where a URI's requests go,
and the endpoints' send calls, in one small object the legs are handed.

There is a UDP endpoint, and a TCP one when the carrier listens on TCP too (RFC 3261 §18). A
request goes over TCP when a connection with its destination is open (a phone that registered
over TCP, a trunk that called in over TCP: §18.1.1 lets us reuse its connection), else over
UDP; its Via names the transport it takes. A response goes back through whichever endpoint holds
its server transaction."""

from __future__ import annotations

from dataclasses import dataclass

from telephony.sip.builders import DEFAULT_SIP_PORT, new_branch
from telephony.sip.dialog import Dialog
from telephony.sip.endpoint import SipEndpoint
from telephony.sip.headers import Via
from telephony.sip.message import SipMessage, SipRequest, SipResponse
from telephony.sip.transaction import TransactionKey
from telephony.sip.transport import Peer, TcpTransport
from telephony.sip.uri import NameAddr, SipUri, Uri

CONTACT_USER = "hotline"


@dataclass(slots=True)
class TcpFlows:
    """The TCP side: its endpoint and the transport whose open connections it can reuse."""

    endpoint: SipEndpoint
    transport: TcpTransport

    def carries(self, peer: Peer) -> bool:
        """True when a connection with `peer` is open."""
        return self.transport.connected(peer)


@dataclass(slots=True)
class Signalling:
    """The endpoints plus the address we advertise (`host`:`port`, the same port on UDP and
    TCP)."""

    endpoint: SipEndpoint
    host: str
    port: int
    tcp: TcpFlows | None = None

    def over_tcp(self, peer: Peer | None) -> bool:
        """True when a request to `peer` goes over an open TCP connection."""
        return peer is not None and self.tcp is not None and self.tcp.carries(peer)

    def endpoint_for(self, peer: Peer | None) -> SipEndpoint:
        """The endpoint a request to `peer` goes through."""
        if self.tcp is not None and self.over_tcp(peer):
            return self.tcp.endpoint
        return self.endpoint

    def via(self, peer: Peer | None = None) -> Via:
        """A top Via for a new request or ACK to `peer`: its transport, a fresh branch, rport
        asked (RFC 3581)."""
        transport = "TCP" if self.over_tcp(peer) else "UDP"
        return Via(transport, self.host, self.port, {"branch": new_branch(), "rport": None})

    @property
    def contact(self) -> NameAddr:
        """Our Contact (§8.1.1.8), without parameters: some phones paste it as a Request-URI."""
        return NameAddr(SipUri(self.host, CONTACT_USER, self.port))

    def uri(self, user: str) -> SipUri:
        """A SIP URI for `user` at our address."""
        return SipUri(self.host, user, self.port)

    def send(self, request: SipRequest, peer: Peer) -> TransactionKey:
        """Send a request in a new client transaction."""
        return self.endpoint_for(peer).send_request(request, peer)

    def respond(self, key: TransactionKey, response: SipResponse) -> bool:
        """Answer in server transaction `key`, wherever it lives; False if it is gone."""
        if self.tcp is not None and self.tcp.endpoint.respond(key, response):
            return True
        return self.endpoint.respond(key, response)

    def send_stateless(self, message: SipMessage, peer: Peer) -> None:
        """Send outside any transaction (an ACK for a 2xx, §13.2.2.4)."""
        self.endpoint_for(peer).send_stateless(message, peer)

    def abandon(self, key: TransactionKey, reason: str) -> None:
        """Give up a client transaction, wherever it lives (see `abandon_client_transaction`)."""
        endpoints = [self.endpoint] + ([self.tcp.endpoint] if self.tcp is not None else [])
        for endpoint in endpoints:
            abandon_client_transaction(endpoint, key, reason)


def peer_of(uri: Uri) -> Peer:
    """Where requests for `uri` go: its `maddr`, else its host, and its port (§8.1.2, no DNS:
    our peers are named by address)."""
    if not isinstance(uri, SipUri):
        raise ValueError(f"cannot send to {uri}")
    host = uri.params.get("maddr") or uri.host
    return host.strip("[]"), uri.port or DEFAULT_SIP_PORT


def abandon_client_transaction(endpoint: SipEndpoint, key: TransactionKey, reason: str) -> None:
    """Destroy a client transaction the TU gives up on (§9.1: no final response 64*T1 after a
    CANCEL). The transaction layer has no other way in, so this goes through its transport-failure
    path; the TU then gets a local 503 it ignores."""
    runner = endpoint.runner
    routed = runner.layer.transport_failed(key, reason)
    if routed is not None:
        runner.run(routed)


def dialog_peer(dialog: Dialog) -> Peer:
    """Where in-dialog requests go: the first route if there is a route set, else the remote
    target (§12.2.1.1)."""
    uri, routes = dialog.request_target()
    return peer_of(routes[0].uri if routes else uri)
