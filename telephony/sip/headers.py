"""SIP header fields: the ordered header list of a message, compact names, and the typed values
of Via and CSeq (RFC 3261 §7.3, §20, RFC 3581).

Header names compare case-insensitively and compact forms (§7.3.3) are the same header as their
long names. Values are kept as written (folding removed), so a parsed message prints back the
bytes it came from; typed values are parsed on demand.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import NamedTuple, Self

from telephony.sip.syntax import (
    Params,
    SipParseError,
    format_params,
    is_token,
    parse_params,
    parse_uint,
    split_outside_quotes,
)
from telephony.sip.uri import parse_hostport

MAGIC_COOKIE = "z9hG4bK"  # §8.1.1.7: branches starting with it are RFC 3261 branches
MAX_CSEQ = 2**31 - 1  # §8.1.1.5

# Compact forms (§7.3.3, §20, and the registry of later RFCs).
COMPACT_FORMS = {
    "a": "accept-contact",
    "b": "referred-by",
    "c": "content-type",
    "d": "request-disposition",
    "e": "content-encoding",
    "f": "from",
    "i": "call-id",
    "j": "reject-contact",
    "k": "supported",
    "l": "content-length",
    "m": "contact",
    "o": "event",
    "r": "refer-to",
    "s": "subject",
    "t": "to",
    "u": "allow-events",
    "v": "via",
    "x": "session-expires",
    "y": "identity",
}

# Headers whose grammar is a comma-separated list (§7.3.1); others (Authorization, Date, ...)
# hold commas inside one value.
LIST_HEADERS = frozenset(
    {
        "via", "contact", "route", "record-route", "allow", "supported", "require",
        "proxy-require", "unsupported", "accept", "accept-encoding", "accept-language",
        "content-encoding", "allow-events", "warning", "alert-info", "call-info",
        "error-info", "in-reply-to", "path", "service-route", "content-language",
    }
)  # fmt: skip

_SPELLING = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version",
}


@functools.lru_cache(maxsize=1024)  # a few dozen names in practice; bounded against garbage
def canonical_name(name: str) -> str:
    """The lower-case long form of a header name (compact forms expanded)."""
    lowered = name.lower()
    return COMPACT_FORMS.get(lowered, lowered)


def display_name(name: str) -> str:
    """How we write a header name: `Call-ID`, `CSeq`, `Max-Forwards`..."""
    long = canonical_name(name)
    return _SPELLING.get(long) or "-".join(part.capitalize() for part in long.split("-"))


class HeaderField(NamedTuple):
    """One header line: the name as written, the value (unfolded, trimmed) and, for a parsed
    line, its original text so that an unchanged message prints back byte for byte."""

    name: str
    value: str
    raw: str | None = None

    @property
    def text(self) -> str:
        """The line as it goes on the wire."""
        return self.raw if self.raw is not None else f"{self.name}: {self.value}"


@dataclass(slots=True)
class Headers:
    """The ordered header fields of a message."""

    fields: list[HeaderField] = field(default_factory=list)

    @classmethod
    def of(cls, *pairs: tuple[str, str]) -> Headers:
        """Headers from (name, value) pairs."""
        headers = cls()
        for name, value in pairs:
            headers.add(name, value)
        return headers

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((f.name, f.value) for f in self.fields)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        target = canonical_name(name)
        return any(canonical_name(f.name) == target for f in self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def get(self, name: str) -> str | None:
        """The first value of header `name`, or None."""
        target = canonical_name(name)
        return next((f.value for f in self.fields if canonical_name(f.name) == target), None)

    def get_all(self, name: str) -> list[str]:
        """Every header line's value for `name`, in order (not split on commas)."""
        target = canonical_name(name)
        return [f.value for f in self.fields if canonical_name(f.name) == target]

    def values(self, name: str) -> list[str]:
        """Every value of `name` in order, list headers split on commas outside quotes (§7.3.1)."""
        lines = self.get_all(name)
        if canonical_name(name) not in LIST_HEADERS:
            return lines
        return [piece for line in lines for piece in split_outside_quotes(line, ",")]

    def add(self, name: str, value: str) -> None:
        """Append a header line."""
        self.fields.append(_new_field(name, value))

    def insert(self, index: int, name: str, value: str) -> None:
        """Insert a header line at `index` (0: on top, where a proxy puts its Via, §16.6)."""
        self.fields.insert(index, _new_field(name, value))

    def set(self, name: str, value: str) -> None:
        """Replace every line of `name` by one line, where the first one was (or at the end)."""
        new = _new_field(name, value)
        index = self.index(name)
        self.remove(name)
        self.fields.insert(len(self.fields) if index is None else index, new)

    def remove(self, name: str) -> None:
        """Drop every line of `name`."""
        target = canonical_name(name)
        self.fields = [f for f in self.fields if canonical_name(f.name) != target]

    def index(self, name: str) -> int | None:
        """Position of the first line of `name`, or None."""
        target = canonical_name(name)
        return next(
            (i for i, f in enumerate(self.fields) if canonical_name(f.name) == target), None
        )

    def copy(self) -> Headers:
        """An independent copy."""
        return Headers(list(self.fields))


