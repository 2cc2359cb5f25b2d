"""SIP/SIPS/tel URIs and name-addr values (RFC 3261 §19.1, §20.10, §25; RFC 3966)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telephony.sip.syntax import SipParseError
from telephony.sip.uri import NameAddr, OtherUri, SipUri, TelUri, parse_uri, split_name_addrs

pytestmark = pytest.mark.unit

# The URI examples of RFC 3261 §19.1.3, plus IPv6 and tel.
ROUND_TRIP_URIS = [
    "sip:alice@atlanta.com",
    "sip:alice:secretword@atlanta.com;transport=tcp",
    "sips:alice@atlanta.com?subject=project%20x&priority=urgent",
    "sip:+1-212-555-1212:1234@gateway.com;user=phone",
    "sips:1212@gateway.com",
    "sip:alice@192.0.2.4",
    "sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com",
    "sip:alice;day=tuesday@atlanta.com",
    "sip:[2001:db8::1]:5070;lr",
    "sip:edge.example.net;lr;ftag=a1",
    "tel:+1-201-555-0123",
    "tel:7042;phone-context=example.com",
    "mailto:agent@example.com",
]


@pytest.mark.parametrize("text", ROUND_TRIP_URIS)
def test_given_rfc_uri_when_parsed_and_printed_then_text_is_unchanged(text):
    assert str(parse_uri(text)) == text


def test_given_full_sip_uri_when_parsed_then_every_part_is_read():
    uri = SipUri.parse("sips:alice:pw@Atlanta.COM:5061;transport=TLS;lr?subject=x&priority=urgent")
    assert (uri.scheme, uri.user, uri.password, uri.host, uri.port) == (
        "sips",
        "alice",
        "pw",
        "Atlanta.COM",
        5061,
    )
    assert uri.params == {"transport": "TLS", "lr": None}
    assert uri.transport == "tls"
    assert uri.loose_route
    assert uri.headers == (("subject", "x"), ("priority", "urgent"))


def test_given_user_with_semicolon_when_parsed_then_it_stays_in_the_user_part():
    uri = SipUri.parse("sip:alice;day=tuesday@atlanta.com")
    assert uri.user == "alice;day=tuesday"
    assert uri.params == {}


def test_given_ipv6_reference_when_parsed_then_host_keeps_brackets_and_port_is_read():
    uri = SipUri.parse("sip:bob@[2001:db8::10]:5061")
    assert (uri.host, uri.port) == ("[2001:db8::10]", 5061)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sip:",
        "sip:@host",
        "sip:alice@",
        "sip:alice@host:",
        "sip:alice@host:99999",
        "sip:alice@host:5o60",
        "sip:alice@ho st",
        "sip:alice@[2001:db8::1",
        "sip:alice@[2001:db8::1]x",
        "sip:al ice@host",
        "sip:alice@host;=x",
        "sip:alice@host?novalue",
        "http//no-colon",
        "1sip:alice@host",
        "tel:",
        "tel:+1 555",
        "mailto:",
        "sip:alice@host:١٢٣",
    ],
)
def test_given_malformed_uri_when_parsed_then_sip_parse_error(text):
    with pytest.raises(SipParseError):
        parse_uri(text)


def test_given_uris_differing_only_in_case_and_escapes_when_compared_then_equivalent():
    # §19.1.4: host case-insensitive, escaped user characters equal to unescaped ones.
    a = SipUri.parse("sip:%61lice@ATLANTA.com;transport=TCP")
    b = SipUri.parse("sip:alice@AtLanTa.CoM;Transport=tcp")
    assert a.equivalent(b)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("sip:alice@atlanta.com", "sip:ALICE@atlanta.com"),  # user is case-sensitive
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),  # explicit port differs
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),  # transport only on one
        ("sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off"),
        ("sip:bob@biloxi.com", "sips:bob@biloxi.com"),
        ("sip:carol@chicago.com?Subject=next%20meeting", "sip:carol@chicago.com"),
    ],
)
def test_given_rfc_non_equivalent_uris_when_compared_then_not_equivalent(left, right):
    assert not SipUri.parse(left).equivalent(SipUri.parse(right))


def test_given_param_only_in_one_uri_when_not_a_strict_param_then_still_equivalent():
    assert SipUri.parse("sip:carol@chicago.com;newparam=5").equivalent(
        SipUri.parse("sip:carol@chicago.com;security=on")
    )


def test_given_tel_uris_with_separators_when_compared_then_equivalent():
    assert TelUri.parse("tel:+1-201-555-0123").equivalent(TelUri.parse("tel:+1.201.555.0123"))
    assert TelUri.parse("tel:+1-201-555-0123").digits == "+12015550123"


def test_given_other_scheme_when_parsed_then_kept_as_other_uri():
    assert parse_uri("mailto:agent@example.com") == OtherUri("mailto", "agent@example.com")


def test_given_aor_when_reduced_then_params_and_headers_go_and_host_is_lowered():
    uri = SipUri.parse("sip:1001@Hotline.Example;transport=udp?x=y")
    assert str(uri.address_of_record()) == "sip:1001@hotline.example"


# --- name-addr / addr-spec ------------------------------------------------------------------------


def test_given_quoted_display_name_with_escapes_when_parsed_then_unquoted():
    value = NameAddr.parse('"Bob \\"the\\" Builder" <sip:bob@biloxi.com>;tag=a6c85cf')
    assert value.display_name == 'Bob "the" Builder'
    assert value.tag == "a6c85cf"
    assert str(value) == '"Bob \\"the\\" Builder" <sip:bob@biloxi.com>;tag=a6c85cf'


def test_given_token_display_name_when_printed_then_not_quoted():
    assert str(NameAddr.parse("Bob <sip:bob@biloxi.com>")) == "Bob <sip:bob@biloxi.com>"


def test_given_addr_spec_with_params_when_parsed_then_params_belong_to_the_header():
    # §20.10: in the addr-spec form, parameters after the URI are header parameters.
    value = NameAddr.parse("sip:bob@biloxi.com;tag=a6c85cf")
    assert value.tag == "a6c85cf"
    assert value.uri == SipUri("biloxi.com", "bob")


def test_given_name_addr_with_uri_params_when_parsed_then_uri_and_header_params_split():
    value = NameAddr.parse("<sip:alice@10.0.0.5;transport=tcp>;expires=60;q=0.7")
    assert isinstance(value.uri, SipUri)
    assert value.uri.params == {"transport": "tcp"}
    assert value.params == {"expires": "60", "q": "0.7"}


def test_given_with_tag_when_applied_then_copy_has_tag_and_original_does_not():
    original = NameAddr.parse("<sip:bob@biloxi.com>")
    tagged = original.with_tag("xyz")
    assert (original.tag, tagged.tag) == (None, "xyz")


@pytest.mark.parametrize(
    "text",
    [
        "<sip:bob@biloxi.com",
        '"Bob <sip:bob@biloxi.com>',
        '"Bob" sip:bob@biloxi.com',
        "Bob sip:bob@biloxi.com",
        "<sip:bob@biloxi.com> junk",
        "Bo<b <sip:bob@biloxi.com>",
        "<not a uri>",
        "<sip:bob@biloxi.com>;=1",
    ],
)
def test_given_malformed_name_addr_when_parsed_then_sip_parse_error(text):
    with pytest.raises(SipParseError):
        NameAddr.parse(text)


def test_given_comma_in_quoted_display_name_when_list_split_then_one_value():
    values = split_name_addrs('"Doe, John" <sip:j@x.org>, <sip:p1.example.com;lr>')
    assert [v.display_name for v in values] == ["Doe, John", None]


@given(st.text(max_size=80))
def test_given_any_text_when_parsed_as_uri_or_name_addr_then_only_sip_parse_error(text):
    for parse in (parse_uri, NameAddr.parse):
        try:
            value = parse(text)
        except SipParseError:
            continue
        assert parse(str(value)) == value


@given(
    user=st.from_regex(r"[a-z0-9+.\-]{1,12}", fullmatch=True),
    host=st.from_regex(r"[a-z]([a-z0-9\-]{0,8}[a-z0-9])?(\.[a-z]{2,5}){0,2}", fullmatch=True),
    port=st.none() | st.integers(1, 65535),
    display=st.none()
    | st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=9),
)
def test_given_built_name_addr_when_printed_and_parsed_then_same_value(user, host, port, display):
    value = NameAddr(SipUri(host, user, port), display or None, {"tag": "t1"})
    assert NameAddr.parse(str(value)) == value


def test_given_contact_expires_param_when_read_then_number_or_error():
    assert NameAddr.parse("<sip:a@b>;expires=600").expires == 600
    assert NameAddr.parse("<sip:a@b>").expires is None
    with pytest.raises(SipParseError):
        _ = NameAddr.parse('<sip:a@b>;expires="Thu, 01 Dec 1994 16:00:00 GMT"').expires
