"""SIP message parsing and printing (RFC 3261 §7, §18.3, §20), with captured messages.

Captured messages in tests/data/sip: `sipp-*` were sent by SIPp 3.6.1 (`-sn uac`, `-sn uas`),
`pyvoip-*` by pyVoIP 1.6.8 registering, `hotline-*` by this stack; the others are hand-written
to cover compact forms, folding, IPv6, several contacts, CANCEL and 487.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from telephony.sip.builders import (
    bad_request_response,
    build_request,
    build_response,
    response_destination,
    stamp_top_via,
)
from telephony.sip.headers import CSeq, Headers, Via
from telephony.sip.message import SipRequest, SipResponse, parse_message
from telephony.sip.syntax import SipParseError
from telephony.sip.uri import NameAddr, SipUri, TelUri

pytestmark = pytest.mark.unit

DATA = Path(__file__).parents[1] / "data" / "sip"
CAPTURED = sorted(DATA.glob("*.sip"))


def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


def crlf(*lines: str, body: str = "") -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


INVITE_LINES = (
    "INVITE sip:bob@biloxi.com SIP/2.0",
    "Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds;rport",
    "Max-Forwards: 70",
    "To: Bob <sip:bob@biloxi.com>",
    "From: Alice <sip:alice@atlanta.com>;tag=1928301774",
    "Call-ID: a84b4c76e66710@pc33.atlanta.com",
    "CSeq: 314159 INVITE",
    "Contact: <sip:alice@pc33.atlanta.com>",
    "Content-Length: 0",
)


def invite(*replace: tuple[str, str | None]) -> bytes:
    """The INVITE above, with lines starting with a prefix replaced (None drops them)."""
    lines: list[str] = list(INVITE_LINES)
    for prefix, new in replace:
        replaced = [(new if line.startswith(prefix) else line) for line in lines]
        lines = [line for line in replaced if line is not None]
    return crlf(*lines)


# --- captured messages ----------------------------------------------------------------------------


def test_there_are_captured_messages_from_independent_peers():
    names = {p.name for p in CAPTURED}
    assert {"sipp-uac-invite.sip", "sipp-uas-200-invite.sip", "pyvoip-register-auth.sip"} <= names


@pytest.mark.parametrize("path", CAPTURED, ids=lambda p: p.name)
def test_given_captured_message_when_parsed_and_printed_then_bytes_are_identical(path):
    data = path.read_bytes()
    assert bytes(parse_message(data)) == data


@pytest.mark.parametrize("path", CAPTURED, ids=lambda p: p.name)
def test_given_captured_message_when_parsed_then_mandatory_headers_are_typed(path):
    message = parse_message(path.read_bytes())
    assert message.top_via.branch
    assert message.call_id
    assert message.from_addr.tag
    assert message.cseq.number >= 1


def test_given_sipp_invite_when_parsed_then_body_and_padded_content_length_are_read():
    message = SipRequest.parse(load("sipp-uac-invite.sip"))
    assert message.method == "INVITE"
    assert message.headers.get("content-length") == "129"
    assert len(message.body) == 129
    assert message.body.startswith(b"v=0\r\n")
    assert message.contacts == [NameAddr(SipUri("127.0.0.1", "sipp", 5060))]
    assert message.content_type == "application/sdp"


def test_given_sipp_200_when_parsed_then_to_tag_and_contact_are_read():
    response = SipResponse.parse(load("sipp-uas-200-invite.sip"))
    assert (response.status, response.reason) == (200, "OK")
    assert response.to_tag == "24672SIPpTag011"
    assert response.contacts[0].uri == SipUri("127.0.0.1", None, 35060, params={"transport": "UDP"})


def test_given_compact_forms_when_parsed_then_same_headers_as_long_forms():
    message = SipRequest.parse(load("compact-invite-via-proxy.sip"))
    assert message.call_id == "7f2a9c@10.0.0.5"
    assert message.from_addr.display_name == "Caller, The"
    assert isinstance(message.to_addr.uri, TelUri)
    assert message.headers.values("Supported") == ["timer", "replaces"]
    assert message.headers.get("Subject") == "Hold test"
    assert message.contacts[0].params["expires"] == "300"
    assert len(message.body) == int(message.headers.get("content-length") or 0)


def test_given_two_vias_on_one_line_when_parsed_then_both_in_order_with_rport_and_received():
    vias = parse_message(load("compact-invite-via-proxy.sip")).vias
    assert [v.branch for v in vias] == ["z9hG4bKedge.1", "z9hG4bKphone.77"]
    assert vias[0].received == "198.51.100.7"
    assert (vias[1].transport, vias[1].rport, vias[1].port) == ("TCP", 5070, 5070)


def test_given_folded_lines_when_parsed_then_values_are_unfolded():
    message = parse_message(load("options-folded.sip"))
    assert message.top_via.branch == "z9hG4bKfold1"
    assert message.top_via.rport_requested
    assert message.headers.get("subject") == "a subject folded over two lines"


def test_given_several_contact_lines_when_parsed_then_all_contacts_in_order():
    contacts = parse_message(load("register-ipv6-contacts.sip")).contacts
    assert [c.params.get("q") for c in contacts] == ["0.9", "0.5", None]
    assert contacts[2].display_name == "Desk phone"
    assert isinstance(contacts[0].uri, SipUri)
    assert contacts[0].uri.host == "[2001:db8::10]"


# --- framing -----------------------------------------------------------------------------------


def test_given_content_length_shorter_than_data_when_parsed_then_body_is_cut():
    data = invite(("Content-Length", "Content-Length: 3")) + b"abcdef"
    assert parse_message(data).body == b"abc"


def test_given_no_content_length_when_parsed_then_body_is_rest_of_datagram():
    data = invite(("Content-Length", None)) + b"v=0\r\n"
    assert parse_message(data).body == b"v=0\r\n"


def test_given_content_length_longer_than_data_when_parsed_then_error_with_request_read():
    with pytest.raises(SipParseError) as caught:
        parse_message(invite(("Content-Length", "Content-Length: 10")) + b"abc")
    assert "shorter than Content-Length" in caught.value.reason
    assert isinstance(caught.value.partial, SipRequest)


@pytest.mark.parametrize("value", ["-1", "abc", "1_0", "١٠", "0x10", "99999999999999"])
def test_given_bad_content_length_when_parsed_then_error(value):
    with pytest.raises(SipParseError):
        parse_message(invite(("Content-Length", f"Content-Length: {value}")))


def test_given_conflicting_content_lengths_when_parsed_then_error():
    data = invite(("Content-Length", "Content-Length: 0\r\nl: 2")) + b"ab"
    with pytest.raises(SipParseError, match="conflicting"):
        parse_message(data)


def test_given_lf_only_line_endings_and_leading_crlf_when_parsed_then_read():
    data = b"\r\n\r\n" + invite().replace(b"\r\n", b"\n")
    message = parse_message(data)
    assert message.call_id == "a84b4c76e66710@pc33.atlanta.com"
    assert bytes(message) == invite()


def test_given_no_empty_line_after_headers_when_parsed_then_error():
    with pytest.raises(SipParseError, match="no empty line"):
        parse_message(invite().rstrip(b"\r\n"))


def test_given_message_over_the_size_limit_when_parsed_then_513():
    with pytest.raises(SipParseError) as caught:
        parse_message(invite(("Content-Length", None)) + b"x" * 70_000)
    assert caught.value.status == 513


# --- header rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Via", "From", "To", "Call-ID", "CSeq"])
def test_given_mandatory_header_missing_when_parsed_then_error_names_it(name):
    with pytest.raises(SipParseError, match=f"missing {name}"):
        parse_message(invite((f"{name}:", None)))


@pytest.mark.parametrize(
    ("replacement", "reason"),
    [
        (("CSeq", "CSeq: 1 BYE"), "does not match"),
        (("CSeq", "CSeq: x INVITE"), "CSeq number"),
        (("CSeq", "CSeq: 2147483648 INVITE"), "too large"),
        (("Max-Forwards", "Max-Forwards: 256"), "too large"),
        (("From", "From: <sip:alice@atlanta.com"), "missing '>'"),
        (("Via", "Via: SIP/2.0/UDP"), "bad Via"),
        (("Via", "Via: SIP/2.0/UDP host;rport=x"), "rport"),
        (("Call-ID", "Call-ID: a b"), "Call-ID"),
        (("INVITE", "INVITE bob SIP/2.0"), "absolute URI"),
        (("To:", "To: <sip:bob@biloxi.com>\r\nTo: <sip:carol@x.org>"), "more than one To"),
        (("Contact", "Contact <sip:alice@pc33.atlanta.com>"), "bad header line"),
        (("Contact", "Contact: a\x00b"), "control character"),
    ],
)
def test_given_malformed_request_when_parsed_then_error_reason(replacement, reason):
    with pytest.raises(SipParseError, match=reason):
        parse_message(invite(replacement))


@pytest.mark.parametrize(
    "start_line",
    ["INVITE sip:bob@biloxi.com", "INVITE  sip:b@x SIP/2.0", "SIP/2.0 99 Low", "HELLO"],
)
def test_given_bad_start_line_when_parsed_then_error_without_partial(start_line):
    with pytest.raises(SipParseError) as caught:
        parse_message(invite(("INVITE", start_line)))
    assert caught.value.partial is None


def test_given_header_names_in_any_case_when_read_then_found():
    message = parse_message(invite(("Call-ID", "cALL-id: abc@x")))
    assert message.call_id == "abc@x"
    assert message.headers.get("I") == "abc@x"


def test_given_headers_when_set_then_first_position_kept_and_injection_refused():
    headers = Headers.of(("Via", "a"), ("To", "b"), ("v", "c"))
    headers.set("VIA", "d")
    assert list(headers) == [("VIA", "d"), ("To", "b")]
    with pytest.raises(ValueError, match="bad header"):
        headers.add("Subject", "x\r\nVia: evil")


def test_given_expires_and_max_forwards_when_read_then_numbers():
    message = parse_message(invite(("Contact", "Contact: *\r\nExpires: 0")))
    assert (message.expires, message.max_forwards) == (0, 70)
    assert message.contact_is_wildcard
    assert message.contacts == []


# --- Via, CSeq -----------------------------------------------------------------------------------


def test_given_via_with_spaces_around_slashes_when_parsed_then_read():
    via = Via.parse("SIP / 2.0 / udp  host.example:5062 ; branch=z9hG4bKx ;rport")
    assert (via.transport, via.host, via.port, via.branch, via.rport_requested) == (
        "UDP",
        "host.example",
        5062,
        "z9hG4bKx",
        True,
    )
    assert via.rport is None


def test_given_via_asking_rport_when_stamped_then_rport_and_received_filled():
    via = Via.parse("SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa;rport").stamped("203.0.113.9", 40123)
    assert (via.rport, via.received) == (40123, "203.0.113.9")
    assert str(via) == "SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa;rport=40123;received=203.0.113.9"


def test_given_via_without_rport_when_stamped_then_received_only_if_address_differs():
    via = Via.parse("SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKa")
    assert via.stamped("10.0.0.2", 6000).received is None
    assert via.stamped("203.0.113.9", 6000).params == {
        "branch": "z9hG4bKa",
        "received": "203.0.113.9",
    }


@pytest.mark.parametrize(
    ("via", "destination"),
    [
        ("SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKa", ("10.0.0.2", 5060)),
        ("SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bKa;received=1.2.3.4", ("1.2.3.4", 5070)),
        (
            "SIP/2.0/UDP 10.0.0.2:5070;branch=z9hG4bKa;rport=4000;received=1.2.3.4",
            ("1.2.3.4", 4000),
        ),
        ("SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKa;maddr=224.0.1.75", ("224.0.1.75", 5060)),
        ("SIP/2.0/UDP [2001:db8::2]:5062;branch=z9hG4bKa", ("2001:db8::2", 5062)),
    ],
)
def test_given_via_when_response_destination_then_rfc3261_and_rfc3581_rules(via, destination):
    assert response_destination(Via.parse(via)) == destination


def test_given_cseq_when_parsed_and_printed_then_same():
    assert CSeq.parse(" 4711   INVITE ") == CSeq(4711, "INVITE")
    assert str(CSeq(4711, "INVITE")) == "4711 INVITE"


# --- responses to a request (§8.2.6) ------------------------------------------------------------


def test_given_request_when_response_built_then_via_from_callid_cseq_copied_and_to_tagged():
    request = SipRequest.parse(load("sipp-uac-invite.sip"))
    response = build_response(request, 180, to_tag="uas1")
    assert response.headers.get_all("via") == request.headers.get_all("via")
    assert response.headers.get("from") == request.headers.get("from")
    assert (response.call_id, response.cseq) == (request.call_id, request.cseq)
    assert response.to_tag == "uas1"
    assert response.to_addr.uri == request.to_addr.uri
    assert bytes(response).startswith(b"SIP/2.0 180 Ringing\r\n")


def test_given_to_already_tagged_when_response_built_then_tag_is_not_replaced():
    request = SipRequest.parse(load("sipp-uac-bye.sip"))
    assert build_response(request, 200, to_tag="other").to_tag == "as7f3a"


def test_given_timestamp_when_100_trying_built_then_timestamp_echoed():
    request = SipRequest.parse(invite(("Contact", "Contact: <sip:a@b>\r\nTimestamp: 54")))
    assert build_response(request, 100).headers.get("timestamp") == "54"
    assert build_response(request, 180, to_tag="t").headers.get("timestamp") is None


def test_given_body_when_response_built_then_length_and_type_set():
    request = SipRequest.parse(invite())
    response = build_response(
        request, 200, to_tag="t", body=b"v=0\r\n", content_type="application/sdp"
    )
    again = parse_message(bytes(response))
    assert (again.body, again.content_type) == (b"v=0\r\n", "application/sdp")


def test_given_request_fields_when_request_built_then_it_parses_back_with_them():
    request = build_request(
        "OPTIONS",
        "sip:hotline.example",
        from_addr=NameAddr(SipUri("example.org", "probe")).with_tag("p1"),
        to_addr=NameAddr(SipUri("hotline.example")),
        call_id="c1@x",
        cseq=3,
        via=Via("UDP", "192.0.2.1", 5062, {"branch": "z9hG4bKp", "rport": None}),
        routes=[NameAddr(SipUri("edge.example", params={"lr": None}))],
    )
    again = SipRequest.parse(bytes(request))
    assert (again.method, again.cseq, again.from_tag, again.max_forwards) == (
        "OPTIONS",
        CSeq(3, "OPTIONS"),
        "p1",
        70,
    )
    assert again.routes[0].uri == SipUri("edge.example", params={"lr": None})


def test_given_request_when_top_via_stamped_then_only_top_via_changes():
    request = SipRequest.parse(load("compact-invite-via-proxy.sip"))
    lower = request.headers.values("via")[1]
    stamp_top_via(request, "198.51.100.8", 5999)
    assert request.top_via.received == "198.51.100.8"
    assert request.headers.values("via")[1] == lower


# --- 400 Bad Request for what can be answered (§21.4.1) -------------------------------------------


def test_given_bad_max_forwards_when_bad_request_then_400_copying_the_request():
    answer = bad_request_response(invite(("Max-Forwards", "Max-Forwards: lots")), to_tag="e1")
    assert answer is not None
    response = SipResponse.parse(answer)
    assert response.status == 400
    assert "Max-Forwards" in response.reason
    assert (response.call_id, response.cseq, response.to_tag) == (
        "a84b4c76e66710@pc33.atlanta.com",
        CSeq(314159, "INVITE"),
        "e1",
    )


def test_given_source_when_bad_request_then_top_via_carries_rport_and_received():
    answer = bad_request_response(
        invite(("CSeq", "CSeq: 314159 BYE")), source=("203.0.113.5", 41000)
    )
    assert answer is not None
    via = SipResponse.parse(answer).top_via
    assert (via.received, via.rport) == ("203.0.113.5", 41000)


def test_given_unsupported_version_when_bad_request_then_505():
    answer = bad_request_response(invite(("INVITE", "INVITE sip:bob@biloxi.com SIP/3.0")))
    assert answer is not None
    assert SipResponse.parse(answer).status == 505


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\xff garbage",
        b"INVITE sip:bob@biloxi.com SIP/2.0\r\n\r\n",
        invite(("Call-ID", None), ("Max-Forwards", "Max-Forwards: x")),
        invite(("Via", "Via: nonsense"), ("Max-Forwards", "Max-Forwards: x")),
        invite(
            ("INVITE", "ACK sip:bob@biloxi.com SIP/2.0"),
            ("CSeq", "CSeq: 1 ACK"),
            ("Max-F", "Max-Forwards: x"),
        ),
        crlf("SIP/2.0 200 OK", "Via: SIP/2.0/UDP h;branch=z9hG4bKa", "CSeq: x INVITE"),
        invite(),
        "INVITE sip:bob@biloxi.com SIP/2.0\r\nTo: é\r\n\r\n".encode("latin-1"),
    ],
    ids=[
        "empty",
        "binary",
        "no headers",
        "no call-id",
        "bad via",
        "ack",
        "response",
        "valid",
        "not utf-8",
    ],
)
def test_given_unanswerable_or_valid_data_when_bad_request_then_none(data):
    assert bad_request_response(data) is None