def _new_field(name: str, value: str) -> HeaderField:
    _check_field(name, value)
    return HeaderField(name, value)


def _check_field(name: str, value: str) -> None:
    # Builders must not be able to inject header lines through a value.
    if not is_token(name) or "\r" in value or "\n" in value:
        raise ValueError(f"bad header field {name!r}")


@dataclass(frozen=True, slots=True)
class Via:
    """One Via value (§20.42) with RFC 3581 `rport` and `received`."""

    transport: str
    host: str
    port: int | None = None
    params: Params = field(default_factory=dict, hash=False)
    protocol: str = "SIP/2.0"

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse `SIP/2.0/UDP host:port;params`."""
        match = re.fullmatch(
            r"([^/\s]+)[ \t]*/[ \t]*([^/\s]+)[ \t]*/[ \t]*([^\s;]+)[ \t]+([^;]+?)[ \t]*(?:;(.*))?",
            text.strip(" \t"),
            re.DOTALL,
        )
        if match is None:
            raise SipParseError(f"bad Via {text[:60]!r}")
        name, version, transport, sent_by, param_text = match.groups()
        if not (is_token(name) and is_token(version) and is_token(transport)):
            raise SipParseError(f"bad Via protocol in {text[:60]!r}")
        host, port = parse_hostport(sent_by.replace(" ", "").replace("\t", ""))
        params = parse_params(param_text or "")
        via = cls(transport.upper(), host, port, params, f"{name}/{version}")
        via._check_params()
        return via

    def _check_params(self) -> None:
        if self.params.get("branch", "") is None:
            raise SipParseError("Via branch without a value")
        rport = self.params.get("rport")
        if rport is not None:
            parse_uint(rport, "Via rport", maximum=65535)
        if "received" in self.params and not self.params["received"]:
            raise SipParseError("Via received without a value")

    def __str__(self) -> str:
        port = "" if self.port is None else f":{self.port}"
        return f"{self.protocol}/{self.transport} {self.host}{port}{format_params(self.params)}"

    @property
    def branch(self) -> str | None:
        """The branch parameter (§8.1.1.7)."""
        return self.params.get("branch")

    @property
    def received(self) -> str | None:
        """The address the request actually came from, added by the server (§18.2.1)."""
        return self.params.get("received")

    @property
    def rport_requested(self) -> bool:
        """True when the client asked for symmetric response routing (RFC 3581 §3)."""
        return "rport" in self.params

    @property
    def rport(self) -> int | None:
        """The source port filled in by the server (RFC 3581 §4), or None."""
        value = self.params.get("rport")
        return int(value) if value else None

    @property
    def sent_by(self) -> tuple[str, int | None]:
        """(host, port) of the sent-by field."""
        return self.host, self.port

    def with_params(self, **params: str | None) -> Via:
        """A copy with parameters added or replaced."""
        return replace(self, params={**self.params, **params})

    def stamped(self, source_host: str, source_port: int, *, symmetric: bool = False) -> Via:
        """The Via as the server records it: `received` when sent-by differs from the source
        address (§18.2.1), and `rport` filled in when the client asked (RFC 3581 §4) or, with
        `symmetric`, always (responses then go back to the packet's source, as behind NAT)."""
        params = dict(self.params)
        if self.rport_requested or symmetric:
            params["rport"] = str(source_port)
            params["received"] = source_host  # RFC 3581 §4: MUST add received with rport
        elif self.host.strip("[]").lower() != source_host.lower():
            params["received"] = source_host
        return replace(self, params=params)


@dataclass(frozen=True, slots=True)
class CSeq:
    """The CSeq value (§20.16): a sequence number and the request method."""

    number: int
    method: str

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse `4711 INVITE`."""
        number, _, method = text.strip(" \t").partition(" ")
        method = method.strip(" \t")
        if not is_token(method):
            raise SipParseError(f"bad CSeq method in {text[:60]!r}")
        return cls(parse_uint(number, "CSeq number", maximum=MAX_CSEQ), method)

    def __str__(self) -> str:
        return f"{self.number} {self.method}"
