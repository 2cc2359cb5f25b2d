"""The registrar (RFC 3261 §10.3): several contacts per address-of-record, expiries on a manual
clock, refresh and removal, `Contact: *`, 423 Interval Too Brief, Call-ID/CSeq ordering."""

from __future__ import annotations

from pathlib import Path

import pytest

from telephony.sip.digest import DigestChallenge, authorize, choose_challenge
from telephony.sip.digest_server import DigestAuthenticator, PasswordStore
from telephony.sip.message import SipRequest, SipResponse
from telephony.sip.registrar import Registrar, RegistrarPolicy, answer_register
from telephony.sip.uri import SipUri

pytestmark = pytest.mark.unit

DATA = Path(__file__).parents[1] / "data" / "sip"
NOW = 1_700_000_000.0
AOR = "sip:1001@hotline.test"


class ManualClock:
    def __init__(self, now: float = NOW) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    def call_later(self, delay, callback):
        raise AssertionError("not used")

    async def sleep(self, delay):
        raise AssertionError("not used")


def register(
    *contacts: str, expires: int | str | None = None, call_id: str = "phone-a", cseq: int = 1
) -> SipRequest:
    lines = [
        "REGISTER sip:hotline.test SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKr;rport",
        "From: <sip:1001@hotline.test>;tag=a",
        "To: <sip:1001@hotline.test>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
        *(f"Contact: {c}" for c in contacts),
    ]
    if expires is not None:
        lines.append(f"Expires: {expires}")
    return SipRequest.parse(("\r\n".join([*lines, "Content-Length: 0"]) + "\r\n\r\n").encode())


def contact_uris(registrar: Registrar, aor: str = AOR) -> list[str]:
    return [str(b.contact.uri) for b in registrar.lookup(aor)]


def test_given_captured_pyvoip_register_when_processed_then_bound_with_its_expires():
    registrar = Registrar(ManualClock())
    request = SipRequest.parse((DATA / "pyvoip-register-auth.sip").read_bytes())
    outcome = registrar.register(request)
    assert (outcome.status, outcome.aor) == (200, "sip:1001@127.0.0.1")
    response = SipResponse.parse(bytes(outcome.response(request, to_tag="reg")))
    assert response.status == 200
    assert response.contacts[0].params["expires"] == "120"
    assert response.contacts[0].params["+sip.instance"].startswith('"<urn:uuid:')
    assert response.headers.get("date") == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert registrar.lookup("sip:1001@127.0.0.1")[0].remaining(NOW) == 120


def test_given_captured_pyvoip_unregister_when_processed_then_binding_removed():
    registrar = Registrar(ManualClock())
    registrar.register(SipRequest.parse((DATA / "pyvoip-register-auth.sip").read_bytes()))
    unregister = SipRequest.parse((DATA / "pyvoip-unregister-auth.sip").read_bytes())
    assert registrar.register(unregister).status == 200
    assert registrar.lookup("sip:1001@127.0.0.1") == []


def test_given_several_contacts_when_registered_then_all_bound_best_q_first():
    registrar = Registrar(ManualClock())
    request = SipRequest.parse((DATA / "register-ipv6-contacts.sip").read_bytes())
    assert registrar.register(request).status == 200
    bindings = registrar.lookup("sips:1002@hotline.example.net")
    assert [b.q for b in bindings] == [1.0, 0.9, 0.5]
    assert [b.remaining(NOW) for b in bindings] == [1800, 600, 1800]  # param beats header


def test_given_two_phones_when_registering_one_aor_then_both_contacts_kept():
    registrar = Registrar(ManualClock())
    registrar.register(register("<sip:1001@192.0.2.5>", call_id="desk"))
    registrar.register(register("<sip:1001@192.0.2.6>", call_id="softphone"))
    assert sorted(contact_uris(registrar)) == ["sip:1001@192.0.2.5", "sip:1001@192.0.2.6"]


def test_given_refresh_with_higher_cseq_when_processed_then_expiry_extended_not_duplicated():
    clock = ManualClock()
    registrar = Registrar(clock)
    registrar.register(register("<sip:1001@192.0.2.5>", expires=300, cseq=1))
    clock.t += 200
    registrar.register(register("<sip:1001@192.0.2.5>", expires=300, cseq=2))
    bindings = registrar.lookup(AOR)
    assert len(bindings) == 1
    assert bindings[0].remaining(clock.t) == 300


@pytest.mark.parametrize("cseq", [1, 4])
def test_given_same_call_id_and_no_higher_cseq_when_processed_then_500_and_unchanged(cseq):
    registrar = Registrar(ManualClock())
    registrar.register(register("<sip:1001@192.0.2.5>", expires=300, cseq=4))
    outcome = registrar.register(register("<sip:1001@192.0.2.5>", expires=0, cseq=cseq))
    assert outcome.status == 500
    assert contact_uris(registrar) == ["sip:1001@192.0.2.5"]


