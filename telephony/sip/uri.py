"""SIP, SIPS and tel URIs, and name-addr / addr-spec values (RFC 3261 §19.1, §20.10, §25.1;
RFC 3966 for tel).

URIs are small frozen dataclasses with `parse()` and `__str__`. User parts, parameters and
headers are kept as written (escaped); comparisons follow §19.1.4.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Self
from urllib.parse import unquote as percent_decode

from telephony.sip.syntax import (
    Params,
    SipParseError,
    format_params,
    is_token,
    parse_params,
    parse_uint,
    quote,
    split_outside_quotes,
    unquote,
)

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
# user = 1*( unreserved / escaped / user-unreserved ), password likewise (§25.1)
_USER = re.compile(r"(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+")
_PASSWORD = re.compile(r"(?:[A-Za-z0-9\-_.!~*'()&=+$,]|%[0-9A-Fa-f]{2})*")
# hostname (lenient on '_', seen in the wild), IPv4 (a hostname match) or IPv6 reference
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-_.]*[A-Za-z0-9.])?|\[[0-9A-Fa-f:.]+\]")
_HEADER_PART = re.compile(r"(?:[A-Za-z0-9\-_.!~*'()\[\]/?:+$]|%[0-9A-Fa-f]{2})*")
_TEL_NUMBER = re.compile(r"\+?[0-9A-Fa-f*#().\-]+")
_OTHER_REST = re.compile(r"[^\s<>\"]+")
MAX_DELTA_SECONDS = 2**32 - 1  # delta-seconds (§20.19, §25.1)
# Parameters that must match when present in either URI (§19.1.4)
_STRICT_URI_PARAMS = ("user", "ttl", "method", "maddr", "transport")


@dataclass(frozen=True, slots=True)
class SipUri:
    """A SIP or SIPS URI (§19.1): `sip:user:password@host:port;params?headers`."""

    host: str
    user: str | None = None
    port: int | None = None
    scheme: str = "sip"
    password: str | None = None
    params: Params = field(default_factory=dict, hash=False)
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse a SIP or SIPS URI; raise `SipParseError` otherwise."""
        scheme, colon, rest = text.strip(" \t").partition(":")
        if not colon or scheme.lower() not in ("sip", "sips"):
            raise SipParseError(f"not a SIP URI: {text[:60]!r}")
        user = password = None
        if "@" in rest:
            userinfo, _, rest = rest.partition("@")
            user, has_password, pw = userinfo.partition(":")
            password = pw if has_password else None
            if not _USER.fullmatch(user) or (password and not _PASSWORD.fullmatch(password)):
                raise SipParseError(f"bad user part in {text[:60]!r}")
        rest, _, header_text = rest.partition("?")
        hostport, _, param_text = rest.partition(";")
        host, port = parse_hostport(hostport)
        return cls(
            host=host,
            user=user,
            port=port,
            scheme=scheme.lower(),
            password=password,
            params=parse_params(param_text),
            headers=_parse_uri_headers(header_text),
        )

    def __str__(self) -> str:
        userinfo = ""
        if self.user is not None:
            secret = "" if self.password is None else f":{self.password}"
            userinfo = f"{self.user}{secret}@"
        port = "" if self.port is None else f":{self.port}"
        headers = "&".join(f"{k}={v}" for k, v in self.headers)
        return f"{self.scheme}:{userinfo}{self.host}{port}{format_params(self.params)}" + (
            f"?{headers}" if headers else ""
        )

    @property
    def transport(self) -> str | None:
        """The `transport` parameter, lower-cased, if any (§19.1.1)."""
        value = self.params.get("transport")
        return value.lower() if value else None

    @property
    def loose_route(self) -> bool:
        """True when the URI carries `lr` (a loose router, §16.12, §19.1.1)."""
        return "lr" in self.params

    def address_of_record(self) -> SipUri:
        """The URI reduced to scheme, user and host, as a registrar keys its bindings (§10.3)."""
        return SipUri(host=self.host.lower(), user=self.user, port=self.port, scheme=self.scheme)

    def with_params(self, **params: str | None) -> SipUri:
        """A copy with parameters added or replaced."""
        return replace(self, params={**self.params, **params})

    def equivalent(self, other: object) -> bool:
        """URI comparison per §19.1.4 (not the dataclass equality, which compares the text)."""
        if not isinstance(other, SipUri):
            return False
        mine = (self.scheme, self.host.lower(), self.port)
        if mine != (other.scheme, other.host.lower(), other.port):
            return False
        if _decoded(self.user) != _decoded(other.user):
            return False
        if _decoded(self.password) != _decoded(other.password):
            return False
        return _params_equivalent(self.params, other.params) and _headers_equivalent(
            self.headers, other.headers
        )


