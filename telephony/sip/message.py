"""SIP requests and responses: parse from bytes, print back to bytes (RFC 3261 §7, §18.3, §25).

`parse_message` never raises anything but `SipParseError`, whatever the bytes. A message that
parses has a readable start line, well-formed header lines, a body cut at Content-Length, and
well-formed mandatory headers (Via, From, To, Call-ID, CSeq; §8.1.1). Other headers are parsed
when their typed accessor is read, which raises `SipParseError` on a malformed value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from telephony.sip.headers import CSeq, HeaderField, Headers, Via, display_name
from telephony.sip.syntax import SipParseError, parse_uint
from telephony.sip.uri import MAX_DELTA_SECONDS, NameAddr, Uri, parse_uri, split_name_addrs

# A UDP datagram holds at most 65,507 bytes; TCP frames are held to the same bound (§18.3).
MAX_MESSAGE_BYTES = 65_535
MANDATORY = ("via", "from", "to", "call-id", "cseq")  # §8.1.1
_SINGLE = ("from", "to", "call-id", "cseq", "max-forwards", "content-length")

_HEAD_END = re.compile(rb"\r?\n\r?\n")
_LINE_BREAK = re.compile(r"\r?\n")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_VERSION = r"[Ss][Ii][Pp]/[0-9]{1,3}\.[0-9]{1,3}"
_REQUEST_LINE = re.compile(rf"([A-Za-z0-9\-.!%*_+`'~]+) ([^ ]+) ({_VERSION})")
_STATUS_LINE = re.compile(rf"({_VERSION}) ([1-6][0-9][0-9])(?: (.*))?")
_HEADER_NAME = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")


class _HeaderAccess:
    """Typed accessors shared by requests and responses (§20)."""

    __slots__ = ()
    headers: Headers
    body: bytes

    def _one(self, name: str) -> str:
        value = self.headers.get(name)
        if value is None:
            raise SipParseError(f"missing {display_name(name)} header")
        return value

    @property
    def vias(self) -> list[Via]:
        """Every Via value, topmost first (§20.42)."""
        return [Via.parse(v) for v in self.headers.values("via")]

    @property
    def top_via(self) -> Via:
        """The topmost Via (§8.2.6.2, §17.2.3)."""
        vias = self.headers.values("via")
        if not vias:
            raise SipParseError("missing Via header")
        return Via.parse(vias[0])

    @property
    def from_addr(self) -> NameAddr:
        """The From value (§20.20)."""
        return NameAddr.parse(self._one("from"))

    @property
    def to_addr(self) -> NameAddr:
        """The To value (§20.39)."""
        return NameAddr.parse(self._one("to"))

    @property
    def from_tag(self) -> str | None:
        """The From tag (§19.3)."""
        return self.from_addr.tag

    @property
    def to_tag(self) -> str | None:
        """The To tag (§19.3)."""
        return self.to_addr.tag

    @property
    def call_id(self) -> str:
        """The Call-ID (§20.8)."""
        value = self._one("call-id").strip(" \t")
        if not value or " " in value or "\t" in value:
            raise SipParseError(f"bad Call-ID {value[:60]!r}")
        return value

    @property
    def cseq(self) -> CSeq:
        """The CSeq (§20.16)."""
        return CSeq.parse(self._one("cseq"))

    @property
    def max_forwards(self) -> int | None:
        """Max-Forwards (§20.22), None when absent."""
        value = self.headers.get("max-forwards")
        return None if value is None else parse_uint(value, "Max-Forwards", maximum=255)

    @property
    def expires(self) -> int | None:
        """The Expires header in seconds (§20.19), None when absent."""
        value = self.headers.get("expires")
        return None if value is None else parse_uint(value, "Expires", maximum=MAX_DELTA_SECONDS)

    @property
    def contact_is_wildcard(self) -> bool:
        """True for the REGISTER-only `Contact: *` (§10.2.2)."""
        return [v.strip(" \t") for v in self.headers.values("contact")] == ["*"]

    @property
    def contacts(self) -> list[NameAddr]:
        """Every Contact value in order (§20.10); empty for `Contact: *`."""
        values = self.headers.values("contact")
        if self.contact_is_wildcard:
            return []
        return [NameAddr.parse(v) for v in values]

    @property
    def routes(self) -> list[NameAddr]:
        """The Route set, in order (§20.34)."""
        return [r for line in self.headers.get_all("route") for r in split_name_addrs(line)]

    @property
    def record_routes(self) -> list[NameAddr]:
        """The Record-Route values, in order (§20.30)."""
        lines = self.headers.get_all("record-route")
        return [r for line in lines for r in split_name_addrs(line)]

    @property
    def content_type(self) -> str | None:
        """The Content-Type, as written (§20.15)."""
        return self.headers.get("content-type")

    def _describe_body(self, body: bytes, content_type: str | None) -> None:
        self.headers.set("Content-Length", str(len(body)))
        if content_type is not None:
            self.headers.set("Content-Type", content_type)


@dataclass(slots=True)
class SipRequest(_HeaderAccess):
    """A SIP request (§7.1)."""

    method: str
    uri: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    version: str = "SIP/2.0"

    @classmethod
    def parse(cls, data: bytes) -> SipRequest:
        """Parse a request; a response or anything else raises `SipParseError`."""
        message = parse_message(data)
        if not isinstance(message, SipRequest):
            raise SipParseError("expected a request, got a response")
        return message

    def set_body(self, body: bytes, content_type: str | None = None) -> None:
        """Replace the body, keeping Content-Length (and Content-Type if given) in step."""
        self.body = body
        self._describe_body(body, content_type)

    @property
    def request_uri(self) -> Uri:
        """The Request-URI, parsed (§19.1)."""
        return parse_uri(self.uri)

    def __bytes__(self) -> bytes:
        return _serialize(f"{self.method} {self.uri} {self.version}", self.headers, self.body)


@dataclass(slots=True)
class SipResponse(_HeaderAccess):
    """A SIP response (§7.2)."""

    status: int
    reason: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    version: str = "SIP/2.0"

    @classmethod
    def parse(cls, data: bytes) -> SipResponse:
        """Parse a response; a request or anything else raises `SipParseError`."""
        message = parse_message(data)
        if not isinstance(message, SipResponse):
            raise SipParseError("expected a response, got a request")
        return message

    def set_body(self, body: bytes, content_type: str | None = None) -> None:
        """Replace the body, keeping Content-Length (and Content-Type if given) in step."""
        self.body = body
        self._describe_body(body, content_type)

    @property
    def provisional(self) -> bool:
        """True for 1xx (§7.2)."""
        return self.status < 200

    def __bytes__(self) -> bytes:
        return _serialize(f"{self.version} {self.status} {self.reason}", self.headers, self.body)


SipMessage = SipRequest | SipResponse


def parse_message(data: bytes) -> SipMessage:
    """Parse one complete message: a UDP datagram or a TCP frame (§7, §18.3).

    Leading CRLFs are skipped (§7.5). The body is cut at Content-Length; without one it is the
    rest of the data, as on UDP. Raises `SipParseError` (and nothing else) when the bytes are
    not a valid message; its `partial` holds the start line and headers when they were read.
    """
    if len(data) > MAX_MESSAGE_BYTES:
        raise SipParseError("message too large", status=513)
    data = data.lstrip(b"\r\n")
    end = _HEAD_END.search(data)
    try:
        head = (data[: end.start()] if end else data).decode("utf-8")
    except UnicodeDecodeError:
        raise SipParseError("header section is not UTF-8") from None
    lines = _LINE_BREAK.split(head)
    message = _start_line(lines[0])
    _read_header_fields(lines[1:], message)
    with _blame(message):
        if end is None:
            raise SipParseError("no empty line after the headers")
        message.body = _body(data[end.end() :], message.headers)
        _check_mandatory(message)
    return message


@contextmanager
def _blame(message: SipMessage) -> Iterator[None]:
    """Attach the message read so far to any parse error raised inside."""
    try:
        yield
    except SipParseError as error:
        error.partial = error.partial or message
        raise


def _start_line(line: str) -> SipMessage:
    if _CONTROL.search(line):
        raise SipParseError("control character in the start line")
    if request := _REQUEST_LINE.fullmatch(line):
        method, uri, version = request.groups()
        return SipRequest(method, uri, version=version)
    if status := _STATUS_LINE.fullmatch(line):
        version, code, reason = status.groups()
        return SipResponse(int(code), reason or "", version=version)
    raise SipParseError(f"bad start line {line[:60]!r}")


def _read_header_fields(lines: list[str], message: SipMessage) -> None:
    """Fill `message.headers` from header lines, unfolding continuations (§7.3.1).

    Good lines are kept even when a later one is bad, so the error can still be answered.
    """
    fields: list[HeaderField] = []
    problem: str | None = None
    for line in lines:
        if _CONTROL.search(line):
            problem = problem or f"control character in header line {line[:60]!r}"
        elif line[:1] in (" ", "\t"):
            if not fields:
                problem = problem or "continuation line before any header"
                continue
            name, value, raw = fields[-1]
            continued = line.strip(" \t")
            fields[-1] = HeaderField(name, f"{value} {continued}".strip(" \t"), f"{raw}\r\n{line}")
        else:
            name, colon, value = line.partition(":")
            name = name.rstrip(" \t")
            if colon and _HEADER_NAME.fullmatch(name):
                fields.append(HeaderField(name, value.strip(" \t"), line))
            else:
                problem = problem or f"bad header line {line[:60]!r}"
    message.headers = Headers(fields)
    if problem:
        raise SipParseError(problem, partial=message)


def _body(rest: bytes, headers: Headers) -> bytes:
    """The body: the rest of the data, cut at Content-Length when present (§18.3, §20.14)."""
    values = {v.strip(" \t") for v in headers.get_all("content-length")}
    if not values:
        return rest
    if len(values) > 1:
        raise SipParseError("conflicting Content-Length headers")
    length = parse_uint(values.pop(), "Content-Length", maximum=MAX_MESSAGE_BYTES)
    if length > len(rest):
        raise SipParseError("body shorter than Content-Length")
    return rest[:length]


def _check_mandatory(message: SipMessage) -> None:
    """Mandatory headers present once and well formed (§8.1.1, §8.2.2)."""
    for name in MANDATORY:
        if name not in message.headers:
            raise SipParseError(f"missing {display_name(name)} header")
    for name in _SINGLE:
        if len(message.headers.get_all(name)) > 1:
            raise SipParseError(f"more than one {display_name(name)} header")
    _ = message.vias, message.from_addr, message.to_addr, message.call_id, message.max_forwards
    cseq = message.cseq
    if isinstance(message, SipRequest):
        if message.version.upper() != "SIP/2.0":
            raise SipParseError(f"unsupported version {message.version}", status=505)
        if cseq.method != message.method:
            raise SipParseError("CSeq method does not match the request method")
        _ = message.request_uri


def _serialize(start_line: str, headers: Headers, body: bytes) -> bytes:
    lines = [start_line, *(f.text for f in headers.fields)]
    if body and "content-length" not in headers:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body
