"""The carrier's call legs on a manual clock with a recording transport: the lifecycle tables,
the caller's 200 resent until the ACK (and a BYE when none comes, RFC 3261 §13.3.1.4), and the
agent's INVITE with CANCEL only after a 1xx, a 200 crossing the CANCEL, and the §9.1 give-up."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from telephony.carrier.agent_leg import AgentLeg, offer_invite
from telephony.carrier.caller_leg import CallerLeg
from telephony.carrier.legs import AGENT_LEG, CALLER_LEG, Leg, LegState
from telephony.carrier.negotiation import AnsweredMedia, OfferedMedia, new_sdp_session
from telephony.carrier.phones import PhoneContact
from telephony.carrier.signalling import Signalling
from telephony.media.codecs import get_codec
from telephony.media.offer_answer import LocalMedia, NegotiatedAudio
from telephony.media.rtp_endpoint import RtpEndpoint
from telephony.sip.builders import build_request, build_response
from telephony.sip.endpoint import SipEndpoint
from telephony.sip.headers import Via
from telephony.sip.message import SipMessage, SipRequest, SipResponse
from telephony.sip.transaction import TimerSettings, TransactionKey
from telephony.sip.uri import NameAddr, SipUri

pytestmark = pytest.mark.unit
NOW = 1_700_000_000.0
US = ("192.0.2.1", 5060)
PHONE = ("203.0.113.7", 40000)
TRUNK = ("198.51.100.2", 5060)
PHONE_SDP = (
    b"v=0\r\no=phone 1 1 IN IP4 203.0.113.7\r\ns=-\r\nc=IN IP4 203.0.113.7\r\nt=0 0\r\n"
    b"m=audio 30000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
)


@dataclass
class Handle:
    due: float
    callback: object
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


class StepClock:
    """A clock whose timers run when the test advances it."""

    def __init__(self) -> None:
        self.t = NOW
        self.handles: list[Handle] = []

    def now(self) -> float:
        return self.t

    def call_later(self, delay, callback):
        handle = Handle(self.t + max(0.0, delay), callback)
        self.handles.append(handle)
        return handle

    async def sleep(self, delay):
        raise AssertionError("not used")

    def advance(self, seconds: float) -> None:
        end = self.t + seconds
        while True:
            due = [h for h in self.handles if not h.cancelled and h.due <= end]
            if not due:
                break
            handle = min(due, key=lambda h: h.due)
            self.handles.remove(handle)
            self.t = handle.due
            handle.callback()
        self.t = end


class Wire:
    """A transport that keeps what is sent."""

    reliable = False

    def __init__(self) -> None:
        self.sent: list[tuple[SipMessage, tuple[str, int]]] = []

    def send(self, message: SipMessage, peer: tuple[str, int]) -> None:
        self.sent.append((message, peer))

    def requests(self, method: str) -> list[SipRequest]:
        return [m for m, _ in self.sent if isinstance(m, SipRequest) and m.method == method]

    def statuses(self) -> list[int]:
        return [m.status for m, _ in self.sent if isinstance(m, SipResponse)]


@dataclass
class Recorder:
    """The transaction user and the legs' events sink in one."""

    keys: list[TransactionKey] = field(default_factory=list)
    legs: list[AgentLeg] = field(default_factory=list)
    happened: list[tuple[str, str]] = field(default_factory=list)

    def on_request(self, request, key, peer) -> None:
        if key is not None:
            self.keys.append(key)

    def on_response(self, response, key, peer) -> None:
        for leg in self.legs:
            leg.on_response(response)

    def caller_left(self, leg, cause):
        self.happened.append(("caller_left", cause))

    def caller_lost(self, leg):
        self.happened.append(("caller_lost", ""))

    def agent_answered(self, leg):
        self.happened.append(("agent_answered", leg.agent_id))

    def agent_declined(self, leg, reason):
        self.happened.append(("agent_declined", reason))

    def agent_hung_up(self, leg):
        self.happened.append(("agent_hung_up", leg.agent_id))

    def leg_gone(self, leg):
        self.happened.append(("leg_gone", leg.agent_id))


def stack() -> tuple[StepClock, Wire, Recorder, Signalling]:
    clock, wire, recorder = StepClock(), Wire(), Recorder()
    endpoint = SipEndpoint(clock, recorder)
    endpoint.attach(wire)
    return clock, wire, recorder, Signalling(endpoint, *US)


def endpoint_without_sockets() -> RtpEndpoint:
    pcmu = get_codec("PCMU")
    return RtpEndpoint(pcmu, pcmu.payload_type, 101)


# --- the tables -----------------------------------------------------------------------------------


