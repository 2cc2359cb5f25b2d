"""HTTP digest authentication as SIP uses it (RFC 3261 §22.4, RFC 7616, RFC 8760): challenge and
credential header values, the response computation, and the client side (answering a
challenge, as our trunks must). The server side, with nonces, is in `digest_server`.

Algorithms: MD5, SHA-256 and SHA-512-256, each with its `-sess` variant; qop `auth` and
`auth-int`, and no qop for RFC 2069 peers on the client side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

from telephony.sip.syntax import SipParseError, is_token, quote, split_outside_quotes, unquote

_HASHES: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda data: hashlib.md5(data, usedforsecurity=False).hexdigest(),
    "SHA-256": lambda data: hashlib.sha256(data).hexdigest(),
    "SHA-512-256": lambda data: hashlib.new("sha512_256", data).hexdigest(),
}
ALGORITHMS = tuple(_HASHES) + tuple(f"{name}-sess" for name in _HASHES)


def _hash(algorithm: str, text: str | bytes) -> str:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return _HASHES[algorithm.upper().removesuffix("-SESS")](data)


def canonical_algorithm(name: str) -> str:
    """The algorithm as we spell it (`sha-256` -> `SHA-256`); `SipParseError` if unknown."""
    for known in ALGORITHMS:
        if known.upper() == name.upper():
            return known
    raise SipParseError(f"unknown digest algorithm {name[:30]!r}")


def parse_auth_params(text: str) -> dict[str, str]:
    """`Digest a=b, c="d"` as {'a': 'b', 'c': 'd'} (RFC 7616 §3.3, §3.4); names lower-cased."""
    scheme, _, rest = text.strip(" \t").partition(" ")
    if scheme.lower() != "digest":
        raise SipParseError(f"not a Digest value: {scheme[:20]!r}")
    params: dict[str, str] = {}
    for piece in split_outside_quotes(rest, ","):
        name, eq, value = piece.partition("=")
        name, value = name.strip(" \t").lower(), value.strip(" \t")
        if not eq or not is_token(name) or not value:
            raise SipParseError(f"bad digest parameter {piece[:40]!r}")
        if name in params:
            raise SipParseError(f"digest parameter {name!r} given twice")
        params[name] = unquote(value)
    return params


@dataclass(frozen=True, slots=True)
class DigestChallenge:
    """A WWW-Authenticate / Proxy-Authenticate value (RFC 7616 §3.3)."""

    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ("auth",)
    opaque: str | None = None
    stale: bool = False

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse a challenge; `SipParseError` when malformed."""
        params = parse_auth_params(text)
        if "realm" not in params or "nonce" not in params:
            raise SipParseError("digest challenge without realm or nonce")
        qop = tuple(q.strip(" \t") for q in params.get("qop", "").split(",") if q.strip(" \t"))
        return cls(
            realm=params["realm"],
            nonce=params["nonce"],
            algorithm=canonical_algorithm(params.get("algorithm", "MD5")),
            qop=qop,
            opaque=params.get("opaque"),
            stale=params.get("stale", "").lower() == "true",
        )

    def __str__(self) -> str:
        parts = [f"realm={quote(self.realm)}", f"nonce={quote(self.nonce)}"]
        parts.append(f"algorithm={self.algorithm}")
        if self.qop:
            parts.append(f"qop={quote(','.join(self.qop))}")
        if self.opaque is not None:
            parts.append(f"opaque={quote(self.opaque)}")
        if self.stale:
            parts.append("stale=TRUE")
        return "Digest " + ", ".join(parts)


