"""Who may send us calls: the inbound-trunk check every new INVITE passes first.

A call is admitted when its source address lies in a configured trunk's networks, or when it
carries digest credentials of a trunk's username (RFC 3261 §22.2: a UAS challenges with 401).
An INVITE without credentials from elsewhere is challenged only if some trunk authenticates by
digest at all; otherwise, and whenever credentials fail, it gets 403. Pure: the caller logs and
answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address

from config.telephony import TrunkDef
from telephony.sip.digest_server import DigestAuthenticator
from telephony.sip.message import SipRequest

ADMIT, CHALLENGE, REFUSE = 0, 401, 403


@dataclass(frozen=True, slots=True)
class Admission:
    """The decision on one INVITE: `status` ADMIT, CHALLENGE (stale or not) or REFUSE."""

    status: int
    trunk: str = ""
    reason: str = ""
    stale: bool = False

    @property
    def admitted(self) -> bool:
        """True when the call may go on."""
        return self.status == ADMIT


class TrunkGate:
    """Applies the trunks of the center file to new INVITEs."""

    def __init__(
        self, trunks: dict[str, TrunkDef], authenticator: DigestAuthenticator | None = None
    ) -> None:
        self._trunks = trunks
        self._users = {t.username: name for name, t in trunks.items() if t.username is not None}
        self._authenticator = authenticator if self._users else None

    def admit(self, request: SipRequest, source_host: str) -> Admission:
        """Decide on a new INVITE that came from `source_host`."""
        trunk = self.trunk_of(source_host)
        if trunk is not None:
            return Admission(ADMIT, trunk, "source address")
        if self._authenticator is None:
            return Admission(REFUSE, reason="source address is not a trunk's")
        if "authorization" not in request.headers:
            return Admission(CHALLENGE, reason="no credentials")
        result = self._authenticator.verify(request)
        if result.stale:
            return Admission(CHALLENGE, reason=result.reason, stale=True)
        if not result.ok or result.username not in self._users:
            reason = result.reason or "not a trunk's username"
            return Admission(REFUSE, reason=f"digest refused: {reason}")
        return Admission(ADMIT, self._users[result.username], "digest")

    def trunk_of(self, source_host: str) -> str | None:
        """The trunk whose networks hold `source_host`, if any."""
        try:
            address = ip_address(source_host)
        except ValueError:
            return None
        for name, trunk in self._trunks.items():
            if any(address in network for network in trunk.addresses):
                return name
        return None

    def challenge_headers(self, *, stale: bool) -> list[tuple[str, str]]:
        """WWW-Authenticate lines for a 401 (§22.2)."""
        if self._authenticator is None:
            return []
        return [("WWW-Authenticate", str(c)) for c in self._authenticator.challenges(stale=stale)]
