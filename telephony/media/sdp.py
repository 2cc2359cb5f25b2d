"""SDP session descriptions (RFC 8866, which obsoletes RFC 4566): parse and build.

A `SessionDescription` holds the lines a telephony peer uses (v, o, s, c, t, m, a) as fields, and
keeps every other line (i, u, e, p, b, z, k, r) in order so a description round-trips. Media-level
helpers read the attributes that matter for audio: rtpmap, fmtp, ptime and the direction.
Offer/answer rules live in `telephony.media.offer_answer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
# RFC 3551 §6: static payload types a description may use without an rtpmap line
STATIC_PAYLOAD_TYPES: dict[int, tuple[str, int]] = {0: ("PCMU", 8000), 8: ("PCMA", 8000)}


class SdpParseError(ValueError):
    """The text is not a usable session description."""


@dataclass(frozen=True, slots=True)
class Origin:
    """The o= line (RFC 8866 §5.2): who made the session and which version of it this is."""

    username: str
    session_id: str
    version: int
    address: str
    nettype: str = "IN"
    addrtype: str = "IP4"

    @classmethod
    def parse(cls, value: str) -> Origin:
        """Parse the value of an o= line."""
        parts = value.split()
        if len(parts) != 6 or not _is_number(parts[2]):
            raise SdpParseError(f"bad o= line: {value!r}")
        user, sess_id, version, nettype, addrtype, address = parts
        return cls(user, sess_id, int(version), address, nettype, addrtype)

    def __str__(self) -> str:
        return (
            f"{self.username} {self.session_id} {self.version} "
            f"{self.nettype} {self.addrtype} {self.address}"
        )


@dataclass(frozen=True, slots=True)
class Connection:
    """The c= line (RFC 8866 §5.7): where media goes."""

    address: str
    nettype: str = "IN"
    addrtype: str = "IP4"

    @classmethod
    def parse(cls, value: str) -> Connection:
        """Parse the value of a c= line."""
        parts = value.split()
        if len(parts) != 3:
            raise SdpParseError(f"bad c= line: {value!r}")
        return cls(parts[2], parts[0], parts[1])

    @property
    def is_null(self) -> bool:
        """The RFC 2543 hold address 0.0.0.0 (RFC 3264 §8.4 still asks us to understand it)."""
        return self.address == "0.0.0.0"

    def __str__(self) -> str:
        return f"{self.nettype} {self.addrtype} {self.address}"


@dataclass(frozen=True, slots=True)
class RtpMap:
    """An rtpmap attribute (RFC 8866 §6.6): payload type to encoding, clock rate, channels."""

    payload_type: int
    encoding: str
    clock_rate: int
    channels: int | None = None

    @classmethod
    def parse(cls, value: str) -> RtpMap:
        """Parse `101 telephone-event/8000` (the part after `a=rtpmap:`)."""
        pt, _, rest = value.partition(" ")
        parts = rest.strip().split("/")
        try:
            channels = int(parts[2]) if len(parts) > 2 else None
            return cls(int(pt), parts[0], int(parts[1]), channels)
        except (ValueError, IndexError) as exc:
            raise SdpParseError(f"bad rtpmap: {value!r}") from exc

    def __str__(self) -> str:
        tail = f"/{self.channels}" if self.channels is not None else ""
        return f"{self.payload_type} {self.encoding}/{self.clock_rate}{tail}"


Attribute = tuple[str, str | None]  # (name, value); value None for a property like `sendrecv`


@dataclass(frozen=True, slots=True)
class MediaDescription:
    """One m= section (RFC 8866 §5.14) with its c= line and attributes."""

    media: str
    port: int
    proto: str
    formats: tuple[str, ...]
    connection: Connection | None = None
    attributes: tuple[Attribute, ...] = ()
    other_lines: tuple[tuple[str, str], ...] = ()
    port_count: int | None = None

    def attribute(self, name: str) -> str | None:
        """The value of the first attribute called `name`, None if absent or valueless."""
        return next((v for n, v in self.attributes if n == name), None)

    def rtpmaps(self) -> dict[int, RtpMap]:
        """Payload type to rtpmap for every format, static types filled in (RFC 3551 §6)."""
        maps = {
            pt: RtpMap(pt, *STATIC_PAYLOAD_TYPES[pt])
            for pt in self.payload_types()
            if pt in STATIC_PAYLOAD_TYPES
        }
        for name, value in self.attributes:
            if name == "rtpmap" and value:
                rtpmap = RtpMap.parse(value)
                maps[rtpmap.payload_type] = rtpmap
        return {pt: maps[pt] for pt in self.payload_types() if pt in maps}

    def fmtp(self, payload_type: int) -> str | None:
        """The format parameters of one payload type (RFC 8866 §6.15)."""
        for name, value in self.attributes:
            if name == "fmtp" and value:
                pt, _, params = value.partition(" ")
                if pt == str(payload_type):
                    return params.strip()
        return None

    def payload_types(self) -> list[int]:
        """The formats as RTP payload type numbers (those that are numbers)."""
        return [int(f) for f in self.formats if _is_number(f) and int(f) <= 127]

    @property
    def ptime(self) -> int | None:
        """Packet time in milliseconds (RFC 8866 §6.4), if given."""
        value = self.attribute("ptime")
        try:
            return int(float(value)) if value else None
        except ValueError:
            return None

    @property
    def direction(self) -> str | None:
        """The direction attribute of this stream (RFC 8866 §6.7), if it has one."""
        return next((n for n, _ in self.attributes if n in DIRECTIONS), None)

    def with_direction(self, direction: str) -> MediaDescription:
        """A copy whose direction attribute is `direction`."""
        kept = tuple(a for a in self.attributes if a[0] not in DIRECTIONS)
        return replace(self, attributes=(*kept, (direction, None)))


@dataclass(frozen=True, slots=True)
class SessionDescription:
    """A whole SDP description (RFC 8866 §5)."""

    origin: Origin
    session_name: str = "-"
    connection: Connection | None = None
    timing: str = "0 0"
    attributes: tuple[Attribute, ...] = ()
    media: tuple[MediaDescription, ...] = ()
    other_lines: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def parse(cls, text: str) -> SessionDescription:
        """Parse an SDP body; lines may end in CRLF or LF (RFC 8866 §5)."""
        lines = [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
        if not lines or lines[0].strip() != "v=0":
            raise SdpParseError("SDP must start with v=0")
        session = _Section()
        media: list[_Section] = []
        for line in lines[1:]:
            kind, sep, value = line.partition("=")
            if not sep or len(kind) != 1:
                raise SdpParseError(f"bad SDP line: {line!r}")
            if kind == "m":
                media.append(_Section({"m": value.strip()}))
            else:
                (media[-1] if media else session).take(kind, value.strip())
        return _build_session(session, media)

    def __str__(self) -> str:
        lines = ["v=0", f"o={self.origin}", f"s={self.session_name}"]
        # RFC 8866 §5 order: v o s i u e p c b t r z k a
        lines += [f"{k}={v}" for k, v in self.other_lines if k in "iuep"]
        if self.connection is not None:
            lines.append(f"c={self.connection}")
        lines += [f"{k}={v}" for k, v in self.other_lines if k == "b"]
        lines.append(f"t={self.timing}")
        lines += [f"{k}={v}" for k, v in self.other_lines if k not in "iuepb"]
        lines += [_attribute_line(a) for a in self.attributes]
        for m in self.media:
            lines += _media_lines(m)
        return "\r\n".join(lines) + "\r\n"

    def connection_for(self, media: MediaDescription) -> Connection | None:
        """The connection that applies to a stream: its own c= or the session's (§5.7)."""
        return media.connection or self.connection

    def direction_of(self, media: MediaDescription) -> str:
        """A stream's direction: its own, else the session's, else sendrecv (RFC 3264 §5.1)."""
        session = next((n for n, _ in self.attributes if n in DIRECTIONS), None)
        return media.direction or session or "sendrecv"


