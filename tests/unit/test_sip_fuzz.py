"""Garbage in, `SipParseError` out: the SIP parser and everything that reads a parsed message
never raise anything else, on random bytes or on mutated captured messages (Hypothesis)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telephony.sip.builders import bad_request_response, build_response, stamp_top_via
from telephony.sip.digest import DigestChallenge, DigestCredentials
from telephony.sip.digest_server import DigestAuthenticator, PasswordStore
from telephony.sip.message import SipMessage, SipRequest, parse_message
from telephony.sip.registrar import Registrar
from telephony.sip.syntax import SipParseError
from telephony.sip.transaction import TimerSettings
from telephony.sip.transaction_layer import TransactionLayer

pytestmark = pytest.mark.unit

SAMPLES = [
    p.read_bytes() for p in sorted((Path(__file__).parents[1] / "data" / "sip").glob("*.sip"))
]
ACCESSORS = (
    "vias", "top_via", "from_addr", "to_addr", "from_tag", "to_tag", "call_id", "cseq",
    "max_forwards", "expires", "contact_is_wildcard", "contacts", "routes", "record_routes",
)  # fmt: skip
INTERESTING = [
    b":", b";", b",", b"<", b">", b'"', b"\\", b"\r\n", b"\n", b" ", b"\t", b"=", b"@", b"[",
    b"]", b"%", b"\x00", b"\xff", b"9" * 12, b"sip:", b"\r\n\r\n", b"\r\n ", b"SIP/2.0",
    b"Content-Length: 99999\r\n", b"Via: SIP/2.0/UDP x;rport\r\n", b"CSeq: 1 ACK\r\n", b"*",
]  # fmt: skip


class FixedClock:
    def now(self) -> float:
        return 1_700_000_000.0

    def call_later(self, delay, callback):
        raise AssertionError("not used")

    async def sleep(self, delay):
        raise AssertionError("not used")


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.integers(0, 3))
        if kind == 0 and data:
            data[min(at, len(data) - 1)] = draw(st.integers(0, 255))
        elif kind == 1:
            data[at:at] = draw(st.sampled_from(INTERESTING))
        elif kind == 2:
            del data[at : at + draw(st.integers(1, 25))]
        else:
            start = draw(st.integers(0, len(data)))
            data[at:at] = data[start : start + draw(st.integers(1, 40))]
    return bytes(data)


def read_everything(message: SipMessage) -> None:
    """Every typed accessor either works or raises SipParseError."""
    for name in ACCESSORS:
        with contextlib.suppress(SipParseError):
            getattr(message, name)
    if isinstance(message, SipRequest):
        for action in (
            lambda: message.request_uri,
            lambda: build_response(message, 200, to_tag="t"),
        ):
            with contextlib.suppress(SipParseError):
                action()


def check(data: bytes) -> None:
    try:
        message = parse_message(data)
    except SipParseError:
        pass
    else:
        read_everything(message)
        printed = bytes(message)
        assert bytes(parse_message(printed)) == printed
    answer = bad_request_response(data, source=("192.0.2.1", 5060))
    if answer is not None:
        assert parse_message(answer).status in (400, 505, 513)  # type: ignore[union-attr]


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_given_random_bytes_when_parsed_then_only_sip_parse_error(data):
    check(data)


@settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_given_mutated_captured_message_when_parsed_then_only_sip_parse_error(data):
    check(data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_given_mutated_message_when_fed_to_the_stack_then_only_sip_parse_error(data):
    try:
        message = parse_message(data)
    except SipParseError:
        return
    TransactionLayer(TimerSettings()).receive(message, ("192.0.2.1", 5060))
    if isinstance(message, SipRequest):
        with contextlib.suppress(SipParseError):
            stamp_top_via(message, "192.0.2.1", 5060)
        auth = DigestAuthenticator(
            "hotline.test", b"k", FixedClock(), PasswordStore({"1001": "pw"})
        )
        auth.verify(message)
        Registrar(FixedClock()).register(message)


@settings(max_examples=500)
@given(st.text(max_size=200))
def test_given_any_text_when_parsed_as_digest_values_then_only_sip_parse_error(text):
    for parse in (DigestChallenge.parse, DigestCredentials.parse):
        with contextlib.suppress(SipParseError):
            parse(text)