@dataclass(frozen=True, slots=True)
class TelUri:
    """A tel URI (RFC 3966): `tel:+33-1-23-45-67-89;phone-context=...`."""

    number: str
    params: Params = field(default_factory=dict, hash=False)

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse a tel URI; raise `SipParseError` otherwise."""
        scheme, colon, rest = text.strip(" \t").partition(":")
        if not colon or scheme.lower() != "tel":
            raise SipParseError(f"not a tel URI: {text[:60]!r}")
        number, _, param_text = rest.partition(";")
        if not _TEL_NUMBER.fullmatch(number):
            raise SipParseError(f"bad telephone number in {text[:60]!r}")
        return cls(number=number, params=parse_params(param_text))

    def __str__(self) -> str:
        return f"tel:{self.number}{format_params(self.params)}"

    @property
    def digits(self) -> str:
        """The number without visual separators (RFC 3966 §5.1.1)."""
        return re.sub(r"[().\-]", "", self.number)

    def equivalent(self, other: object) -> bool:
        """Comparison per RFC 3966 §4: digits and parameters, separators ignored."""
        return (
            isinstance(other, TelUri)
            and self.digits.lower() == other.digits.lower()
            and {k: (v or "").lower() for k, v in self.params.items()}
            == {k: (v or "").lower() for k, v in other.params.items()}
        )


@dataclass(frozen=True, slots=True)
class OtherUri:
    """Any other absolute URI (a Contact may name `mailto:` or `http:`; §20.10)."""

    scheme: str
    rest: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.rest}"

    def equivalent(self, other: object) -> bool:
        """Plain text comparison, the scheme case-insensitively."""
        return (
            isinstance(other, OtherUri)
            and self.scheme.lower() == other.scheme.lower()
            and self.rest == other.rest
        )


Uri = SipUri | TelUri | OtherUri


def parse_uri(text: str) -> Uri:
    """Parse any absolute URI, with SIP, SIPS and tel understood (§19.1, RFC 3966)."""
    text = text.strip(" \t")
    scheme, colon, rest = text.partition(":")
    if not colon or not _SCHEME.fullmatch(scheme):
        raise SipParseError(f"not an absolute URI: {text[:60]!r}")
    lowered = scheme.lower()
    if lowered in ("sip", "sips"):
        return SipUri.parse(text)
    if lowered == "tel":
        return TelUri.parse(text)
    if not _OTHER_REST.fullmatch(rest):
        raise SipParseError(f"bad URI: {text[:60]!r}")
    return OtherUri(scheme=scheme, rest=rest)


@dataclass(frozen=True, slots=True)
class NameAddr:
    """A From, To, Contact, Route or Record-Route value: display name, URI and header params.

    Accepts both the name-addr and the addr-spec forms (§20.10); in the addr-spec form every
    `;param` after the URI belongs to the header, not to the URI. Always written as name-addr.
    """

    uri: Uri
    display_name: str | None = None
    params: Params = field(default_factory=dict, hash=False)

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse a name-addr or addr-spec with its header parameters."""
        text = text.strip(" \t")
        display, rest = _split_display_name(text)
        if rest.startswith("<"):
            end = rest.find(">")
            if end < 0:
                raise SipParseError(f"missing '>' in {text[:60]!r}")
            uri_text, after = rest[1:end], rest[end + 1 :].strip(" \t")
            if after and not after.startswith(";"):
                raise SipParseError(f"junk after '>' in {text[:60]!r}")
            param_text = after[1:]
        elif display is not None:
            raise SipParseError(f"display name without <URI> in {text[:60]!r}")
        else:
            uri_text, _, param_text = rest.partition(";")
        return cls(uri=parse_uri(uri_text), display_name=display, params=parse_params(param_text))

    def __str__(self) -> str:
        name = "" if self.display_name is None else f"{_format_display(self.display_name)} "
        return f"{name}<{self.uri}>{format_params(self.params)}"

    @property
    def tag(self) -> str | None:
        """The `tag` parameter (§19.3), or None."""
        return self.params.get("tag")

    @property
    def expires(self) -> int | None:
        """A Contact's `expires` parameter in seconds (§20.10), None when absent."""
        value = self.params.get("expires")
        if value is None:
            return None
        return parse_uint(value, "Contact expires", maximum=MAX_DELTA_SECONDS)

    def with_tag(self, tag: str) -> NameAddr:
        """A copy carrying `tag`."""
        return replace(self, params={**self.params, "tag": tag})

    def with_params(self, **params: str | None) -> NameAddr:
        """A copy with header parameters added or replaced."""
        return replace(self, params={**self.params, **params})


