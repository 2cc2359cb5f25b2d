"""SIP dialogs (RFC 3261 §12, §13.2.2.4, §14): creation on each side, route sets, in-dialog
requests (BYE, re-INVITE to hold, ACK for 2xx), CSeq ordering and target refresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from telephony.sip.builders import build_request, build_response
from telephony.sip.dialog import (
    Dialog,
    DialogState,
    incoming_dialog_id,
    response_dialog_id,
)
from telephony.sip.headers import Via
from telephony.sip.message import SipRequest
from telephony.sip.syntax import SipParseError
from telephony.sip.uri import NameAddr, SipUri

pytestmark = pytest.mark.unit

DATA = Path(__file__).parents[1] / "data" / "sip"
HOLD_SDP = (
    b"v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    b"m=audio 7000 RTP/AVP 0\r\na=sendonly\r\n"
)


def via(branch: str) -> Via:
    return Via("UDP", "192.0.2.1", 5060, {"branch": branch, "rport": None})


def invite() -> SipRequest:
    return build_request(
        "INVITE",
        "sip:2001@pbx.example",
        from_addr=NameAddr(SipUri("hotline.test", "agent"), "Agent").with_tag("local1"),
        to_addr=NameAddr(SipUri("pbx.example", "2001")),
        call_id="dlg@hotline.test",
        cseq=10,
        via=via("z9hG4bKinv"),
        contact=NameAddr(SipUri("192.0.2.1", "agent", 5060)),
    )


def answered(request: SipRequest, status: int = 200, routes: list[str] | None = None):
    extra = [("Record-Route", r) for r in routes or []]
    extra.append(("Contact", "<sip:2001@192.0.2.77:5070>"))
    return build_response(request, status, to_tag="remote1", extra=extra)


RECORD_ROUTE = ["<sip:p2.example;lr>", "<sip:p1.example;lr>"]


def test_given_invite_and_2xx_when_uac_dialog_made_then_state_from_rfc_12_1_2():
    request = invite()
    dialog = Dialog.as_uac(request, answered(request, routes=RECORD_ROUTE))
    assert dialog.id == ("dlg@hotline.test", "local1", "remote1")
    assert dialog.state is DialogState.CONFIRMED
    assert dialog.remote_target == SipUri("192.0.2.77", "2001", 5070)
    assert [str(r.uri) for r in dialog.route_set] == ["sip:p1.example;lr", "sip:p2.example;lr"]
    assert (dialog.local_seq, dialog.remote_seq) == (10, None)
    assert dialog.local_uri.tag is None  # tags live in the dialog id, not in the URIs


def test_given_180_then_200_when_confirmed_then_early_becomes_confirmed_with_new_route_set():
    request = invite()
    dialog = Dialog.as_uac(request, answered(request, 180))
    assert dialog.state is DialogState.EARLY
    dialog.confirm(answered(request, 200, routes=RECORD_ROUTE))
    assert dialog.state is DialogState.CONFIRMED
    assert len(dialog.route_set) == 2


def test_given_response_without_to_tag_when_uac_dialog_made_then_error():
    request = invite()
    with pytest.raises(SipParseError, match="To tag"):
        Dialog.as_uac(request, build_response(request, 180))


def test_given_dialog_when_bye_built_then_next_cseq_tags_and_loose_route():
    request = invite()
    dialog = Dialog.as_uac(request, answered(request, routes=RECORD_ROUTE))
    bye = SipRequest.parse(bytes(dialog.bye(via("z9hG4bKbye"))))
    assert bye.uri == "sip:2001@192.0.2.77:5070"  # remote target: the first route has lr
    assert [str(r.uri) for r in bye.routes] == ["sip:p1.example;lr", "sip:p2.example;lr"]
    assert (bye.cseq.number, bye.cseq.method) == (11, "BYE")
    assert (bye.from_tag, bye.to_tag, bye.call_id) == ("local1", "remote1", "dlg@hotline.test")
    assert bye.contacts == []
    assert dialog.state is DialogState.TERMINATED


def test_given_strict_router_first_when_request_built_then_it_takes_the_request_uri():
    # §12.2.1.1: the first route goes into the Request-URI, the remote target last in Route.
    request = invite()
    dialog = Dialog.as_uac(
        request, answered(request, routes=["<sip:p2.example;lr>", "<sip:p1.example;method=BYE>"])
    )
    bye = dialog.request("BYE", via("z9hG4bKs"))
    assert bye.uri == "sip:p1.example"
    assert [str(r.uri) for r in bye.routes] == ["sip:p2.example;lr", "sip:2001@192.0.2.77:5070"]


def test_given_confirmed_dialog_when_hold_reinvite_built_then_sdp_contact_and_cseq():
    request = invite()
    dialog = Dialog.as_uac(request, answered(request))
    reinvite = SipRequest.parse(bytes(dialog.reinvite(via("z9hG4bKre"), HOLD_SDP)))
    assert (reinvite.method, reinvite.cseq.number) == ("INVITE", 11)
    assert reinvite.body.endswith(b"a=sendonly\r\n")
    assert reinvite.content_type == "application/sdp"
    assert reinvite.contacts[0].uri == SipUri("192.0.2.1", "agent", 5060)


def test_given_2xx_to_reinvite_with_new_contact_when_refreshed_then_target_moves():
    request = invite()
    dialog = Dialog.as_uac(request, answered(request))
    reinvite = dialog.reinvite(via("z9hG4bKre"), HOLD_SDP)
    ok = build_response(reinvite, 200, extra=[("Contact", "<sip:2001@198.51.100.3>")])
    dialog.refresh_target(ok)
    assert dialog.remote_target == SipUri("198.51.100.3", "2001")


def test_given_2xx_when_ack_built_then_invite_cseq_number_and_new_branch():
    request = invite()
    dialog = Dialog.as_uac(request, answered(request, routes=RECORD_ROUTE))
    ack = SipRequest.parse(bytes(dialog.ack(via("z9hG4bKack"), request.cseq.number)))
    assert (ack.method, ack.cseq.number, ack.cseq.method) == ("ACK", 10, "ACK")
    assert ack.top_via.branch == "z9hG4bKack"
    assert ack.uri == "sip:2001@192.0.2.77:5070"
    assert len(ack.routes) == 2
    assert dialog.local_seq == 10  # ACK does not consume a sequence number


def test_given_captured_sipp_invite_when_uas_dialog_made_then_state_from_rfc_12_1_1():
    request = SipRequest.parse((DATA / "sipp-uac-invite.sip").read_bytes())
    contact = NameAddr(SipUri("127.0.0.1", "uas", 53545))
    dialog = Dialog.as_uas(request, "as7f3a", contact, confirmed=True)
    assert dialog.id == ("1-23446@127.0.0.1", "as7f3a", "23446SIPpTag001")
    assert dialog.remote_target == SipUri("127.0.0.1", "sipp", 5060)
    assert (dialog.remote_seq, dialog.local_seq) == (1, None)
    bye = SipRequest.parse((DATA / "sipp-uac-bye.sip").read_bytes())
    assert incoming_dialog_id(bye) == dialog.id
    assert dialog.receive_request(bye) is None
    assert dialog.state is DialogState.TERMINATED


def test_given_uas_dialog_when_it_sends_a_request_then_cseq_starts_and_uris_swap():
    request = SipRequest.parse((DATA / "sipp-uac-invite.sip").read_bytes())
    dialog = Dialog.as_uas(request, "as7f3a", NameAddr(SipUri("127.0.0.1", "uas")), confirmed=True)
    bye = dialog.bye(via("z9hG4bKuasbye"))
    assert bye.cseq.number == 1
    assert (bye.from_tag, bye.to_tag) == ("as7f3a", "23446SIPpTag001")
    assert bye.from_addr.uri == SipUri("127.0.0.1", "2001", 53545)
    assert bye.uri == "sip:sipp@127.0.0.1:5060"


def test_given_lower_cseq_when_in_dialog_request_received_then_500_and_ack_cancel_exempt():
    request = SipRequest.parse((DATA / "sipp-uac-invite.sip").read_bytes())
    dialog = Dialog.as_uas(request, "t", NameAddr(SipUri("127.0.0.1", "uas")), confirmed=True)
    assert (
        dialog.receive_request(SipRequest.parse((DATA / "sipp-uac-bye.sip").read_bytes())) is None
    )
    late = SipRequest.parse((DATA / "sipp-uac-invite.sip").read_bytes())  # CSeq 1 < 2
    assert dialog.receive_request(late) == 500
    assert (
        dialog.receive_request(SipRequest.parse((DATA / "sipp-uac-ack.sip").read_bytes())) is None
    )


def test_given_incoming_reinvite_with_new_contact_when_received_then_target_refreshed():
    request = SipRequest.parse((DATA / "sipp-uac-invite.sip").read_bytes())
    dialog = Dialog.as_uas(request, "t", NameAddr(SipUri("127.0.0.1", "uas")), confirmed=True)
    reinvite = SipRequest.parse((DATA / "sipp-uac-invite.sip").read_bytes())
    reinvite.headers.set("CSeq", "5 INVITE")
    reinvite.headers.set("Contact", "<sip:sipp@127.0.0.1:5999>")
    assert dialog.receive_request(reinvite) is None
    assert (dialog.remote_seq, dialog.remote_target) == (5, SipUri("127.0.0.1", "sipp", 5999))


def test_given_invite_without_contact_when_uas_dialog_made_then_error():
    request = invite()
    request.headers.remove("Contact")
    with pytest.raises(SipParseError, match="without Contact"):
        Dialog.as_uas(request, "t", NameAddr(SipUri("h")), confirmed=False)


def test_given_response_when_dialog_id_then_it_is_the_uac_view():
    request = invite()
    assert response_dialog_id(answered(request)) == ("dlg@hotline.test", "local1", "remote1")
