"""Transport logic without sockets: TCP framing by Content-Length (RFC 3261 §18.3), the UDP
decode-and-delegate step on a fake datagram transport, and the endpoint's 400 when the TU finds a
malformed header."""

from __future__ import annotations

from pathlib import Path

import pytest

from acd.clock import VirtualClock, run_virtual
from telephony.sip.builders import build_response
from telephony.sip.endpoint import SipEndpoint
from telephony.sip.message import SipMessage, SipRequest, SipResponse
from telephony.sip.transaction import TransactionKey
from telephony.sip.transport import FramingError, Peer, StreamFramer, UdpTransport

pytestmark = pytest.mark.unit

DATA = Path(__file__).parents[1] / "data" / "sip"
INVITE = (DATA / "sipp-uac-invite.sip").read_bytes()
OPTIONS = (DATA / "options-folded.sip").read_bytes()
SOURCE = ("198.51.100.20", 40000)


class FakeDatagramTransport:
    """The few DatagramTransport methods the UDP transport uses."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, Peer]] = []
        self.closed = False

    def sendto(self, data: bytes, addr: Peer) -> None:
        self.sent.append((data, addr))

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str) -> object:
        return ("127.0.0.1", 5060) if name == "sockname" else None

    def close(self) -> None:
        self.closed = True


# --- framing ------------------------------------------------------------------------------------


def test_given_message_in_pieces_when_fed_then_one_frame_when_complete():
    framer = StreamFramer()
    assert framer.feed(INVITE[:100]) == []
    assert framer.feed(INVITE[100:-10]) == []
    assert framer.feed(INVITE[-10:]) == [INVITE]


def test_given_keepalives_and_two_messages_in_one_chunk_when_fed_then_all_frames_in_order():
    frames = StreamFramer().feed(b"\r\n\r\n" + INVITE + OPTIONS)
    assert frames == [b"\r\n", b"\r\n", INVITE, OPTIONS]


def test_given_content_length_before_other_headers_when_fed_then_body_kept_in_frame():
    message = (
        b"INVITE sip:1001@192.0.2.7 SIP/2.0\r\nContent-Length: 4\r\n"
        b"Content-Type: application/sdp\r\n\r\nv=0\n"
    )
    assert StreamFramer().feed(message + b"OPTIONS") == [message]


def test_given_message_without_content_length_when_fed_then_headers_only_frame():
    message = b"OPTIONS sip:x SIP/2.0\r\nCall-ID: a\r\n\r\n"
    assert StreamFramer().feed(message + b"rest") == [message]


@pytest.mark.parametrize(
    "data",
    [b"X" * 70_000, b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 999999\r\n\r\n"],
    ids=["endless headers", "huge body"],
)
def test_given_unframeable_stream_when_fed_then_framing_error(data):
    with pytest.raises(FramingError):
        StreamFramer(max_message=65_535).feed(data)


# --- UDP ingest -----------------------------------------------------------------------------------


def udp(received: list[tuple[SipMessage, Peer]], *, symmetric: bool = False):
    transport = UdpTransport(lambda m, p: received.append((m, p)), symmetric=symmetric)
    fake = FakeDatagramTransport()
    transport.connection_made(fake)  # type: ignore[arg-type]
    return transport, fake


def test_given_valid_request_when_datagram_received_then_delivered_with_via_stamped():
    received: list[tuple[SipMessage, Peer]] = []
    transport, _ = udp(received, symmetric=True)
    transport.datagram_received(INVITE, SOURCE)
    message, peer = received[0]
    assert peer == SOURCE
    assert isinstance(message, SipRequest)
    assert (message.top_via.received, message.top_via.rport) == SOURCE
    assert transport.stats.delivered == 1


def test_given_answerable_garbage_when_received_then_400_sent_to_the_source_not_the_via():
    received: list[tuple[SipMessage, Peer]] = []
    transport, fake = udp(received)
    transport.datagram_received(INVITE.replace(b"Max-Forwards: 70", b"Max-Forwards: x"), SOURCE)
    assert received == []
    data, peer = fake.sent[0]
    assert peer == SOURCE
    assert SipResponse.parse(data).status == 400
    assert transport.stats.answered_bad_request == 1


def test_given_unanswerable_garbage_and_keepalives_when_received_then_dropped_and_counted():
    transport, fake = udp([])
    for data in (b"\x16\x03\x01 tls hello", b"\r\n\r\n", INVITE[:30]):
        transport.datagram_received(data, SOURCE)
    assert fake.sent == []
    assert (transport.stats.dropped, transport.stats.keepalives) == (2, 1)
    assert transport.stats.received == 3


def test_given_handler_that_fails_when_message_received_then_counted_and_transport_lives():
    def explode(message: SipMessage, peer: Peer) -> None:
        raise RuntimeError("bug in the TU")

    transport = UdpTransport(explode)
    transport.connection_made(FakeDatagramTransport())  # type: ignore[arg-type]
    transport.datagram_received(INVITE, SOURCE)
    transport.datagram_received(INVITE, SOURCE)
    assert transport.stats.handler_errors == 2


def test_given_closed_transport_when_sending_then_os_error():
    transport, fake = udp([])
    fake.closed = True
    with pytest.raises(OSError, match="closed"):
        transport.send(SipRequest.parse(INVITE), SOURCE)
    assert transport.local_address == ("127.0.0.1", 5060)


# --- endpoint -----------------------------------------------------------------------------------


class PickyTu:
    """Reads the Contact of every request, as a UA core creating a dialog would."""

    def __init__(self) -> None:
        self.endpoint: SipEndpoint | None = None

    def on_request(self, request: SipRequest, key: TransactionKey | None, peer: Peer) -> None:
        _ = request.contacts
        assert self.endpoint is not None
        assert key is not None
        self.endpoint.respond(key, build_response(request, 200, to_tag="ok"))

    def on_response(self, response: SipResponse, key: TransactionKey | None, peer: Peer) -> None:
        raise AssertionError("no requests sent")


def test_given_tu_finding_malformed_contact_when_request_arrives_then_endpoint_answers_400():
    bad_contact = INVITE.replace(b"Contact: sip:sipp@", b"Contact: <sip:sipp@")

    async def main(clock: VirtualClock) -> list[bytes]:
        tu = PickyTu()
        endpoint = SipEndpoint(clock, tu)
        tu.endpoint = endpoint
        transport = UdpTransport(endpoint.receive)
        fake = FakeDatagramTransport()
        transport.connection_made(fake)  # type: ignore[arg-type]
        endpoint.attach(transport)
        transport.datagram_received(bad_contact, SOURCE)
        return [data for data, _ in fake.sent]

    sent = run_virtual(main, 1_700_000_000.0)
    statuses = [SipResponse.parse(data).status for data in sent]
    assert statuses == [100, 400]
    assert "missing '>'" in SipResponse.parse(sent[1]).reason