def test_given_other_call_id_with_lower_cseq_when_processed_then_accepted():
    registrar = Registrar(ManualClock())
    registrar.register(register("<sip:1001@192.0.2.5>", cseq=9, call_id="old-boot"))
    outcome = registrar.register(register("<sip:1001@192.0.2.5>", cseq=1, call_id="new-boot"))
    assert outcome.status == 200
    assert registrar.lookup(AOR)[0].call_id == "new-boot"


def test_given_equivalent_contact_uri_when_refreshed_then_same_binding():
    registrar = Registrar(ManualClock())
    registrar.register(register("<sip:1001@PHONE.example;transport=UDP>", cseq=1))
    registrar.register(register("<sip:1001@phone.example;transport=udp>", cseq=2))
    assert len(registrar.lookup(AOR)) == 1


def test_given_expires_zero_for_one_contact_when_processed_then_only_it_is_removed():
    registrar = Registrar(ManualClock())
    registrar.register(register("<sip:1001@192.0.2.5>", "<sip:1001@192.0.2.6>", cseq=1))
    registrar.register(register("<sip:1001@192.0.2.5>;expires=0", cseq=2))
    assert contact_uris(registrar) == ["sip:1001@192.0.2.6"]


def test_given_star_with_expires_zero_when_processed_then_all_bindings_removed():
    registrar = Registrar(ManualClock())
    registrar.register(register("<sip:1001@192.0.2.5>", call_id="a"))
    registrar.register(register("<sip:1001@192.0.2.6>", call_id="b"))
    outcome = registrar.register(register("*", expires=0, call_id="c"))
    assert outcome.status == 200
    assert registrar.lookup(AOR) == []
    assert len(registrar) == 0


@pytest.mark.parametrize(
    ("contacts", "expires"),
    [(("*",), None), (("*",), 60), (("*", "<sip:1001@192.0.2.5>"), 0)],
    ids=["no expires", "expires 60", "star with another contact"],
)
def test_given_star_misused_when_processed_then_400_and_unchanged(contacts, expires):
    registrar = Registrar(ManualClock())
    registrar.register(register("<sip:1001@192.0.2.5>", call_id="a"))
    assert registrar.register(register(*contacts, expires=expires, call_id="b")).status == 400
    assert len(registrar) == 1


def test_given_too_brief_expiry_when_processed_then_423_with_min_expires_and_nothing_bound():
    registrar = Registrar(ManualClock(), RegistrarPolicy(min_expires=60))
    request = register("<sip:1001@192.0.2.5>", "<sip:1001@192.0.2.6>;expires=30")
    outcome = registrar.register(request)
    assert outcome.status == 423
    assert outcome.headers == [("Min-Expires", "60")]
    response = outcome.response(request, to_tag="r")
    assert (response.status, response.reason) == (423, "Interval Too Brief")
    assert len(registrar) == 0  # all or nothing (§10.3)


def test_given_long_expiry_when_processed_then_capped_to_maximum():
    registrar = Registrar(ManualClock(), RegistrarPolicy(max_expires=3600))
    registrar.register(register("<sip:1001@192.0.2.5>", expires=86_400))
    assert registrar.lookup(AOR)[0].remaining(NOW) == 3600


def test_given_no_expires_anywhere_when_processed_then_default_applies():
    registrar = Registrar(ManualClock(), RegistrarPolicy(default_expires=900))
    registrar.register(register("<sip:1001@192.0.2.5>"))
    assert registrar.lookup(AOR)[0].remaining(NOW) == 900


def test_given_time_passes_when_bindings_expire_then_lookup_and_expire_drop_them():
    clock = ManualClock()
    registrar = Registrar(clock)
    registrar.register(register("<sip:1001@192.0.2.5>", expires=60, call_id="a"))
    registrar.register(register("<sip:1001@192.0.2.6>", expires=120, call_id="b"))
    clock.t += 60
    assert contact_uris(registrar) == ["sip:1001@192.0.2.6"]
    assert registrar.expire() == 1
    clock.t += 60
    assert registrar.expire() == 1
    assert len(registrar) == 0


def test_given_no_contact_when_processed_then_query_lists_current_bindings():
    clock = ManualClock()
    registrar = Registrar(clock)
    registrar.register(register("<sip:1001@192.0.2.5>", expires=300, cseq=1))
    clock.t += 100
    outcome = registrar.register(register(cseq=2))
    assert outcome.status == 200
    assert outcome.headers[0] == ("Contact", "<sip:1001@192.0.2.5>;expires=200")


