"""Digest authentication (RFC 7616, RFC 8760, RFC 3261 §22.4): RFC worked examples, the client
answering challenges, and the server's nonces, staleness and replay checks on a manual clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from telephony.sip.digest import (
    DigestChallenge,
    DigestCredentials,
    authorize,
    choose_challenge,
    compute_ha1,
    compute_response,
)
from telephony.sip.digest_server import DigestAuthenticator, PasswordStore
from telephony.sip.message import SipRequest, SipResponse
from telephony.sip.syntax import SipParseError

pytestmark = pytest.mark.unit

DATA = Path(__file__).parents[1] / "data" / "sip"

# RFC 7616 §3.9.1
RFC_REALM = "http-auth@example.org"
RFC_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
RFC_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"


class ManualClock:
    """Only `now` is used by the digest server."""

    def __init__(self, now: float) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    def call_later(self, delay, callback):
        raise AssertionError("not used")

    async def sleep(self, delay):
        raise AssertionError("not used")


def rfc_challenge(algorithm: str) -> DigestChallenge:
    text = (
        f'Digest realm="{RFC_REALM}", qop="auth, auth-int", algorithm={algorithm}, '
        f'nonce="{RFC_NONCE}", opaque="{RFC_OPAQUE}"'
    )
    return DigestChallenge.parse(text)


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_given_rfc7616_example_when_client_authorizes_then_response_matches_rfc(
    algorithm, expected
):
    credentials = authorize(
        rfc_challenge(algorithm),
        method="GET",
        uri="/dir/index.html",
        username="Mufasa",
        password="Circle of Life",
        cnonce=RFC_CNONCE,
    )
    assert credentials.response == expected
    assert (credentials.qop, credentials.nc, credentials.opaque) == ("auth", "00000001", RFC_OPAQUE)


def test_given_rfc7616_sha512_256_example_when_computed_then_matches_erratum_4897():
    # §3.9.2 (its printed response is wrong; erratum 4897 gives this one).
    ha1 = compute_ha1("SHA-512-256", "Jäsøn Doe", "api@example.org", "Secret, or not?")
    response = compute_response(
        "SHA-512-256",
        ha1,
        method="GET",
        uri="/doe.json",
        nonce="5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK",
        qop="auth",
        nc="00000001",
        cnonce="NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v",
    )
    assert response == "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5"


def test_given_challenge_without_qop_when_authorized_then_rfc2069_form():
    # RFC 2617 §3.2.2.1: response = H(HA1:nonce:HA2) when qop is absent.
    challenge = DigestChallenge.parse('Digest realm="testrealm@host.com", nonce="dcd98b71"')
    credentials = authorize(
        challenge, method="REGISTER", uri="sip:h", username="u", password="p", cnonce="unused"
    )
    ha1 = compute_ha1("MD5", "u", "testrealm@host.com", "p")
    assert credentials.response == compute_response(
        "MD5", ha1, method="REGISTER", uri="sip:h", nonce="dcd98b71"
    )
    assert (credentials.qop, credentials.nc, credentials.cnonce) == (None, None, None)
    assert "qop" not in str(credentials)


def test_given_challenge_and_credentials_when_printed_and_parsed_then_equal():
    challenge = DigestChallenge("r", "n", "SHA-256", ("auth",), opaque="o", stale=True)
    assert DigestChallenge.parse(str(challenge)) == challenge
    credentials = authorize(
        challenge, method="INVITE", uri="sip:a@b", username="1001", password="x", cnonce="c", nc=10
    )
    assert credentials.nc == "0000000a"
    assert DigestCredentials.parse(str(credentials)) == credentials


@pytest.mark.parametrize(
    "text",
    [
        'Basic realm="x"',
        "Digest",
        'Digest realm="x"',
        'Digest realm="x", nonce="n", algorithm=AKAv1-MD5',
        'Digest realm="x, nonce="n"',
        'Digest realm="x", realm="y", nonce="n"',
        'Digest realm="x", nonce',
    ],
)
def test_given_malformed_challenge_when_parsed_then_sip_parse_error(text):
    with pytest.raises(SipParseError):
        DigestChallenge.parse(text)


def test_given_credentials_with_qop_but_no_cnonce_when_parsed_then_sip_parse_error():
    with pytest.raises(SipParseError, match="cnonce"):
        DigestCredentials.parse(
            'Digest username="u", realm="r", nonce="n", uri="sip:h", response="x", qop=auth'
        )


def test_given_several_challenges_when_choosing_then_first_supported_in_server_order():
    # RFC 8760 §2.4: the client uses the first challenge it supports.
    chosen = choose_challenge(
        [
            'Digest realm="r", nonce="n", algorithm=AKAv1-MD5',
            'Digest realm="r", nonce="n", qop="auth-conf"',
            'Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth"',
            'Digest realm="r", nonce="n", algorithm=MD5, qop="auth"',
        ]
    )
    assert chosen is not None
    assert chosen.algorithm == "SHA-256"
    assert choose_challenge(["garbage"]) is None


# --- the server side ------------------------------------------------------------------------------

NOW = 1_700_000_000.0
PASSWORDS = PasswordStore({"1001": "s3cret-1001", "1002": "other"})


def register(authorization: str | None = None, uri: str = "sip:hotline.test") -> SipRequest:
    lines = [
        f"REGISTER {uri} SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKr1",
        "From: <sip:1001@hotline.test>;tag=a",
        "To: <sip:1001@hotline.test>",
        "Call-ID: reg@192.0.2.5",
        "CSeq: 1 REGISTER",
        "Content-Length: 0",
    ]
    if authorization:
        lines.insert(-1, f"Authorization: {authorization}")
    return SipRequest.parse(("\r\n".join(lines) + "\r\n\r\n").encode())


def authenticator(clock: ManualClock, **options) -> DigestAuthenticator:
    return DigestAuthenticator("hotline.test", b"secret", clock, PASSWORDS, **options)


def answer(
    challenge: DigestChallenge,
    *,
    password: str = "s3cret-1001",
    uri: str = "sip:hotline.test",
    nc: int = 1,
    username: str = "1001",
) -> str:
    credentials = authorize(
        challenge,
        method="REGISTER",
        uri=uri,
        username=username,
        password=password,
        cnonce="cn",
        nc=nc,
    )
    return str(credentials)


def test_given_server_when_challenging_then_sha256_first_then_md5_sharing_one_nonce():
    challenges = authenticator(ManualClock(NOW)).challenges()
    assert [c.algorithm for c in challenges] == ["SHA-256", "MD5"]
    assert challenges[0].nonce == challenges[1].nonce
    assert all(c.qop == ("auth",) and c.realm == "hotline.test" for c in challenges)


@pytest.mark.parametrize("index", [0, 1], ids=["SHA-256", "MD5"])
def test_given_correct_answer_to_a_challenge_when_verified_then_ok(index):
    server = authenticator(ManualClock(NOW))
    challenge = server.challenges()[index]
    result = server.verify(register(answer(challenge)))
    assert (result.ok, result.username, result.stale) == (True, "1001", False)


def test_given_wrong_password_when_verified_then_refused_not_stale():
    server = authenticator(ManualClock(NOW))
    result = server.verify(register(answer(server.challenges()[0], password="guess")))
    assert (result.ok, result.stale, result.reason) == (False, False, "wrong response")


def test_given_unknown_user_when_verified_then_refused():
    server = authenticator(ManualClock(NOW))
    result = server.verify(register(answer(server.challenges()[0], username="9999")))
    assert (result.ok, result.reason) == (False, "unknown user")


def test_given_expired_nonce_with_correct_answer_when_verified_then_stale():
    clock = ManualClock(NOW)
    server = authenticator(clock, nonce_lifetime_s=300)
    authorization = answer(server.challenges()[0])
    clock.t += 301
    result = server.verify(register(authorization))
    assert (result.ok, result.stale) == (False, True)


def test_given_expired_nonce_with_wrong_answer_when_verified_then_refused_not_stale():
    clock = ManualClock(NOW)
    server = authenticator(clock, nonce_lifetime_s=300)
    authorization = answer(server.challenges()[0], password="guess")
    clock.t += 301
    assert not authenticator(clock).verify(register(authorization)).stale


def test_given_nonce_from_another_secret_or_forged_when_verified_then_not_our_nonce():
    clock = ManualClock(NOW)
    other = DigestAuthenticator("hotline.test", b"other-secret", clock, PASSWORDS)
    forged = DigestChallenge("hotline.test", "bm90LWEtbm9uY2U=", "SHA-256")
    for challenge in (other.challenges()[0], forged):
        result = authenticator(clock).verify(register(answer(challenge)))
        assert (result.ok, result.reason) == (False, "not our nonce")


def test_given_nonce_from_the_future_when_verified_then_refused():
    clock = ManualClock(NOW + 60)
    authorization = answer(authenticator(clock).challenges()[0])
    clock.t = NOW
    assert authenticator(clock).verify(register(authorization)).reason == "not our nonce"


def test_given_replayed_nonce_count_when_verified_then_stale_and_higher_count_ok():
    server = authenticator(ManualClock(NOW))
    challenge = server.challenges()[0]
    assert server.verify(register(answer(challenge, nc=1))).ok
    replay = server.verify(register(answer(challenge, nc=1)))
    assert (replay.ok, replay.stale, replay.reason) == (False, True, "nonce count reused")
    assert server.verify(register(answer(challenge, nc=2))).ok


def test_given_two_phones_challenged_in_the_same_second_when_both_answer_nc1_then_both_ok():
    server = authenticator(ManualClock(NOW))
    first, second = server.challenges()[0], server.challenges()[0]
    assert first.nonce != second.nonce
    assert server.verify(register(answer(first, nc=1))).ok
    assert server.verify(register(answer(second, nc=1))).ok


def test_given_many_nonces_when_tracked_then_memory_stays_bounded():
    clock = ManualClock(NOW)
    server = authenticator(clock, max_tracked_nonces=50)
    for second in range(200):
        clock.t = NOW + second
        assert server.verify(register(answer(server.challenges()[0]))).ok
    assert server.tracked_nonces == 50


def test_given_digest_uri_for_another_target_when_verified_then_refused():
    server = authenticator(ManualClock(NOW))
    authorization = answer(server.challenges()[0], uri="sip:elsewhere.test")
    assert server.verify(register(authorization)).reason.startswith("digest uri")


def test_given_digest_uri_differing_only_in_params_when_verified_then_ok():
    server = authenticator(ManualClock(NOW))
    authorization = answer(server.challenges()[0], uri="sip:hotline.test;transport=UDP")
    assert server.verify(register(authorization)).ok


def test_given_algorithm_not_offered_when_verified_then_refused():
    server = authenticator(ManualClock(NOW), algorithms=("SHA-256",))
    nonce = server.challenges()[0].nonce
    md5 = DigestChallenge("hotline.test", nonce, "MD5")
    assert server.verify(register(answer(md5))).reason == "algorithm MD5 not offered"


def test_given_no_credentials_or_other_realm_or_garbage_when_verified_then_refused():
    server = authenticator(ManualClock(NOW))
    other_realm = DigestChallenge("elsewhere", server.challenges()[0].nonce, "SHA-256")
    assert server.verify(register()).reason == "no credentials for our realm"
    assert server.verify(register(answer(other_realm))).reason == "no credentials for our realm"
    assert server.verify(register("Digest nonsense")).reason.startswith("malformed")


def test_given_auth_int_answer_when_verified_then_body_is_covered():
    server = authenticator(ManualClock(NOW))
    nonce = server.challenges()[0].nonce
    challenge = DigestChallenge("hotline.test", nonce, "SHA-256", ("auth-int",))
    request = register(answer(challenge))  # empty body hashed
    assert server.verify(request).ok
    request.body = b"changed"
    assert server.verify(request).reason == "wrong response"


def test_given_pyvoip_rfc2069_answer_when_verified_then_accepted_unless_refused_by_policy():
    # Captured from pyVoIP 1.6.8: no qop/nc/cnonce, and `;transport=UDP` in the digest uri.
    # (The nonce and response were re-issued when nonces gained a salt.)
    request = SipRequest.parse((DATA / "pyvoip-register-auth.sip").read_bytes())
    clock = ManualClock(NOW + 10)  # the nonce was issued at NOW with this secret
    store = PasswordStore({"1001": "s3cret-1001"})
    server = DigestAuthenticator(
        "hotline.test", b"capture-secret", clock, store, algorithms=("MD5",)
    )
    assert server.verify(request).ok
    strict = DigestAuthenticator(
        "hotline.test", b"capture-secret", clock, store, algorithms=("MD5",), accept_rfc2069=False
    )
    assert strict.verify(request).reason.startswith("qop missing")


def test_given_captured_401_when_challenge_parsed_then_md5_with_qop_auth():
    response = SipResponse.parse((DATA / "hotline-401-challenge.sip").read_bytes())
    challenge = choose_challenge(response.headers.get_all("www-authenticate"))
    assert challenge is not None
    assert (challenge.realm, challenge.algorithm, challenge.qop) == (
        "hotline.test",
        "MD5",
        ("auth",),
    )


def test_given_empty_secret_when_server_created_then_refused():
    with pytest.raises(ValueError, match="secret"):
        DigestAuthenticator("r", b"", ManualClock(NOW), PASSWORDS)


@pytest.mark.parametrize("algorithm", ["MD5-sess", "SHA-256-sess", "SHA-512-256"])
def test_given_other_algorithms_when_offered_then_client_and_server_agree(algorithm):
    server = authenticator(ManualClock(NOW), algorithms=(algorithm,))
    challenge = server.challenges()[0]
    assert server.verify(register(answer(challenge))).ok
