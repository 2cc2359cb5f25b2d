"""Building SIP messages: requests (§8.1.1), responses to a request (§8.2.6), 400 Bad Request
for messages that fail to parse (§21.4.1), Via stamping for RFC 3581, and fresh identifiers.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence

from telephony.sip.headers import MAGIC_COOKIE, CSeq, Headers, Via
from telephony.sip.message import SipRequest, SipResponse, parse_message
from telephony.sip.syntax import SipParseError
from telephony.sip.uri import NameAddr

DEFAULT_SIP_PORT = 5060
DEFAULT_MAX_FORWARDS = 70  # §8.1.1.6

REASON_PHRASES = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
    183: "Session Progress", 200: "OK", 202: "Accepted", 300: "Multiple Choices",
    301: "Moved Permanently", 302: "Moved Temporarily", 305: "Use Proxy",
    380: "Alternative Service", 400: "Bad Request", 401: "Unauthorized",
    402: "Payment Required", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 407: "Proxy Authentication Required", 408: "Request Timeout",
    410: "Gone", 413: "Request Entity Too Large", 414: "Request-URI Too Long",
    415: "Unsupported Media Type", 416: "Unsupported URI Scheme", 420: "Bad Extension",
    421: "Extension Required", 423: "Interval Too Brief",
    480: "Temporarily Unavailable", 481: "Call/Transaction Does Not Exist",
    482: "Loop Detected", 483: "Too Many Hops", 484: "Address Incomplete", 485: "Ambiguous",
    486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here",
    491: "Request Pending", 493: "Undecipherable", 500: "Server Internal Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Server Time-out", 505: "Version Not Supported", 513: "Message Too Large",
    600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
}  # fmt: skip

_UNPRINTABLE = re.compile(r"[^\x20-\x7e]")


def reason_phrase(status: int) -> str:
    """The usual reason phrase for `status` (§21), or a generic one for its class."""
    generic = {1: "Progress", 2: "OK", 3: "Redirect", 4: "Client Error", 5: "Server Error"}
    return REASON_PHRASES.get(status) or generic.get(status // 100, "Global Failure")


def new_branch() -> str:
    """A fresh RFC 3261 branch with the magic cookie (§8.1.1.7)."""
    return MAGIC_COOKIE + secrets.token_hex(8)


def new_tag() -> str:
    """A fresh From/To tag with at least 32 bits of randomness (§19.3)."""
    return secrets.token_hex(6)


def new_call_id() -> str:
    """A fresh, globally unique Call-ID (§8.1.1.4)."""
    return secrets.token_hex(16)


def build_request(
    method: str,
    uri: str,
    *,
    from_addr: NameAddr,
    to_addr: NameAddr,
    call_id: str,
    cseq: int,
    via: Via,
    contact: NameAddr | None = None,
    routes: Sequence[NameAddr] = (),
    extra: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> SipRequest:
    """A request with the header fields every request carries (§8.1.1)."""
    headers = Headers()
    headers.add("Via", str(via))
    headers.add("Max-Forwards", str(DEFAULT_MAX_FORWARDS))
    for route in routes:
        headers.add("Route", str(route))
    headers.add("From", str(from_addr))
    headers.add("To", str(to_addr))
    headers.add("Call-ID", call_id)
    headers.add("CSeq", str(CSeq(cseq, method)))
    if contact is not None:
        headers.add("Contact", str(contact))
    for name, value in extra:
        headers.add(name, value)
    request = SipRequest(method, uri, headers)
    request.set_body(body, content_type if body else None)
    return request


def build_response(
    request: SipRequest,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    extra: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> SipResponse:
    """A response to `request` per §8.2.6.2: Via, From, Call-ID and CSeq copied, To copied with
    `to_tag` added when it has none; Timestamp echoed on 100 Trying (§8.2.6.1).

    Raises `SipParseError` when the request's To header is unreadable and a tag must be added.
    """
    headers = Headers()
    for via in request.headers.get_all("via"):
        headers.add("Via", via)
    headers.add("From", _required(request, "from"))
    to_value = _required(request, "to")
    if to_tag is not None and request.to_addr.tag is None:
        to_value = str(request.to_addr.with_tag(to_tag))
    headers.add("To", to_value)
    headers.add("Call-ID", _required(request, "call-id"))
    headers.add("CSeq", _required(request, "cseq"))
    timestamp = request.headers.get("timestamp")
    if status == 100 and timestamp is not None:
        headers.add("Timestamp", timestamp)
    for name, value in extra:
        headers.add(name, value)
    response = SipResponse(status, reason or reason_phrase(status), headers)
    response.set_body(body, content_type if body else None)
    return response


def _required(request: SipRequest, name: str) -> str:
    value = request.headers.get(name)
    if value is None:
        raise SipParseError(f"request has no {name} header")
    return value


def stamp_top_via(
    request: SipRequest, source_host: str, source_port: int, *, symmetric: bool = False
) -> None:
    """Record where the request came from in its top Via (§18.2.1, RFC 3581 §4; `symmetric`
    as in `Via.stamped`). Via values are rewritten one per line, which is equivalent (§7.3.1).
    """
    values = request.headers.values("via")
    if not values:
        raise SipParseError("missing Via header")
    top = Via.parse(values[0]).stamped(source_host, source_port, symmetric=symmetric)
    values[0] = str(top)
    position = request.headers.index("via") or 0
    request.headers.remove("via")
    for offset, value in enumerate(values):
        request.headers.insert(position + offset, "Via", value)


def response_destination(via: Via) -> tuple[str, int]:
    """Where an unreliable transport sends a response (§18.2.2, RFC 3581 §4)."""
    host = via.params.get("maddr") or via.received or via.host
    port = via.rport or via.port or DEFAULT_SIP_PORT
    return host.strip("[]"), port


def bad_request_response(
    data: bytes,
    *,
    source: tuple[str, int] | None = None,
    to_tag: str | None = None,
) -> bytes | None:
    """The error response for bytes that fail to parse, or None when nothing can be answered.

    None when the bytes parse, are a response, are an ACK (never answered, §17.1.1.3) or when
    the request line, Via, From, To, Call-ID or CSeq are unreadable. The status is the parse
    error's (400, or 505/513); the reason phrase says what was wrong (§21.4.1).
    """
    try:
        parse_message(data)
    except SipParseError as error:
        request = error.partial
        if not isinstance(request, SipRequest) or request.method == "ACK":
            return None
        try:
            return bytes(_error_response(request, error, source, to_tag))
        except SipParseError:
            return None
    return None


def _error_response(
    request: SipRequest, error: SipParseError, source: tuple[str, int] | None, to_tag: str | None
) -> SipResponse:
    # Everything copied into the response must itself be readable.
    _ = request.vias, request.from_addr, request.to_addr, request.call_id, request.cseq
    if source is not None:
        stamp_top_via(request, *source)
    detail = _UNPRINTABLE.sub("?", error.reason)[:80]
    reason = f"{reason_phrase(error.status)} ({detail})"
    return build_response(request, error.status, reason, to_tag=to_tag or new_tag())