@dataclass(frozen=True, slots=True)
class DigestCredentials:
    """An Authorization / Proxy-Authorization value (RFC 7616 §3.4)."""

    username: str
    realm: str
    nonce: str
    uri: str
    response: str
    algorithm: str = "MD5"
    cnonce: str | None = None
    nc: str | None = None
    qop: str | None = None
    opaque: str | None = None

    @classmethod
    def parse(cls, text: str) -> Self:
        """Parse credentials; `SipParseError` when malformed."""
        params = parse_auth_params(text)
        missing = {"username", "realm", "nonce", "uri", "response"} - params.keys()
        if missing:
            raise SipParseError(f"digest credentials without {', '.join(sorted(missing))}")
        qop = params.get("qop")
        if qop is not None and ("cnonce" not in params or "nc" not in params):
            raise SipParseError("digest qop without cnonce and nc")
        return cls(
            username=params["username"],
            realm=params["realm"],
            nonce=params["nonce"],
            uri=params["uri"],
            response=params["response"],
            algorithm=canonical_algorithm(params.get("algorithm", "MD5")),
            cnonce=params.get("cnonce"),
            nc=params.get("nc"),
            qop=qop,
            opaque=params.get("opaque"),
        )

    def __str__(self) -> str:
        parts = [
            f"username={quote(self.username)}",
            f"realm={quote(self.realm)}",
            f"nonce={quote(self.nonce)}",
            f"uri={quote(self.uri)}",
            f"response={quote(self.response)}",
            f"algorithm={self.algorithm}",
        ]
        if self.qop is not None:
            parts += [f"cnonce={quote(self.cnonce or '')}", f"qop={self.qop}", f"nc={self.nc}"]
        if self.opaque is not None:
            parts.append(f"opaque={quote(self.opaque)}")
        return "Digest " + ", ".join(parts)


def compute_ha1(algorithm: str, username: str, realm: str, password: str) -> str:
    """H(username:realm:password) (RFC 7616 §3.4.2), before any `-sess` step."""
    return _hash(algorithm, f"{username}:{realm}:{password}")


def compute_response(
    algorithm: str,
    ha1: str,
    *,
    method: str,
    uri: str,
    nonce: str,
    qop: str | None = None,
    nc: str | None = None,
    cnonce: str | None = None,
    body: bytes = b"",
) -> str:
    """The `response` value from a base HA1 (RFC 7616 §3.4.1-§3.4.3; RFC 2069 form without qop)."""
    if algorithm.upper().endswith("-SESS"):
        ha1 = _hash(algorithm, f"{ha1}:{nonce}:{cnonce or ''}")
    a2 = f"{method}:{uri}"
    if qop == "auth-int":
        a2 += ":" + _hash(algorithm, body)
    ha2 = _hash(algorithm, a2)
    if qop is None:
        return _hash(algorithm, f"{ha1}:{nonce}:{ha2}")
    return _hash(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


def authorize(
    challenge: DigestChallenge,
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    cnonce: str,
    nc: int = 1,
    body: bytes = b"",
) -> DigestCredentials:
    """Answer a challenge (client side, RFC 7616 §3.4): qop `auth` preferred, `auth-int` when it
    is the only one offered, no qop when the challenge offers none."""
    use_qop = _client_qop(challenge.qop)
    nc_text = f"{nc:08x}" if use_qop else None
    ha1 = compute_ha1(challenge.algorithm, username, challenge.realm, password)
    response = compute_response(
        challenge.algorithm,
        ha1,
        method=method,
        uri=uri,
        nonce=challenge.nonce,
        qop=use_qop,
        nc=nc_text,
        cnonce=cnonce if use_qop else None,
        body=body,
    )
    return DigestCredentials(
        username=username,
        realm=challenge.realm,
        nonce=challenge.nonce,
        uri=uri,
        response=response,
        algorithm=challenge.algorithm,
        cnonce=cnonce if use_qop else None,
        nc=nc_text,
        qop=use_qop,
        opaque=challenge.opaque,
    )


def _client_qop(offered: tuple[str, ...]) -> str | None:
    if not offered:
        return None
    for qop in ("auth", "auth-int"):
        if qop in offered:
            return qop
    raise ValueError(f"no supported qop in {offered}")


def choose_challenge(values: list[str]) -> DigestChallenge | None:
    """The first challenge we can answer, in the server's order of preference (RFC 8760 §2.4);
    unreadable or unsupported ones are skipped."""
    for value in values:
        try:
            challenge = DigestChallenge.parse(value)
            _client_qop(challenge.qop)
        except (SipParseError, ValueError):
            continue
        return challenge
    return None
