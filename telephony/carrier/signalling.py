"""How the carrier's legs send SIP: our address in Via and Contact, where a URI's requests go,
and the endpoint's send calls, in one small object the legs are handed."""

from __future__ import annotations

from dataclasses import dataclass

from telephony.sip.builders import DEFAULT_SIP_PORT, new_branch
from telephony.sip.dialog import Dialog
from telephony.sip.endpoint import SipEndpoint
from telephony.sip.headers import Via
from telephony.sip.message import SipMessage, SipRequest, SipResponse
from telephony.sip.transaction import TransactionKey
from telephony.sip.transport import Peer
from telephony.sip.uri import NameAddr, SipUri, Uri

CONTACT_USER = "hotline"


@dataclass(slots=True)
class Signalling:
    """The endpoint plus the address we advertise (`host`:`port`, UDP)."""

    endpoint: SipEndpoint
    host: str
    port: int

    def via(self) -> Via:
        """A top Via for a new request or ACK: fresh branch, rport asked (RFC 3581)."""
        return Via("UDP", self.host, self.port, {"branch": new_branch(), "rport": None})

    @property
    def contact(self) -> NameAddr:
        """Our Contact (§8.1.1.8), without parameters: some phones paste it as a Request-URI."""
        return NameAddr(SipUri(self.host, CONTACT_USER, self.port))

    def uri(self, user: str) -> SipUri:
        """A SIP URI for `user` at our address."""
        return SipUri(self.host, user, self.port)

    def send(self, request: SipRequest, peer: Peer) -> TransactionKey:
        """Send a request in a new client transaction."""
        return self.endpoint.send_request(request, peer)

    def respond(self, key: TransactionKey, response: SipResponse) -> bool:
        """Answer in server transaction `key`; False if it is gone."""
        return self.endpoint.respond(key, response)

    def send_stateless(self, message: SipMessage, peer: Peer) -> None:
        """Send outside any transaction (an ACK for a 2xx, §13.2.2.4)."""
        self.endpoint.send_stateless(message, peer)


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