def test_given_tables_when_events_applied_then_moves_follow_and_others_are_refused():
    caller = LegState(CALLER_LEG, "c1", "caller")
    assert not caller.change("ack")  # nothing to acknowledge yet
    assert caller.change("answer")
    assert caller.change("ack")
    assert caller.state is Leg.UP
    assert not caller.change("cancel")  # too late to cancel an answered call
    assert caller.change("bye")
    assert caller.ended
    assert caller.history == [
        "ringing -[answer]-> answering",
        "answering -[ack]-> up",
        "up -[bye]-> ended",
    ]
    agent = LegState(AGENT_LEG, "c1", "agent:a1")
    assert agent.change("cancel-early")
    assert agent.state is Leg.CANCEL_PENDING
    assert agent.can("provisional")
    assert not agent.can("bye")


def test_given_every_table_row_when_read_then_ended_is_final():
    for table in (CALLER_LEG, AGENT_LEG):
        assert not [key for key in table if key[0] is Leg.ENDED]


# --- a caller's leg -------------------------------------------------------------------------------


def incoming_invite(
    wire_recorder: Recorder, signalling: Signalling
) -> tuple[SipRequest, TransactionKey]:
    invite = build_request(
        "INVITE",
        "sip:100@192.0.2.1",
        from_addr=NameAddr(SipUri(TRUNK[0], "+8613800000001")).with_tag("caller-tag"),
        to_addr=NameAddr(SipUri(US[0], "100")),
        call_id="in-1@trunk",
        cseq=1,
        via=Via("UDP", TRUNK[0], TRUNK[1], {"branch": "z9hG4bK-in-1"}),
        contact=NameAddr(SipUri(TRUNK[0], "trunk", TRUNK[1])),
        body=PHONE_SDP,
        content_type="application/sdp",
    )
    signalling.endpoint.receive(invite, TRUNK)
    return invite, wire_recorder.keys[-1]


def answered_media() -> AnsweredMedia:
    agreed = NegotiatedAudio("203.0.113.7", 30000, "PCMU", 0, 101, "sendrecv")
    return AnsweredMedia(endpoint_without_sockets(), b"v=0\r\n", agreed, new_sdp_session(US[0]))


def caller_leg() -> tuple[StepClock, Wire, Recorder, CallerLeg]:
    clock, wire, recorder, signalling = stack()
    invite, key = incoming_invite(recorder, signalling)
    leg = CallerLeg("c1", invite, key, signalling, clock, TimerSettings(), recorder)
    leg.media = answered_media()
    return clock, wire, recorder, leg


def test_given_caller_leg_when_read_then_numbers_come_from_the_invite():
    *_, leg = caller_leg()
    assert (leg.ani, leg.dnis) == ("+8613800000001", "100")
    assert leg.dialog_key == ("in-1@trunk", leg.tag)


def test_given_answered_caller_when_no_ack_then_200_resent_doubling_then_bye_and_lost():
    clock, wire, recorder, leg = caller_leg()
    leg.ring()
    assert leg.answer()
    clock.advance(3.6)  # resent at 0.5, 1.5 and 3.5 s (T1 doubling)
    assert wire.statuses() == [100, 180, 200, 200, 200, 200]
    clock.advance(40.0)
    assert recorder.happened == [("caller_lost", "")]
    byes = wire.requests("BYE")  # resent on timer E: nobody answers it here
    assert {b.top_via.branch for b in byes} == {byes[0].top_via.branch}
    assert byes[0].uri == "sip:trunk@198.51.100.2:5060"
    assert leg.state.ended


def test_given_answered_caller_when_ack_comes_then_no_more_resends():
    clock, wire, recorder, leg = caller_leg()
    leg.answer()
    leg.acked()
    clock.advance(60.0)
    assert wire.statuses().count(200) == 1
    assert recorder.happened == []
    assert leg.state.state is Leg.UP


def test_given_ringing_caller_when_cancel_then_200_and_487_and_caller_left():
    _, wire, recorder, leg = caller_leg()
    leg.ring()
    cancel = SipRequest("CANCEL", leg.invite.uri, leg.invite.headers.copy())
    cancel.headers.set("CSeq", "1 CANCEL")
    leg.cancelled(cancel, ("server", "z9hG4bK-in-1", "198.51.100.2", "5060", "CANCEL"))
    assert 487 in wire.statuses()
    assert recorder.happened == [("caller_left", "cancelled")]
    assert not leg.answer()  # the engine's answer comes too late


def test_given_ringing_caller_when_we_hang_up_then_480():
    _, wire, _, leg = caller_leg()
    leg.hang_up()
    assert wire.statuses()[-1] == 480
    assert wire.requests("BYE") == []


# --- an agent's leg -------------------------------------------------------------------------------


def agent_leg() -> tuple[StepClock, Wire, Recorder, AgentLeg]:
    clock, wire, recorder, signalling = stack()
    phone = PhoneContact(SipUri("10.0.0.5", "1001", 0), *PHONE)  # a Contact we cannot reach
    offer = new_sdp_session(US[0]).offer(LocalMedia(US[0], 20000))
    media = OfferedMedia(endpoint_without_sockets(), offer)
    invite = offer_invite(signalling, phone, "1001", "+8613800000001", media)
    leg = AgentLeg("c1", "a1", invite, phone, media, signalling, clock, TimerSettings(), recorder)
    recorder.legs.append(leg)
    leg.send()
    return clock, wire, recorder, leg


