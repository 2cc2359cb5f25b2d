"""The server side of SIP digest authentication (RFC 3261 §22.4, RFC 7616 §3.3-§3.5, RFC 8760):
challenges with self-validating nonces that expire, and verification of Authorization headers.

A nonce is the time it was issued plus an HMAC of that time and the realm under a secret, so
any node holding the secret can check it without shared state. The time comes from the
injected clock; an old nonce with a correct response is answered as stale (§3.3), and so is a
nonce count that does not increase (replay), within a bounded memory of recent nonces.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Protocol

from acd.clock import Clock
from telephony.sip.digest import (
    DigestChallenge,
    DigestCredentials,
    compute_ha1,
    compute_response,
)
from telephony.sip.message import SipRequest
from telephony.sip.syntax import SipParseError
from telephony.sip.uri import SipUri, parse_uri

_TIME_BYTES = 8
_SALT_BYTES = 8  # phones challenged in the same second must not share a nonce (nc replay)
_MAC_BYTES = 16
_NC = re.compile(r"[0-9A-Fa-f]{8}")
_CLOCK_SKEW_S = 5.0  # nonces "from the future" by more than this are forged


class CredentialStore(Protocol):
    """Looks up a user's base HA1 (H(username:realm:password)) for an algorithm."""

    def ha1(self, username: str, realm: str, algorithm: str) -> str | None:
        """The HA1 for this user, or None when the user is unknown."""


class PasswordStore:
    """A `CredentialStore` over clear-text SIP passwords (what phones are provisioned with)."""

    def __init__(self, passwords: dict[str, str]) -> None:
        self._passwords = dict(passwords)

    def ha1(self, username: str, realm: str, algorithm: str) -> str | None:
        """HA1 computed from the stored password."""
        password = self._passwords.get(username)
        return None if password is None else compute_ha1(algorithm, username, realm, password)


@dataclass(frozen=True, slots=True)
class AuthResult:
    """The outcome of checking credentials: ok, stale (challenge again with stale=TRUE), or
    refused with a reason (for the log, never for the peer)."""

    ok: bool
    username: str | None = None
    stale: bool = False
    reason: str = ""