def _format_display(name: str) -> str:
    """Display names are written bare when they are tokens (§25.1 display-name), else quoted."""
    return name if all(is_token(word) for word in name.split(" ")) else quote(name)


def _split_display_name(text: str) -> tuple[str | None, str]:
    """(display name or None, the rest starting at '<' or the addr-spec)."""
    if text.startswith('"'):
        closing = _closing_quote(text)
        rest = text[closing + 1 :].lstrip(" \t")
        if not rest.startswith("<"):
            raise SipParseError(f"quoted display name without <URI> in {text[:60]!r}")
        return unquote(text[: closing + 1]), rest
    angle = text.find("<")
    if angle < 0:
        return None, text
    words = text[:angle].strip(" \t")
    if any(c in words for c in '"<>,;\r\n'):
        raise SipParseError(f"bad display name in {text[:60]!r}")
    return (words or None), text[angle:]


def _closing_quote(text: str) -> int:
    """Index of the quote closing the quoted string that starts `text`."""
    escaped = False
    for i in range(1, len(text)):
        if escaped:
            escaped = False
        elif text[i] == "\\":
            escaped = True
        elif text[i] == '"':
            return i
    raise SipParseError(f"unterminated display name in {text[:60]!r}")


def parse_hostport(text: str) -> tuple[str, int | None]:
    """`host[:port]` with IPv6 references (§25.1 hostport)."""
    if text.startswith("["):
        end = text.find("]")
        host, port_text = text[: end + 1], text[end + 1 :]
        if end < 0 or (port_text and not port_text.startswith(":")):
            raise SipParseError(f"bad IPv6 reference in {text[:60]!r}")
        port_text = port_text[1:]
        has_port = bool(text[end + 1 :])
    else:
        host, colon, port_text = text.partition(":")
        has_port = bool(colon)
    if not _HOST.fullmatch(host):
        raise SipParseError(f"bad host {host[:60]!r}")
    port = parse_uint(port_text, "port", maximum=65535) if has_port else None
    return host, port


def _parse_uri_headers(text: str) -> tuple[tuple[str, str], ...]:
    """`?name=value&name=value` URI headers (§19.1.1), kept as written."""
    if not text:
        return ()
    headers: list[tuple[str, str]] = []
    for piece in text.split("&"):
        name, eq, value = piece.partition("=")
        if not eq or not name or not _HEADER_PART.fullmatch(name + value):
            raise SipParseError(f"bad URI header {piece[:40]!r}")
        headers.append((name, value))
    return tuple(headers)


def _decoded(text: str | None) -> str | None:
    return None if text is None else percent_decode(text)


def _params_equivalent(mine: Params, theirs: Params) -> bool:
    for name in _STRICT_URI_PARAMS:
        if (name in mine) != (name in theirs):
            return False
    for name in mine.keys() & theirs.keys():
        if percent_decode(mine[name] or "").lower() != percent_decode(theirs[name] or "").lower():
            return False
    return True


def _headers_equivalent(
    mine: tuple[tuple[str, str], ...], theirs: tuple[tuple[str, str], ...]
) -> bool:
    def normal(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
        return {k.lower(): percent_decode(v) for k, v in headers}

    return normal(mine) == normal(theirs)


def split_name_addrs(text: str) -> list[NameAddr]:
    """Comma-separated name-addr values (Route, Record-Route, Contact) parsed in order."""
    return [NameAddr.parse(piece) for piece in split_outside_quotes(text, ",")]
