"""SIP dialogs (RFC 3261 §12, §13.2.2.4, §14): the state an INVITE and its response establish on
each side, and the in-dialog requests built from it (BYE, re-INVITE for hold, ACK for a 2xx).

A dialog is early after a 1xx with a To tag and confirmed after a 2xx (§12.1). The route set
comes from Record-Route (reversed at the UAC), the remote target from Contact and target
refreshes, and the local CSeq counts up for each new request (§12.2.1.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from telephony.sip.builders import build_request
from telephony.sip.headers import Via
from telephony.sip.message import SipRequest, SipResponse
from telephony.sip.syntax import SipParseError
from telephony.sip.uri import NameAddr, SipUri, Uri

DialogId = tuple[str, str, str]  # Call-ID, local tag, remote tag (§12)
TARGET_REFRESH = frozenset({"INVITE", "UPDATE"})  # methods that refresh the remote target
_NOT_IN_REQUEST_URI = ("method",)  # §19.1.1 table: allowed in a Route, not a Request-URI


class DialogState(StrEnum):
    """Early (after a 1xx with To tag), confirmed (after a 2xx), terminated (§12)."""

    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


@dataclass(slots=True)
class Dialog:
    """One side of a dialog (§12.1.1, §12.1.2)."""

    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: NameAddr
    remote_uri: NameAddr
    remote_target: Uri
    local_contact: NameAddr
    route_set: list[NameAddr] = field(default_factory=list)
    local_seq: int | None = None
    remote_seq: int | None = None
    secure: bool = False
    state: DialogState = DialogState.EARLY

    @property
    def id(self) -> DialogId:
        """(Call-ID, local tag, remote tag)."""
        return self.call_id, self.local_tag, self.remote_tag

    @classmethod
    def as_uac(cls, request: SipRequest, response: SipResponse) -> Dialog:
        """The UAC's dialog from its INVITE and a 1xx/2xx with a To tag (§12.1.2)."""
        remote_tag = response.to_tag
        if not remote_tag:
            raise SipParseError("a response without To tag creates no dialog")
        contacts = response.contacts
        return cls(
            call_id=request.call_id,
            local_tag=request.from_tag or "",
            remote_tag=remote_tag,
            local_uri=_untagged(request.from_addr),
            remote_uri=_untagged(request.to_addr),
            remote_target=contacts[0].uri if contacts else request.request_uri,
            local_contact=_first_contact(request),
            route_set=list(reversed(response.record_routes)),
            local_seq=request.cseq.number,
            secure=_is_sips(request.request_uri),
            state=DialogState.EARLY if response.status < 200 else DialogState.CONFIRMED,
        )

    @classmethod
    def as_uas(
        cls, request: SipRequest, local_tag: str, local_contact: NameAddr, *, confirmed: bool
    ) -> Dialog:
        """The UAS's dialog from the INVITE it answers with To tag `local_tag` (§12.1.1)."""
        return cls(
            call_id=request.call_id,
            local_tag=local_tag,
            remote_tag=request.from_tag or "",
            local_uri=_untagged(request.to_addr),
            remote_uri=_untagged(request.from_addr),
            remote_target=_first_contact(request).uri,
            local_contact=local_contact,
            route_set=request.record_routes,
            remote_seq=request.cseq.number,
            secure=_is_sips(request.request_uri),
            state=DialogState.CONFIRMED if confirmed else DialogState.EARLY,
        )

    def confirm(self, response: SipResponse) -> None:
        """A 2xx arrived for the dialog-creating INVITE (UAC side): early becomes confirmed;
        the route set is recomputed from it and the target refreshed (§12.1.2, §13.2.2.4)."""
        self.state = DialogState.CONFIRMED
        self.route_set = list(reversed(response.record_routes))
        self.refresh_target(response)

    def refresh_target(self, message: SipRequest | SipResponse) -> None:
        """Take the remote target from the message's Contact, if it has one (§12.2)."""
        contacts = message.contacts
        if contacts:
            self.remote_target = contacts[0].uri

    def receive_request(self, request: SipRequest) -> int | None:
        """Check an in-dialog request (§12.2.2): None to go on, or 500 when its CSeq is lower
        than the last one (out of order). Updates the remote CSeq and the target."""
        if request.method in ("ACK", "CANCEL"):
            return None
        number = request.cseq.number
        if self.remote_seq is not None and number < self.remote_seq:
            return 500
        self.remote_seq = number
        if request.method in TARGET_REFRESH:
            self.refresh_target(request)
        if request.method == "BYE":
            self.state = DialogState.TERMINATED
        return None

    def request(
        self,
        method: str,
        via: Via,
        *,
        body: bytes = b"",
        content_type: str | None = None,
        extra: Iterable[tuple[str, str]] = (),
    ) -> SipRequest:
        """A new in-dialog request with the next local CSeq (§12.2.1.1)."""
        self.local_seq = 1 if self.local_seq is None else self.local_seq + 1
        return self._build(method, via, self.local_seq, body, content_type, extra)

    def bye(self, via: Via) -> SipRequest:
        """A BYE ending the dialog (§15.1.1)."""
        request = self.request("BYE", via)
        self.state = DialogState.TERMINATED
        return request

    def reinvite(self, via: Via, sdp: bytes) -> SipRequest:
        """A re-INVITE with a new offer, e.g. `a=sendonly` to hold (§14.1, RFC 3264 §8.4)."""
        return self.request("INVITE", via, body=sdp, content_type="application/sdp")

    def ack(self, via: Via, invite_cseq: int, *, sdp: bytes = b"") -> SipRequest:
        """The ACK for a 2xx to the INVITE numbered `invite_cseq` (§13.2.2.4): same CSeq number,
        method ACK, new branch in `via`."""
        content_type = "application/sdp" if sdp else None
        return self._build("ACK", via, invite_cseq, sdp, content_type, ())

    def _build(
        self,
        method: str,
        via: Via,
        cseq: int,
        body: bytes,
        content_type: str | None,
        extra: Iterable[tuple[str, str]],
    ) -> SipRequest:
        uri, routes = self.request_target()
        to = self.remote_uri.with_tag(self.remote_tag) if self.remote_tag else self.remote_uri
        return build_request(
            method,
            str(uri),
            from_addr=self.local_uri.with_tag(self.local_tag),
            to_addr=to,
            call_id=self.call_id,
            cseq=cseq,
            via=via,
            contact=self.local_contact if method in TARGET_REFRESH else None,
            routes=routes,
            extra=extra,
            body=body,
            content_type=content_type,
        )

    def request_target(self) -> tuple[Uri, list[NameAddr]]:
        """Request-URI and Route values (§12.2.1.1): loose routing when the first route has
        `lr`; otherwise strict routing, the remote target going last in Route."""
        if not self.route_set:
            return self.remote_target, []
        first = self.route_set[0].uri
        if not isinstance(first, SipUri) or first.loose_route:
            return self.remote_target, list(self.route_set)
        params = {k: v for k, v in first.params.items() if k not in _NOT_IN_REQUEST_URI}
        request_uri = replace(first, params=params, headers=())
        return request_uri, [*self.route_set[1:], NameAddr(self.remote_target)]


def incoming_dialog_id(request: SipRequest) -> DialogId:
    """The id of the dialog an incoming request belongs to, from the UAS view (§12.2.2)."""
    return request.call_id, request.to_tag or "", request.from_tag or ""


def response_dialog_id(response: SipResponse) -> DialogId:
    """The id of the dialog a response belongs to, from the UAC view (§12.1.2)."""
    return response.call_id, response.from_tag or "", response.to_tag or ""


def _untagged(address: NameAddr) -> NameAddr:
    return replace(address, params={k: v for k, v in address.params.items() if k != "tag"})


def _first_contact(request: SipRequest) -> NameAddr:
    contacts = request.contacts
    if not contacts:
        raise SipParseError(f"{request.method} without Contact creates no dialog (§12.1)")
    return contacts[0]


def _is_sips(uri: Uri) -> bool:
    return isinstance(uri, SipUri) and uri.scheme == "sips"