class DigestAuthenticator:
    """Issues digest challenges and verifies credentials for one realm (RFC 7616 §3.3, §3.5)."""

    def __init__(
        self,
        realm: str,
        secret: bytes,
        clock: Clock,
        credentials: CredentialStore,
        *,
        algorithms: Sequence[str] = ("SHA-256", "MD5"),
        nonce_lifetime_s: float = 300.0,
        max_tracked_nonces: int = 10_000,
        accept_rfc2069: bool = True,
    ) -> None:
        if not secret:
            raise ValueError("the nonce secret must not be empty")
        self.realm = realm
        self._secret = secret
        self._clock = clock
        self._credentials = credentials
        self.algorithms = tuple(algorithms)
        self._lifetime = nonce_lifetime_s
        self._max_tracked = max_tracked_nonces
        self._last_nc: OrderedDict[str, int] = OrderedDict()
        # Some phones (pyVoIP 1.6.8 among them) ignore the offered qop and answer in the RFC 2069
        # form; without nc there is no replay check beyond the nonce lifetime.
        self.accept_rfc2069 = accept_rfc2069

    @property
    def tracked_nonces(self) -> int:
        """How many nonces have their count remembered (bounded by `max_tracked_nonces`)."""
        return len(self._last_nc)

    def challenges(self, *, stale: bool = False) -> list[DigestChallenge]:
        """One challenge per algorithm, most preferred first (RFC 8760 §2.3), sharing a nonce."""
        nonce = self.new_nonce()
        return [
            DigestChallenge(realm=self.realm, nonce=nonce, algorithm=a, qop=("auth",), stale=stale)
            for a in self.algorithms
        ]

    def new_nonce(self) -> str:
        """A nonce carrying the clock's time, a random salt and their HMAC (the form RFC 7616
        §3.3 suggests). Without the salt, every phone challenged within the same second got the
        same nonce, and the second one to answer with nc=1 was refused as a replay."""
        issued = int(self._clock.now()).to_bytes(_TIME_BYTES, "big", signed=False)
        stamp = issued + secrets.token_bytes(_SALT_BYTES)
        return base64.urlsafe_b64encode(stamp + self._mac(stamp)).decode("ascii")

    def _mac(self, issued: bytes) -> bytes:
        return hmac.new(self._secret, issued + self.realm.encode(), sha256).digest()[:_MAC_BYTES]

    def _nonce_age(self, nonce: str) -> float | None:
        """Seconds since the nonce was issued, or None when it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(nonce.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return None
        stamp, mac = raw[: _TIME_BYTES + _SALT_BYTES], raw[_TIME_BYTES + _SALT_BYTES :]
        if len(raw) != len(stamp) + _MAC_BYTES or not hmac.compare_digest(mac, self._mac(stamp)):
            return None
        issued = stamp[:_TIME_BYTES]
        age = self._clock.now() - int.from_bytes(issued, "big")
        return None if age < -_CLOCK_SKEW_S else age

    def verify(self, request: SipRequest, *, header: str = "authorization") -> AuthResult:
        """Check the request's credentials for our realm (RFC 3261 §22.4; proxies pass
        header='proxy-authorization')."""
        for value in request.headers.get_all(header):
            try:
                credentials = DigestCredentials.parse(value)
            except SipParseError as error:
                return AuthResult(False, reason=f"malformed credentials: {error.reason}")
            if credentials.realm == self.realm:
                return self.check(request, credentials)
        return AuthResult(False, reason="no credentials for our realm")

    def check(self, request: SipRequest, credentials: DigestCredentials) -> AuthResult:
        """Check parsed credentials against the request (RFC 7616 §3.4, §3.5)."""
        refusal = self._refusal(request, credentials)
        if refusal:
            return AuthResult(False, credentials.username, reason=refusal)
        age = self._nonce_age(credentials.nonce)
        if age is None:
            return AuthResult(False, credentials.username, reason="not our nonce")
        ha1 = self._credentials.ha1(credentials.username, self.realm, credentials.algorithm)
        if ha1 is None:
            return AuthResult(False, credentials.username, reason="unknown user")
        expected = compute_response(
            credentials.algorithm,
            ha1,
            method=request.method,
            uri=credentials.uri,
            nonce=credentials.nonce,
            qop=credentials.qop,
            nc=credentials.nc,
            cnonce=credentials.cnonce,
            body=request.body,
        )
        if not hmac.compare_digest(expected.encode(), credentials.response.lower().encode()):
            return AuthResult(False, credentials.username, reason="wrong response")
        if age > self._lifetime:
            return AuthResult(False, credentials.username, stale=True, reason="nonce expired")
        if credentials.qop and not self._count_is_fresh(credentials.nonce, credentials.nc or ""):
            return AuthResult(False, credentials.username, stale=True, reason="nonce count reused")
        return AuthResult(True, credentials.username)

    def _refusal(self, request: SipRequest, credentials: DigestCredentials) -> str:
        """Why the credentials cannot be for this request, or '' when they may be."""
        if credentials.algorithm not in self.algorithms:
            return f"algorithm {credentials.algorithm} not offered"
        if credentials.qop is None and not self.accept_rfc2069:
            return "qop missing (RFC 2069 form refused)"
        if credentials.qop not in (None, "auth", "auth-int"):
            return f"qop {credentials.qop} unsupported"
        if not _same_uri(credentials.uri, request.uri):
            return "digest uri does not match the Request-URI"
        return ""

    def _count_is_fresh(self, nonce: str, nc_text: str) -> bool:
        """True when the nonce count is higher than any seen for this nonce (RFC 7616 §3.4)."""
        if not _NC.fullmatch(nc_text):
            return False
        nc = int(nc_text, 16)
        last = self._last_nc.pop(nonce, 0)
        self._last_nc[nonce] = max(nc, last)
        while len(self._last_nc) > self._max_tracked:
            self._last_nc.popitem(last=False)  # the oldest nonces are also the first to expire
        return nc > last


def _same_uri(digest_uri: str, request_uri: str) -> bool:
    """The digest uri names the Request-URI (RFC 2617 §3.2.2.5). URI parameters are not
    compared: phones add `;transport=` to one and not the other."""
    if digest_uri == request_uri:
        return True
    try:
        mine, theirs = parse_uri(digest_uri), parse_uri(request_uri)
    except SipParseError:
        return False
    if isinstance(mine, SipUri) and isinstance(theirs, SipUri):
        return mine.address_of_record() == theirs.address_of_record()
    return mine.equivalent(theirs)
