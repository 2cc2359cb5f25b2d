"""Agents' phones: the registrar service for their extensions, and the rule that an agent whose
phone is not registered cannot go Ready.

A phone registers as its agent's extension with digest authentication (RFC 3261 §10.3 step 3,
§22.4); the password is the extension's SIP password from the secrets (never the center file).
Refusals are logged with the user and source address, never with what was sent as credentials.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from acd.clock import Clock
from config.center import Center
from telephony.sip.builders import build_response
from telephony.sip.digest_server import DigestAuthenticator, PasswordStore
from telephony.sip.message import SipRequest, SipResponse
from telephony.sip.registrar import Binding, Registrar, RegistrarPolicy
from telephony.sip.uri import SipUri

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PhoneContact:
    """Where an agent's phone can be rung: its contact URI (the Request-URI), and the address its
    REGISTER came from, where requests are sent. Phones behind NAT, and some that write port 0
    in their Contact (pyVoIP 1.6.8), are only reachable there (as Kamailio's `fix_nated_contact`
    or Asterisk's `force_rport` do)."""

    uri: SipUri
    host: str
    port: int


class PhoneRegistry:
    """Registrations of agents' phones, by extension."""

    def __init__(
        self,
        center: Center,
        passwords: dict[str, str],
        clock: Clock,
        *,
        realm: str,
        nonce_secret: bytes,
        policy: RegistrarPolicy | None = None,
        desktop_only: bool = False,
        algorithms: tuple[str, ...] = ("SHA-256", "MD5"),
    ) -> None:
        self._extension_of = {agent_id: a.extension for agent_id, a in center.agents.items()}
        extensions = set(self._extension_of.values())
        known = {ext: pw for ext, pw in passwords.items() if ext in extensions}
        self.registrar = Registrar(clock, policy)
        self.authenticator = DigestAuthenticator(
            realm, nonce_secret, clock, PasswordStore(known), algorithms=algorithms
        )
        self.desktop_only = desktop_only
        self._aor_of: dict[str, str] = {}
        self._source_of: dict[str, tuple[str, int]] = {}

    def answer(self, request: SipRequest, source: tuple[str, int], to_tag: str) -> SipResponse:
        """The response to a REGISTER (§10.3): 401 until the digest checks out, 403 for another
        user's address-of-record, then the registrar's answer."""
        result = self.authenticator.verify(request)
        if not result.ok:
            if "authorization" in request.headers and not result.stale:
                log.warning(
                    "sip register refused",
                    user=result.username or "",
                    source=f"{source[0]}:{source[1]}",
                    reason=result.reason,
                )
            challenges = self.authenticator.challenges(stale=result.stale)
            extra = [("WWW-Authenticate", str(c)) for c in challenges]
            return build_response(request, 401, to_tag=to_tag, extra=extra)
        aor = request.to_addr.uri
        if not isinstance(aor, SipUri) or aor.user != result.username:
            log.warning("sip register refused", user=result.username, reason="not their AOR")
            return build_response(
                request, 403, "Forbidden (not your address-of-record)", to_tag=to_tag
            )
        outcome = self.registrar.register(request)
        if outcome.status == 200 and outcome.aor is not None and aor.user is not None:
            self._aor_of[aor.user] = outcome.aor
            self._source_of[aor.user] = source
            log.info("sip phone registered", extension=aor.user, source=f"{source[0]}:{source[1]}")
        return outcome.response(request, to_tag)

    def bindings(self, extension: str) -> list[Binding]:
        """The live registrations of an extension, best first."""
        aor = self._aor_of.get(extension)
        return [] if aor is None else self.registrar.lookup(aor)

    def contact(self, extension: str) -> PhoneContact | None:
        """Where to ring the extension's phone now, if it is registered."""
        source = self._source_of.get(extension)
        for binding in self.bindings(extension):
            uri = binding.contact.uri
            if isinstance(uri, SipUri) and source is not None:
                return PhoneContact(uri, *source)
        return None

    def is_registered(self, agent_id: str) -> bool:
        """True if the agent's phone has a live registration."""
        extension = self._extension_of.get(agent_id)
        return extension is not None and bool(self.bindings(extension))

    def ready_refusal(self, agent_id: str) -> str | None:
        """Why the agent may not go Ready (or log in) now, or None when they may: their phone must
        be registered unless the center runs desktop-only."""
        if self.desktop_only or self.is_registered(agent_id):
            return None
        extension = self._extension_of.get(agent_id, "?")
        return f"your phone (extension {extension}) is not registered"
