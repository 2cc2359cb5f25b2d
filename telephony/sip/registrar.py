"""The registrar for agents' phones (RFC 3261 §10.3): bindings from an address-of-record to
several contacts, with expiries on an injected clock.

`Registrar.register` processes an (already authenticated) REGISTER as §10.3 steps 5-8 describe:
all-or-nothing updates, `Contact: *` with `Expires: 0` removing everything, the per-contact
`expires` parameter over the Expires header, 423 Interval Too Brief under the minimum, and the
Call-ID/CSeq check that refuses out-of-order requests. Authentication (step 3, see
`digest_server`) and the decision whether that user may register that AOR (step 4) are the
caller's.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass, field, replace

from acd.clock import Clock
from telephony.sip.builders import build_response
from telephony.sip.digest_server import DigestAuthenticator
from telephony.sip.message import SipRequest, SipResponse
from telephony.sip.syntax import SipParseError
from telephony.sip.uri import NameAddr, SipUri


@dataclass(frozen=True, slots=True)
class RegistrarPolicy:
    """Expiry limits (§10.3 step 7) and the number of contacts one AOR may hold."""

    default_expires: int = 3600
    min_expires: int = 60
    max_expires: int = 7200
    max_contacts: int = 10


@dataclass(frozen=True, slots=True)
class Binding:
    """One contact bound to an address-of-record, until `expires_at` (epoch seconds)."""

    contact: NameAddr
    expires_at: float
    call_id: str
    cseq: int

    @property
    def q(self) -> float:
        """The contact's preference (§20.10 `q`), 1.0 when absent or unreadable."""
        try:
            return float(self.contact.params.get("q") or 1.0)
        except ValueError:
            return 1.0

    def remaining(self, now: float) -> int:
        """Whole seconds left, never negative."""
        return max(0, int(self.expires_at - now))


@dataclass(frozen=True, slots=True)
class RegisterOutcome:
    """What the registrar decided: a status and the header fields for the response."""

    status: int
    reason: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    aor: str | None = None

    def response(self, request: SipRequest, to_tag: str) -> SipResponse:
        """The response to the REGISTER (§10.3 step 8)."""
        return build_response(request, self.status, self.reason, to_tag=to_tag, extra=self.headers)