def phone_says(leg: AgentLeg, status: int, *, sdp: bytes = b"") -> None:
    extra = [("Contact", "<sip:1001@10.0.0.5:0>")] if status < 300 else []
    response = build_response(
        leg.invite, status, to_tag="phone-tag", extra=extra, body=sdp,
        content_type="application/sdp" if sdp else None,
    )  # fmt: skip
    leg._sip.endpoint.receive(response, PHONE)


def test_given_offer_when_sent_then_invite_goes_to_the_registered_source_showing_the_caller():
    _, wire, _, _ = agent_leg()
    (invite,) = wire.requests("INVITE")
    assert wire.sent[0][1] == PHONE
    assert invite.uri == "sip:1001@10.0.0.5:0"
    assert invite.from_addr.display_name == "+8613800000001"
    assert b"m=audio 20000 RTP/AVP 0 8 101" in invite.body


def test_given_cancel_before_any_1xx_when_180_arrives_then_cancel_goes_then():
    _, wire, recorder, leg = agent_leg()
    leg.cancel()
    assert wire.requests("CANCEL") == []
    phone_says(leg, 180)
    (cancel,) = wire.requests("CANCEL")
    assert cancel.top_via.branch == leg.invite.top_via.branch
    phone_says(leg, 487)
    assert leg.state.ended
    assert recorder.happened == []  # the engine withdrew the offer itself: nothing to report


def test_given_cancel_sent_when_200_crosses_it_then_ack_and_bye_and_no_answer_reported():
    _, wire, recorder, leg = agent_leg()
    phone_says(leg, 180)
    leg.cancel()
    phone_says(leg, 200, sdp=PHONE_SDP)
    assert len(wire.requests("ACK")) == 1
    (bye,) = wire.requests("BYE")
    assert [p for m, p in wire.sent if m is bye] == [PHONE]
    assert ("agent_answered", "a1") not in recorder.happened
    assert leg.state.ended


def test_given_ringing_phone_when_busy_then_declined_with_the_status():
    _, _, recorder, leg = agent_leg()
    phone_says(leg, 180)
    phone_says(leg, 486)
    assert recorder.happened == [("agent_declined", "486 Busy Here")]


def test_given_phone_answers_when_200_then_ack_media_pointed_and_answer_reported():
    _, wire, recorder, leg = agent_leg()
    phone_says(leg, 180)
    phone_says(leg, 200, sdp=PHONE_SDP)
    phone_says(leg, 200, sdp=PHONE_SDP)  # a retransmission: ACKed again, reported once
    assert len(wire.requests("ACK")) == 2
    assert recorder.happened == [("agent_answered", "a1")]
    assert leg.media.endpoint.remote == ("203.0.113.7", 30000)
    assert leg.answered


def test_given_answer_without_usable_sdp_when_200_then_bye_and_declined():
    _, wire, recorder, leg = agent_leg()
    phone_says(leg, 200, sdp=PHONE_SDP.replace(b"0 101", b"18").replace(b"PCMU", b"G729"))
    assert len(wire.requests("BYE")) == 1
    assert recorder.happened[0][0] == "agent_declined"


def test_given_answered_agent_when_phone_hangs_up_then_200_and_hung_up_reported():
    clock, _, recorder, leg = agent_leg()
    phone_says(leg, 200, sdp=PHONE_SDP)
    assert leg.dialog is not None
    bye = build_request(
        "BYE", "sip:hotline@192.0.2.1:5060",
        from_addr=NameAddr(SipUri("10.0.0.5", "1001")).with_tag("phone-tag"),
        to_addr=leg.invite.from_addr, call_id=leg.invite.call_id, cseq=2,
        via=Via("UDP", PHONE[0], PHONE[1], {"branch": "z9hG4bK-bye"}),
    )  # fmt: skip
    leg.bye_received(bye, ("server", "z9hG4bK-bye", PHONE[0], str(PHONE[1]), "BYE"))
    assert ("agent_hung_up", "a1") in recorder.happened
    clock.advance(40.0)
    assert recorder.happened[-1] == ("leg_gone", "a1")


def test_given_cancel_unanswered_when_64_t1_pass_then_invite_transaction_destroyed():
    clock, _, _, leg = agent_leg()
    phone_says(leg, 180)
    leg.cancel()
    layer = leg._sip.endpoint.runner.layer
    assert len(layer) == 2  # the INVITE, still proceeding, and the CANCEL
    clock.advance(33.0)
    assert leg.state.ended
    assert len(layer) == 0
    assert leg.state.history[-1] == "cancelling -[cancel-timeout]-> ended"
