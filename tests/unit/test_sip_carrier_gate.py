"""Who may use the SIP carrier, as pure rules: the trunk gate on new INVITEs, the phone registry
for agents' REGISTERs (digest, the NAT-proof contact, the Ready rule), the secrets' sources and
the `[telephony]` config section."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import structlog
from pydantic import ValidationError

from config.center import AgentDef, Center
from config.telephony import MediaDef, SipDef, TelephonyDef, TrunkDef
from telephony.carrier.phones import PhoneRegistry
from telephony.carrier.secrets import SecretsError, load_sip_secrets, trunk_password
from telephony.carrier.stack import trunk_gate
from telephony.carrier.trunks import ADMIT, CHALLENGE, REFUSE, TrunkGate
from telephony.sip.builders import build_request, new_tag
from telephony.sip.digest import authorize, choose_challenge
from telephony.sip.digest_server import DigestAuthenticator, PasswordStore
from telephony.sip.headers import Via
from telephony.sip.message import SipRequest, SipResponse
from telephony.sip.uri import NameAddr, SipUri

pytestmark = pytest.mark.unit
NOW = 1_700_000_000.0
REALM = "hotline"


class ManualClock:
    def __init__(self, now: float = NOW) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    def call_later(self, delay, callback):
        raise AssertionError("not used")

    async def sleep(self, delay):
        raise AssertionError("not used")


def request(method: str, uri: str, *, user: str = "caller", to_user: str = "100") -> SipRequest:
    return build_request(
        method,
        uri,
        from_addr=NameAddr(SipUri("192.0.2.9", user)).with_tag(new_tag()),
        to_addr=NameAddr(SipUri("192.0.2.1", to_user)),
        call_id=f"{method}-1@192.0.2.9",
        cseq=1,
        via=Via("UDP", "192.0.2.9", 5060, {"branch": "z9hG4bK-1"}),
        contact=NameAddr(SipUri("192.0.2.9", user, 5062)),
        extra=[("Expires", "300")] if method == "REGISTER" else [],
    )


def with_credentials(req: SipRequest, challenge_response: SipResponse, user: str, pw: str) -> None:
    challenge = choose_challenge(challenge_response.headers.values("www-authenticate"))
    assert challenge is not None
    credentials = authorize(
        challenge, method=req.method, uri=req.uri, username=user, password=pw, cnonce="c0ffee"
    )
    req.headers.add("Authorization", str(credentials))


# --- the trunk gate -------------------------------------------------------------------------------


def gate(**trunks: TrunkDef) -> TrunkGate:
    store = PasswordStore({"peer-a": "peer-a-password"})
    return TrunkGate(trunks, DigestAuthenticator(REALM, b"k", ManualClock(), store))


def test_given_source_in_a_trunk_network_when_invite_then_admitted_with_that_trunk():
    g = gate(a=TrunkDef(addresses=["198.51.100.0/28"]), b=TrunkDef(addresses=["2001:db8::1"]))
    invite = request("INVITE", "sip:100@192.0.2.1")
    assert (g.admit(invite, "198.51.100.14").status, g.admit(invite, "198.51.100.14").trunk) == (
        ADMIT,
        "a",
    )
    assert g.admit(invite, "2001:db8::1").trunk == "b"


def test_given_source_outside_every_trunk_and_no_digest_trunk_when_invite_then_refused():
    g = gate(a=TrunkDef(addresses=["198.51.100.0/28"]))
    admission = g.admit(request("INVITE", "sip:100@192.0.2.1"), "198.51.100.16")
    assert (admission.status, admission.reason) == (REFUSE, "source address is not a trunk's")
    assert g.challenge_headers(stale=False) == []


def test_given_garbage_source_when_checked_then_no_trunk():
    assert gate(a=TrunkDef(addresses=["198.51.100.0/28"])).trunk_of("not-an-ip") is None


def test_given_digest_trunk_when_invite_without_credentials_then_challenged_then_admitted():
    g = gate(p=TrunkDef(username="peer-a"))
    invite = request("INVITE", "sip:100@192.0.2.1")
    assert g.admit(invite, "203.0.113.5").status == CHALLENGE
    challenge = SipResponse(401, "Unauthorized")
    for name, value in g.challenge_headers(stale=False):
        challenge.headers.add(name, value)
    with_credentials(invite, challenge, "peer-a", "peer-a-password")
    admission = g.admit(invite, "203.0.113.5")
    assert (admission.status, admission.trunk, admission.reason) == (ADMIT, "p", "digest")


def test_given_digest_trunk_when_wrong_password_then_refused_with_reason():
    g = gate(p=TrunkDef(username="peer-a"))
    invite = request("INVITE", "sip:100@192.0.2.1")
    challenge = SipResponse(401, "Unauthorized")
    for name, value in g.challenge_headers(stale=False):
        challenge.headers.add(name, value)
    with_credentials(invite, challenge, "peer-a", "guessed")
    admission = g.admit(invite, "203.0.113.5")
    assert (admission.status, admission.reason) == (REFUSE, "digest refused: wrong response")


def test_given_valid_digest_of_a_user_that_is_no_trunk_when_invite_then_refused():
    store = PasswordStore({"peer-a": "peer-a-password", "1001": "phone-password"})
    g = TrunkGate(
        {"p": TrunkDef(username="peer-a")}, DigestAuthenticator(REALM, b"k", ManualClock(), store)
    )
    invite = request("INVITE", "sip:100@192.0.2.1")
    challenge = SipResponse(401, "Unauthorized")
    for name, value in g.challenge_headers(stale=False):
        challenge.headers.add(name, value)
    with_credentials(invite, challenge, "1001", "phone-password")
    assert g.admit(invite, "203.0.113.5").status == REFUSE


# --- agents' phones -------------------------------------------------------------------------------


def center() -> Center:
    return Center(
        agents={
            "a1": AgentDef(name="Ann", extension="1001"),
            "a2": AgentDef(name="Bo", extension="1002"),
        }
    )


def registry(clock: ManualClock | None = None, **kw) -> PhoneRegistry:
    return PhoneRegistry(
        center(),
        {"1001": "phone-password", "9999": "not-an-agent"},
        clock or ManualClock(),
        realm=REALM,
        nonce_secret=b"k",
        **kw,
    )


def register(phones: PhoneRegistry, user: str, password: str) -> SipResponse:
    req = request("REGISTER", "sip:192.0.2.1", user=user, to_user=user)
    challenge = phones.answer(req, ("203.0.113.7", 40000), new_tag())
    assert challenge.status == 401
    with_credentials(req, challenge, user, password)
    return phones.answer(req, ("203.0.113.7", 40000), new_tag())


def test_given_right_password_when_phone_registers_then_ringable_at_its_source_address():
    phones = registry()
    assert phones.ready_refusal("a1") == "your phone (extension 1001) is not registered"
    assert register(phones, "1001", "phone-password").status == 200
    contact = phones.contact("1001")
    assert contact is not None
    assert str(contact.uri) == "sip:1001@192.0.2.9:5062"
    assert (contact.host, contact.port) == ("203.0.113.7", 40000)
    assert phones.is_registered("a1")
    assert phones.ready_refusal("a1") is None
    assert not phones.is_registered("a2")
    assert not phones.is_registered("nobody")


def test_given_wrong_password_when_phone_registers_then_401_and_a_log_line_without_secrets():
    phones = registry()
    with structlog.testing.capture_logs() as logs:
        assert register(phones, "1001", "guessed-pw").status == 401
    assert not phones.is_registered("a1")
    (line,) = logs
    assert (line["event"], line["user"], line["reason"]) == (
        "sip register refused",
        "1001",
        "wrong response",
    )
    assert line["source"] == "203.0.113.7:40000"
    assert "guessed-pw" not in repr(logs)


def test_given_extension_of_no_agent_when_registering_then_never_accepted():
    assert register(registry(), "9999", "not-an-agent").status == 401


def test_given_authenticated_user_when_registering_another_users_aor_then_403():
    phones = registry()
    req = request("REGISTER", "sip:192.0.2.1", user="1001", to_user="1002")
    challenge = phones.answer(req, ("203.0.113.7", 40000), new_tag())
    with_credentials(req, challenge, "1001", "phone-password")
    assert phones.answer(req, ("203.0.113.7", 40000), new_tag()).status == 403
    assert not phones.is_registered("a2")


def test_given_registration_expired_when_checked_then_not_registered():
    clock = ManualClock()
    phones = registry(clock)
    register(phones, "1001", "phone-password")
    clock.t += 301
    assert not phones.is_registered("a1")
    assert phones.contact("1001") is None


def test_given_desktop_only_when_phone_not_registered_then_ready_allowed():
    assert registry(desktop_only=True).ready_refusal("a1") is None


# --- secrets --------------------------------------------------------------------------------------


def secrets_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "sip-secrets.toml"
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_given_secrets_file_and_env_when_loaded_then_env_overrides_file(tmp_path):
    path = secrets_file(
        tmp_path,
        'nonce_secret = "from-the-file"\n[extensions]\n"1001" = "file-password"\n'
        '"1002" = "other-password"\n[trunks]\ncarrier-a = "trunk-file-pw"\n',
    )
    env = {
        "HOTLINE_SIP_SECRETS_FILE": str(path),
        "HOTLINE_SIP_PASSWORD_1001": "env-password",
        "HOTLINE_SIP_TRUNK_PASSWORD_CARRIER_A": "trunk-env-pw",
    }
    loaded = load_sip_secrets(None, env)
    assert loaded.extensions == {"1001": "env-password", "1002": "other-password"}
    assert loaded.nonce_secret == b"from-the-file"
    assert trunk_password(loaded, "carrier-a", env) == "trunk-env-pw"
    assert trunk_password(loaded, "carrier-a", {}) == "trunk-file-pw"
    assert trunk_password(loaded, "unknown", {}) is None


def test_given_no_file_when_loaded_then_random_nonce_secret_per_process():
    first, second = load_sip_secrets(None, {}), load_sip_secrets(None, {})
    assert first.extensions == {}
    assert len(first.nonce_secret) == 32
    assert first.nonce_secret != second.nonce_secret


def test_given_file_others_can_read_when_loaded_then_refused(tmp_path):
    path = secrets_file(tmp_path, '[extensions]\n"1001" = "file-password"\n', mode=0o644)
    with pytest.raises(SecretsError, match="chmod 600"):
        load_sip_secrets(path, {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[extensions\n", "invalid TOML"),
        ('extensions = "x"\n', r"\[extensions\] must be a table"),
        ('[extensions]\n"1001" = "short"\n', "extension 1001 is shorter than 8"),
    ],
)
def test_given_bad_secrets_file_when_loaded_then_error_names_the_problem(tmp_path, text, message):
    with pytest.raises(SecretsError, match=message) as error:
        load_sip_secrets(secrets_file(tmp_path, text), {})
    assert 'short"' not in str(error.value)


def test_given_missing_file_when_loaded_then_error_names_it(tmp_path):
    with pytest.raises(SecretsError, match="cannot read"):
        load_sip_secrets(tmp_path / "absent.toml", {})


# --- the [telephony] section ----------------------------------------------------------------------


def test_given_defaults_when_built_then_loopback_and_both_algorithms():
    telephony = TelephonyDef()
    assert telephony.sip.advertised_host == "127.0.0.1"
    assert telephony.sip.digest_algorithms == ["SHA-256", "MD5"]
    assert SipDef(public_host="203.0.113.1").advertised_host == "203.0.113.1"


def test_given_trunk_addresses_when_parsed_then_networks():
    trunk = TrunkDef(addresses=["198.51.100.7", "2001:db8::/64"])
    assert [str(n) for n in trunk.addresses] == ["198.51.100.7/32", "2001:db8::/64"]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: SipDef(bind_host="pbx.example"), "not an IP address"),
        (lambda: SipDef(digest_algorithms=["MD4"]), "not one of"),
        (lambda: MediaDef(rtp_first_port=20000, rtp_last_port=20001), "two RTP/RTCP pairs"),
        (lambda: TrunkDef(), "needs addresses, a username, or both"),
        (lambda: TrunkDef(addresses=["300.1.1.1"]), "not an address or network"),
        (lambda: TrunkDef(username="has space"), "a trunk username is"),
        (lambda: TelephonyDef.model_validate({"sip": {"bind_prot": 5060}}), "Extra inputs"),
    ],
)
def test_given_bad_telephony_values_when_validated_then_clear_errors(build, message):
    with pytest.raises(ValidationError, match=message):
        build()


def test_given_trunk_with_username_but_no_password_when_stack_built_then_secrets_error():
    telephony = TelephonyDef(trunks={"carrier-a": TrunkDef(username="carrier-a")})
    secrets = load_sip_secrets(None, {})
    with pytest.raises(SecretsError, match="trunk carrier-a has a username but no password"):
        trunk_gate(telephony, secrets, ManualClock(), {})
    env = {"HOTLINE_SIP_TRUNK_PASSWORD_CARRIER_A": "trunk-env-pw"}
    assert trunk_gate(telephony, secrets, ManualClock(), env).challenge_headers(stale=False)