class _Refused(Exception):
    """A refusal of the whole REGISTER, carrying its outcome."""

    def __init__(
        self, status: int, reason: str, headers: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(reason)
        self.outcome = RegisterOutcome(status, reason, headers or [])


class Registrar:
    """Bindings for the addresses-of-record of one or more domains (§10.3)."""

    def __init__(
        self,
        clock: Clock,
        policy: RegistrarPolicy | None = None,
        *,
        domains: frozenset[str] | None = None,
    ) -> None:
        self._clock = clock
        self.policy = policy or RegistrarPolicy()
        self._domains = None if domains is None else frozenset(d.lower() for d in domains)
        self._bindings: dict[str, list[Binding]] = {}

    def register(self, request: SipRequest) -> RegisterOutcome:
        """Process a REGISTER (§10.3 steps 1, 5-8)."""
        now = self._clock.now()
        try:
            aor = self._address_of_record(request)
            current = self._live(aor, now)
            updated = self._apply(request, current, now)
        except SipParseError as error:
            return RegisterOutcome(400, f"Bad Request ({error.reason[:60]})")
        except _Refused as refused:
            return refused.outcome
        if updated:
            self._bindings[aor] = updated
        else:
            self._bindings.pop(aor, None)
        return RegisterOutcome(200, None, self._listing(updated, now), aor)

    def lookup(self, aor: str) -> list[Binding]:
        """The live bindings of an AOR, best `q` first, then the most recently refreshed."""
        try:
            key = _aor_key(SipUri.parse(aor))
        except SipParseError:
            return []
        live = self._live(key, self._clock.now())
        return sorted(live, key=lambda b: (-b.q, -b.expires_at))

    def expire(self) -> int:
        """Drop every expired binding; returns how many went."""
        now, dropped = self._clock.now(), 0
        for aor in list(self._bindings):
            live = self._live(aor, now)
            dropped += len(self._bindings[aor]) - len(live)
            if live:
                self._bindings[aor] = live
            else:
                del self._bindings[aor]
        return dropped

    def __len__(self) -> int:
        return sum(len(bindings) for bindings in self._bindings.values())

    def _live(self, aor: str, now: float) -> list[Binding]:
        return [b for b in self._bindings.get(aor, []) if b.expires_at > now]

    def _address_of_record(self, request: SipRequest) -> str:
        """The AOR from To (§10.3 step 5), checked against our domains (step 1)."""
        uri = request.to_addr.uri
        if not isinstance(uri, SipUri):
            raise _Refused(404, "Not Found (address-of-record is not a SIP URI)")
        if self._domains is not None and uri.host.lower() not in self._domains:
            raise _Refused(404, "Not Found (domain not served here)")
        return _aor_key(uri)

    def _apply(self, request: SipRequest, current: list[Binding], now: float) -> list[Binding]:
        """The bindings after the request (step 6-7), or `_Refused` leaving them untouched."""
        call_id, cseq = request.call_id, request.cseq.number
        if request.contact_is_wildcard:
            if request.expires != 0:
                raise _Refused(400, "Bad Request (Contact * needs Expires: 0)")
            for binding in current:
                _check_order(binding, call_id, cseq)
            return []
        updated = list(current)
        for contact, expires in self._requested(request):
            match = next((b for b in updated if b.contact.uri.equivalent(contact.uri)), None)
            if match is not None:
                _check_order(match, call_id, cseq)
                updated.remove(match)
            if expires > 0:
                kept = replace(
                    contact, params={k: v for k, v in contact.params.items() if k != "expires"}
                )
                updated.append(Binding(kept, now + expires, call_id, cseq))
        if len(updated) > self.policy.max_contacts:
            raise _Refused(403, "Forbidden (too many contacts for this address)")
        return updated

    def _requested(self, request: SipRequest) -> list[tuple[NameAddr, int]]:
        """Each Contact with its granted expiry; 423 when one is too brief (step 7)."""
        header = request.expires
        granted: list[tuple[NameAddr, int]] = []
        for contact in request.contacts:
            asked = header if contact.expires is None else contact.expires
            expires = self.policy.default_expires if asked is None else asked
            if 0 < expires < self.policy.min_expires:
                min_expires = [("Min-Expires", str(self.policy.min_expires))]
                raise _Refused(423, "Interval Too Brief", min_expires)
            granted.append((contact, min(expires, self.policy.max_expires)))
        return granted

    def _listing(self, bindings: list[Binding], now: float) -> list[tuple[str, str]]:
        """Contact lines with their remaining expiry, and the Date (§10.3 step 8)."""
        lines = [
            ("Contact", str(b.contact.with_params(expires=str(b.remaining(now))))) for b in bindings
        ]
        return [*lines, ("Date", email.utils.formatdate(now, usegmt=True))]


def _check_order(binding: Binding, call_id: str, cseq: int) -> None:
    """Same Call-ID needs a higher CSeq, or the update is aborted (§10.3 step 7)."""
    if binding.call_id == call_id and cseq <= binding.cseq:
        raise _Refused(500, "Server Internal Error (out-of-order REGISTER)")


def _aor_key(uri: SipUri) -> str:
    return str(uri.address_of_record())


def answer_register(
    request: SipRequest, registrar: Registrar, authenticator: DigestAuthenticator, to_tag: str
) -> SipResponse:
    """The response to a REGISTER (§10.3 steps 3-8): 401 with challenges (stale when the
    nonce was old) until the credentials check out, 403 when the authenticated user is not the
    AOR's user, else what the registrar decides. `SipParseError` on an unreadable To."""
    result = authenticator.verify(request)
    if not result.ok:
        challenges = authenticator.challenges(stale=result.stale)
        extra = [("WWW-Authenticate", str(c)) for c in challenges]
        return build_response(request, 401, to_tag=to_tag, extra=extra)
    aor = request.to_addr.uri
    if not isinstance(aor, SipUri) or aor.user != result.username:
        return build_response(request, 403, "Forbidden (not your address-of-record)", to_tag=to_tag)
    return registrar.register(request).response(request, to_tag)