def test_given_other_domain_or_tel_aor_when_processed_then_404():
    registrar = Registrar(ManualClock(), domains=frozenset({"Hotline.Test"}))
    assert registrar.register(register("<sip:1001@192.0.2.5>")).status == 200
    other = register("<sip:1001@192.0.2.5>")
    other.headers.set("To", "<sip:1001@elsewhere.test>")
    assert registrar.register(other).status == 404
    tel = register("<sip:1001@192.0.2.5>")
    tel.headers.set("To", "<tel:+331234>")
    assert registrar.register(tel).status == 404


@pytest.mark.parametrize(
    "request_",
    [
        register("<sip:1001@192.0.2.5>", expires="soon"),
        register("<sip:1001@192.0.2.5>;expires=never"),
        register("<sip:1001@192.0.2.5"),
    ],
    ids=["bad Expires", "bad expires param", "bad Contact"],
)
def test_given_malformed_values_when_processed_then_400(request_):
    registrar = Registrar(ManualClock())
    outcome = registrar.register(request_)
    assert outcome.status == 400
    assert len(registrar) == 0


def test_given_too_many_contacts_when_processed_then_403_and_unchanged():
    registrar = Registrar(ManualClock(), RegistrarPolicy(max_contacts=2))
    registrar.register(register("<sip:1001@192.0.2.5>", "<sip:1001@192.0.2.6>", call_id="a"))
    outcome = registrar.register(register("<sip:1001@192.0.2.7>", call_id="b"))
    assert outcome.status == 403
    assert len(registrar) == 2


def test_given_aor_spelled_differently_when_looked_up_then_same_bindings():
    registrar = Registrar(ManualClock())
    registrar.register(register("<sip:1001@192.0.2.5>"))
    assert contact_uris(registrar, "sip:1001@HOTLINE.test;transport=udp") == ["sip:1001@192.0.2.5"]
    assert registrar.lookup("not a uri") == []
    assert str(SipUri.parse(AOR).address_of_record()) == AOR


# --- answering a REGISTER: digest, authorization, bindings -----------------------------------


def authenticated(request: SipRequest, challenge_response: SipResponse, password: str, user: str):
    challenge = choose_challenge(challenge_response.headers.get_all("www-authenticate"))
    assert challenge is not None
    credentials = authorize(
        challenge,
        method="REGISTER",
        uri=request.uri,
        username=user,
        password=password,
        cnonce="c1",
    )
    request.headers.add("Authorization", str(credentials))
    return request


def server(clock: ManualClock) -> tuple[Registrar, DigestAuthenticator]:
    passwords = PasswordStore({"1001": "pw-1001", "1002": "pw-1002"})
    return Registrar(clock), DigestAuthenticator("hotline.test", b"k", clock, passwords)


def test_given_register_without_credentials_when_answered_then_401_with_both_algorithms():
    registrar, authenticator = server(ManualClock())
    response = answer_register(register("<sip:1001@192.0.2.5>"), registrar, authenticator, "t")
    assert response.status == 401
    challenges = [DigestChallenge.parse(v) for v in response.headers.get_all("www-authenticate")]
    assert [c.algorithm for c in challenges] == ["SHA-256", "MD5"]
    assert len(registrar) == 0


def test_given_good_credentials_when_answered_then_200_and_bound():
    clock = ManualClock()
    registrar, authenticator = server(clock)
    challenge = answer_register(register("<sip:1001@192.0.2.5>"), registrar, authenticator, "t")
    request = authenticated(register("<sip:1001@192.0.2.5>", cseq=2), challenge, "pw-1001", "1001")
    response = answer_register(request, registrar, authenticator, "t")
    assert response.status == 200
    assert contact_uris(registrar) == ["sip:1001@192.0.2.5"]


def test_given_another_users_credentials_when_answered_then_403_and_not_bound():
    registrar, authenticator = server(ManualClock())
    challenge = answer_register(register("<sip:1001@192.0.2.5>"), registrar, authenticator, "t")
    request = authenticated(register("<sip:1001@192.0.2.5>", cseq=2), challenge, "pw-1002", "1002")
    response = answer_register(request, registrar, authenticator, "t")
    assert response.status == 403
    assert len(registrar) == 0


def test_given_old_nonce_when_answered_then_401_marked_stale():
    clock = ManualClock()
    registrar, authenticator = server(clock)
    challenge = answer_register(register("<sip:1001@192.0.2.5>"), registrar, authenticator, "t")
    request = authenticated(register("<sip:1001@192.0.2.5>", cseq=2), challenge, "pw-1001", "1001")
    clock.t += 3600
    response = answer_register(request, registrar, authenticator, "t")
    assert response.status == 401
    assert DigestChallenge.parse(response.headers.get("www-authenticate") or "").stale
