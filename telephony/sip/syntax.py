"""Low-level SIP grammar shared by the URI, header and message parsers (RFC 3261 §25.1).

Every parser here raises `SipParseError` and nothing else, whatever the input: the message
parser promises that to its callers, so the small pieces keep the same promise.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from telephony.sip.message import SipMessage

# token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")  (§25.1)
_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
_DIGITS = re.compile(r"[0-9]+")
_PARAM_NAME = re.compile(r"[A-Za-z0-9\-.!%*_+`'~\[\]/:&$]+")
# A parameter value: a token-ish run (hosts, IPv6 references and URI param chars included)
# or a quoted string.
_PARAM_VALUE = re.compile(r"[A-Za-z0-9\-.!%*_+`'~\[\]/:&$@=?#]+|\"(?:[^\"\\\r\n]|\\[^\r\n])*\"")

Params = dict[str, str | None]


class SipParseError(ValueError):
    """Input that is not valid SIP (RFC 3261 §25), with the status a server would answer.

    `partial` holds what was read of the message before the fault (start line and headers),
    so a server can still build an error response to a request (§21.4.1, 400 Bad Request).
    """

    def __init__(
        self, reason: str, *, status: int = 400, partial: SipMessage | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.partial = partial


def is_token(text: str) -> bool:
    """True when `text` is a SIP token (§25.1)."""
    return _TOKEN.fullmatch(text) is not None


def parse_uint(text: str, what: str, *, maximum: int) -> int:
    """A decimal number of ASCII digits, at most `maximum` (int() would accept '١', '1_0', ' 1')."""
    text = text.strip(" \t")
    if not _DIGITS.fullmatch(text) or len(text) > 12:
        raise SipParseError(f"{what} is not a number: {text[:40]!r}")
    value = int(text)
    if value > maximum:
        raise SipParseError(f"{what} is too large: {value}")
    return value


def split_outside_quotes(text: str, sep: str) -> list[str]:
    """Split on `sep` where it is outside double quotes and angle brackets, stripping each piece.

    Used for comma-separated header values (§7.3.1) and for `;` parameters.
    """
    pieces: list[str] = []
    start = 0
    in_quotes = in_angle = escaped = False
    for i, char in enumerate(text):
        if escaped:
            escaped = False
        elif in_quotes:
            escaped = char == "\\"
            in_quotes = char != '"'
        elif char == '"':
            in_quotes = True
        elif char == "<":
            in_angle = True
        elif char == ">":
            in_angle = False
        elif char == sep and not in_angle:
            pieces.append(text[start:i].strip(" \t"))
            start = i + 1
    if in_quotes:
        raise SipParseError(f"unterminated quoted string in {text[:60]!r}")
    pieces.append(text[start:].strip(" \t"))
    return pieces


def unquote(text: str) -> str:
    """The content of a quoted-string (§25.1), escapes resolved; other text is returned as is."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        return text
    out: list[str] = []
    chars = iter(text[1:-1])
    for char in chars:
        out.append(next(chars, "") if char == "\\" else char)
    return "".join(out)


def quote(text: str) -> str:
    """`text` as a quoted-string (§25.1)."""
    if "\r" in text or "\n" in text:
        raise ValueError("a quoted string cannot hold CR or LF")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_params(text: str) -> Params:
    """`;name[=value]` parameters (§25.1 generic-param); names lower-cased, values kept as written.

    `text` is everything after the first `;`, or empty.
    """
    params: Params = {}
    if not text.strip(" \t"):
        return params
    for piece in split_outside_quotes(text, ";"):
        name, eq, value = piece.partition("=")
        name, value = name.strip(" \t"), value.strip(" \t")
        if not _PARAM_NAME.fullmatch(name):
            raise SipParseError(f"bad parameter name {name[:40]!r}")
        if eq and not _PARAM_VALUE.fullmatch(value):
            raise SipParseError(f"bad value for parameter {name[:40]!r}")
        params[name.lower()] = value if eq else None
    return params


def format_params(params: Params) -> str:
    """Parameters as `;name=value;flag` (the inverse of `parse_params`)."""
    return "".join(f";{k}" if v is None else f";{k}={v}" for k, v in params.items())