@dataclass(slots=True)
class _Section:
    """Lines of the session part or of one media section, while parsing."""

    fields: dict[str, str] = field(default_factory=dict)
    attributes: list[Attribute] = field(default_factory=list)
    other: list[tuple[str, str]] = field(default_factory=list)

    def take(self, kind: str, value: str) -> None:
        """File one line (RFC 8866 §5: o s c t once per part; a repeated; others kept as is)."""
        if kind == "a":
            name, sep, attr_value = value.partition(":")
            self.attributes.append((name, attr_value if sep else None))
        elif kind in self._single_kinds():
            if kind in self.fields:
                raise SdpParseError(f"duplicate {kind}= line")
            self.fields[kind] = value
        else:
            self.other.append((kind, value))

    def _single_kinds(self) -> str:
        return "c" if "m" in self.fields else "osct"

    def connection(self) -> Connection | None:
        value = self.fields.get("c")
        return Connection.parse(value) if value is not None else None


def _build_session(session: _Section, media: list[_Section]) -> SessionDescription:
    if "o" not in session.fields:
        raise SdpParseError("SDP has no o= line")
    return SessionDescription(
        origin=Origin.parse(session.fields["o"]),
        session_name=session.fields.get("s", "-"),
        connection=session.connection(),
        timing=session.fields.get("t", "0 0"),
        attributes=tuple(session.attributes),
        media=tuple(_build_media(m) for m in media),
        other_lines=tuple(session.other),
    )


def _build_media(section: _Section) -> MediaDescription:
    line = section.fields["m"]
    parts = line.split()
    if len(parts) < 3:
        raise SdpParseError(f"bad m= line: {line!r}")
    port_text, _, count = parts[1].partition("/")
    if not _is_number(port_text) or int(port_text) > 65535 or (count and not _is_number(count)):
        raise SdpParseError(f"bad port in m= line: {line!r}")
    return MediaDescription(
        media=parts[0],
        port=int(port_text),
        proto=parts[2],
        formats=tuple(parts[3:]),
        connection=section.connection(),
        attributes=tuple(section.attributes),
        other_lines=tuple(section.other),
        port_count=int(count) if count else None,
    )


def _attribute_line(attribute: Attribute) -> str:
    name, value = attribute
    return f"a={name}" if value is None else f"a={name}:{value}"


def _media_lines(m: MediaDescription) -> list[str]:
    port = f"{m.port}/{m.port_count}" if m.port_count is not None else str(m.port)
    lines = [f"m={m.media} {port} {' '.join((m.proto, *m.formats))}"]
    lines += [f"{k}={v}" for k, v in m.other_lines if k == "i"]  # order: m i c b k a
    if m.connection is not None:
        lines.append(f"c={m.connection}")
    lines += [f"{k}={v}" for k, v in m.other_lines if k != "i"]
    lines += [_attribute_line(a) for a in m.attributes]
    return lines


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()
