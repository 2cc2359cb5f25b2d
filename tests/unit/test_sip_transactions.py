"""SIP transactions (RFC 3261 §17, RFC 6026) driven on the virtual clock: retransmission
schedules, timeouts, ACK generation, absorbing retransmissions, and transaction matching."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from acd.clock import VirtualClock, run_virtual
from telephony.sip.builders import build_request, build_response
from telephony.sip.client_transaction import ClientInviteTransaction, cancel_for
from telephony.sip.headers import Via
from telephony.sip.message import SipMessage, SipRequest, SipResponse
from telephony.sip.transaction import (
    PassUp,
    Send,
    StartTimer,
    State,
    TimerFired,
    TimerSettings,
    TransactionKey,
    cancel_target_key,
    client_key,
    server_key,
)
from telephony.sip.transaction_layer import TransactionLayer, TransactionRunner
from telephony.sip.uri import NameAddr, SipUri

pytestmark = pytest.mark.unit

START = 1_700_000_000.0
PEER = ("192.0.2.50", 5060)


def request(method: str = "INVITE", branch: str = "z9hG4bKtx1", cseq: int = 1) -> SipRequest:
    return build_request(
        method,
        "sip:2001@192.0.2.50",
        from_addr=NameAddr(SipUri("hotline.test", "agent")).with_tag("ft"),
        to_addr=NameAddr(SipUri("192.0.2.50", "2001")),
        call_id="tx-test@hotline.test",
        cseq=cseq,
        via=Via("UDP", "192.0.2.1", 5060, {"branch": branch}),
        contact=NameAddr(SipUri("192.0.2.1", "agent", 5060)),
    )


def ack(invite: SipRequest, to_tag: str = "uas") -> SipRequest:
    message = request("ACK", invite.top_via.branch or "", invite.cseq.number)
    message.headers.set("To", str(invite.to_addr.with_tag(to_tag)))
    return message


class Harness:
    """A transaction layer and runner on a virtual clock, recording what goes out and up."""

    def __init__(self, clock: VirtualClock, settings: TimerSettings, reliable: bool) -> None:
        self.clock = clock
        self.layer = TransactionLayer(settings, reliable=reliable)
        self.sent: list[tuple[float, SipMessage]] = []
        self.up: list[tuple[float, SipMessage, TransactionKey | None]] = []
        self.fail_sends = False
        self.runner = TransactionRunner(self.layer, clock, self._transmit, self._deliver)

    def t(self) -> float:
        return round(self.clock.now() - START, 3)

    def _transmit(self, message: SipMessage, peer: tuple[str, int]) -> None:
        if self.fail_sends:
            raise OSError("network unreachable")
        self.sent.append((self.t(), message))

    def _deliver(self, message: SipMessage, key: TransactionKey | None, peer) -> None:
        self.up.append((self.t(), message, key))

    def send_times(self, method: str | None = None, status: int | None = None) -> list[float]:
        return [t for t, m in self.sent if _is(m, method, status)]

    def up_statuses(self) -> list[int]:
        return [m.status for _, m, _ in self.up if isinstance(m, SipResponse)]


def _is(message: SipMessage, method: str | None, status: int | None) -> bool:
    if isinstance(message, SipRequest):
        return method is not None and message.method == method
    return status is not None and message.status == status


def run(
    scenario: Callable[[Harness], Awaitable[None]],
    settings: TimerSettings | None = None,
    reliable: bool = False,
) -> Harness:
    async def main(clock: VirtualClock) -> Harness:
        harness = Harness(clock, settings or TimerSettings(), reliable)
        await scenario(harness)
        return harness

    return run_virtual(main, START)


# --- client INVITE (§17.1.1) ----------------------------------------------------------------------


def test_given_invite_unanswered_when_timers_run_then_a_doubles_until_b_gives_408():
    invite = request()

    async def scenario(h: Harness) -> None:
        h.runner.send_request(invite, PEER)
        await h.clock.sleep(40)

    h = run(scenario)
    assert h.send_times("INVITE") == [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert [(t, s) for t, s in zip([t for t, *_ in h.up], h.up_statuses(), strict=True)] == [
        (32.0, 408)
    ]
    assert len(h.layer) == 0
    assert h.runner.running_timers == 0


def test_given_custom_t1_when_invite_unanswered_then_schedule_scales():
    async def scenario(h: Harness) -> None:
        h.runner.send_request(request(), PEER)
        await h.clock.sleep(10)

    h = run(scenario, TimerSettings(t1=0.1, t2=0.4))
    assert h.send_times("INVITE") == [0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3]
    assert h.up_statuses() == [408]
    assert h.up[0][0] == 6.4


def test_given_provisional_then_486_when_received_then_ack_sent_and_retransmits_absorbed():
    invite = request()

    async def scenario(h: Harness) -> None:
        h.runner.send_request(invite, PEER)
        await h.clock.sleep(0.7)
        h.runner.receive(build_response(invite, 180, to_tag="uas"), PEER)
        await h.clock.sleep(5)
        busy = build_response(invite, 486, to_tag="uas")
        h.runner.receive(busy, PEER)
        await h.clock.sleep(1)
        h.runner.receive(busy, PEER)  # retransmitted final response
        await h.clock.sleep(40)

    h = run(scenario)
    assert h.send_times("INVITE") == [0, 0.5]  # no retransmission once a 1xx came
    assert h.up_statuses() == [180, 486]  # the retransmitted 486 is not passed up again
    assert h.send_times("ACK") == [5.7, 6.7]
    ack_sent = next(m for _, m in h.sent if isinstance(m, SipRequest) and m.method == "ACK")
    assert isinstance(ack_sent, SipRequest)
    assert (ack_sent.uri, ack_sent.cseq.number, ack_sent.cseq.method) == (invite.uri, 1, "ACK")
    assert ack_sent.top_via.branch == invite.top_via.branch
    assert ack_sent.to_tag == "uas"
    assert len(h.layer) == 0  # timer D ended it


def test_given_2xx_when_received_then_accepted_passes_retransmitted_2xx_up_until_timer_m():
    invite = request()

    async def scenario(h: Harness) -> None:
        h.runner.send_request(invite, PEER)
        ok = build_response(invite, 200, to_tag="uas")
        h.runner.receive(ok, PEER)
        tx = h.layer.transaction(client_key(invite))
        assert tx is not None
        assert tx.state is State.ACCEPTED
        await h.clock.sleep(1)
        h.runner.receive(ok, PEER)
        await h.clock.sleep(40)
        h.runner.receive(ok, PEER)  # after timer M: a stray 2xx, still for the TU

    h = run(scenario)
    assert h.up_statuses() == [200, 200, 200]
    assert [key for *_, key in h.up][2] is None
    assert h.send_times("ACK") == []  # the TU acknowledges 2xx, not the transaction


def test_given_reliable_transport_when_invite_sent_then_no_retransmission_and_no_wait_d():
    invite = request()

    async def scenario(h: Harness) -> None:
        h.runner.send_request(invite, PEER)
        await h.clock.sleep(10)
        h.runner.receive(build_response(invite, 603, to_tag="uas"), PEER)

    h = run(scenario, reliable=True)
    assert h.send_times("INVITE") == [0]
    assert h.send_times("ACK") == [10]
    assert len(h.layer) == 0


def test_given_transport_error_when_sending_invite_then_503_to_the_tu():
    async def scenario(h: Harness) -> None:
        h.fail_sends = True
        h.runner.send_request(request(), PEER)
        await h.clock.sleep(1)

    h = run(scenario)
    assert h.up_statuses() == [503]
    assert len(h.layer) == 0
    assert h.runner.running_timers == 0


# --- client non-INVITE (§17.1.2) ------------------------------------------------------------------


def test_given_bye_unanswered_when_timers_run_then_e_doubles_to_t2_until_f_gives_408():
    async def scenario(h: Harness) -> None:
        h.runner.send_request(request("BYE", cseq=2), PEER)
        await h.clock.sleep(40)

    h = run(scenario)
    assert h.send_times("BYE") == [0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert h.up_statuses() == [408]
    assert h.up[0][0] == 32.0


def test_given_provisional_when_timer_e_fires_then_it_is_reset_to_t2():
    bye = request("BYE", cseq=2)

    async def scenario(h: Harness) -> None:
        h.runner.send_request(bye, PEER)
        await h.clock.sleep(0.2)
        h.runner.receive(build_response(bye, 100), PEER)
        await h.clock.sleep(12)
        h.runner.receive(build_response(bye, 200, to_tag="x"), PEER)
        await h.clock.sleep(10)

    h = run(scenario)
    assert h.send_times("BYE") == [0, 0.5, 4.5, 8.5]  # the 200 came at 12.2
    assert h.up_statuses() == [100, 200]


def test_given_final_response_when_retransmitted_then_absorbed_until_timer_k():
    options = request("OPTIONS")

    async def scenario(h: Harness) -> None:
        h.runner.send_request(options, PEER)
        ok = build_response(options, 200, to_tag="x")
        h.runner.receive(ok, PEER)
        await h.clock.sleep(4.9)
        h.runner.receive(ok, PEER)
        assert len(h.layer) == 1
        await h.clock.sleep(0.2)

    h = run(scenario)
    assert h.up_statuses() == [200]
    assert h.send_times("OPTIONS") == [0]
    assert len(h.layer) == 0  # timer K (T4 = 5 s)


# --- server INVITE (§17.2.1) ----------------------------------------------------------------------


def test_given_new_invite_when_received_then_passed_up_and_100_trying_sent_and_resent():
    invite = request()

    async def scenario(h: Harness) -> None:
        h.runner.receive(invite, PEER)
        await h.clock.sleep(1)
        h.runner.receive(invite, PEER)  # retransmission

    h = run(scenario)
    assert [m for _, m, _ in h.up] == [invite]
    assert h.send_times(status=100) == [0, 1]


def test_given_final_failure_sent_when_no_ack_then_g_retransmits_until_h():
    invite = request()

    async def scenario(h: Harness) -> None:
        h.runner.receive(invite, PEER)
        key = server_key(invite)
        h.runner.respond(key, build_response(invite, 180, to_tag="uas"))
        await h.clock.sleep(1)
        h.runner.receive(invite, PEER)  # answered with the last provisional
        h.runner.respond(key, build_response(invite, 480, to_tag="uas"))
        await h.clock.sleep(40)

    h = run(scenario)
    assert h.send_times(status=180) == [0, 1]
    assert h.send_times(status=480) == [1, 1.5, 2.5, 4.5, 8.5, 12.5, 16.5, 20.5, 24.5, 28.5, 32.5]
    assert len(h.layer) == 0  # timer H at 33
    assert h.runner.running_timers == 0


def test_given_ack_for_failure_when_received_then_confirmed_absorbs_and_timer_i_ends():
    invite = request()

    async def scenario(h: Harness) -> None:
        h.runner.receive(invite, PEER)
        key = server_key(invite)
        h.runner.respond(key, build_response(invite, 486, to_tag="uas"))
        await h.clock.sleep(2)
        h.runner.receive(ack(invite), PEER)
        tx = h.layer.transaction(key)
        assert tx is not None
        assert tx.state is State.CONFIRMED
        h.runner.receive(ack(invite), PEER)
        h.runner.receive(invite, PEER)
        await h.clock.sleep(6)

    h = run(scenario)
    assert h.send_times(status=486) == [0, 0.5, 1.5]
    assert [m.method for _, m, _ in h.up if isinstance(m, SipRequest)] == ["INVITE"]
    assert len(h.layer) == 0


def test_given_2xx_sent_when_ack_arrives_then_accepted_passes_ack_up_until_timer_l():
    invite = request()

    async def scenario(h: Harness) -> None:
        h.runner.receive(invite, PEER)
        key = server_key(invite)
        ok = build_response(invite, 200, to_tag="uas")
        h.runner.respond(key, ok)
        await h.clock.sleep(0.5)
        h.runner.respond(key, ok)  # the TU retransmits its 2xx (§13.3.1.4)
        h.runner.receive(invite, PEER)  # absorbed in Accepted
        h.runner.receive(ack(invite), PEER)
        await h.clock.sleep(40)

    h = run(scenario)
    assert h.send_times(status=200) == [0, 0.5]
    assert [m.method for _, m, _ in h.up if isinstance(m, SipRequest)] == ["INVITE", "ACK"]
    assert len(h.layer) == 0


# --- server non-INVITE (§17.2.2) ------------------------------------------------------------------


def test_given_non_invite_request_when_retransmitted_then_absorbed_then_answered_until_j():
    bye = request("BYE", cseq=2)

    async def scenario(h: Harness) -> None:
        h.runner.receive(bye, PEER)
        h.runner.receive(bye, PEER)  # Trying: absorbed
        h.runner.respond(server_key(bye), build_response(bye, 200, to_tag="uas"))
        await h.clock.sleep(10)
        h.runner.receive(bye, PEER)  # Completed: the 200 again
        await h.clock.sleep(30)

    h = run(scenario)
    assert [m for _, m, _ in h.up] == [bye]
    assert h.send_times(status=200) == [0, 10]
    assert len(h.layer) == 0  # timer J (64*T1)


def test_given_second_final_response_from_tu_when_completed_then_discarded():
    bye = request("BYE", cseq=2)

    async def scenario(h: Harness) -> None:
        h.runner.receive(bye, PEER)
        h.runner.respond(server_key(bye), build_response(bye, 200, to_tag="uas"))
        h.runner.respond(server_key(bye), build_response(bye, 500, to_tag="uas"))

    h = run(scenario)
    assert h.send_times(status=200) == [0]
    assert h.send_times(status=500) == []


def test_given_reliable_transport_when_non_invite_answered_then_terminated_at_once():
    bye = request("BYE", cseq=2)

    async def scenario(h: Harness) -> None:
        h.runner.receive(bye, PEER)
        h.runner.respond(server_key(bye), build_response(bye, 200, to_tag="uas"))

    h = run(scenario, reliable=True)
    assert len(h.layer) == 0


# --- the pure machines and the keys ---------------------------------------------------------------


def test_given_client_invite_machine_when_started_then_actions_name_rfc_timers():
    tx = ClientInviteTransaction(request(), TimerSettings())
    assert tx.start() == [Send(tx.request), StartTimer("A", 0.5), StartTimer("B", 32.0)]
    assert tx.handle(TimerFired("A")) == [Send(tx.request), StartTimer("A", 1.0)]
    actions = tx.handle(TimerFired("B"))
    assert isinstance(actions[0], PassUp)
    assert tx.terminated


def test_given_timer_irrelevant_to_state_when_fired_then_absorbed():
    tx = ClientInviteTransaction(request(), TimerSettings())
    tx.start()
    assert tx.handle(TimerFired("K")) == []
    assert tx.state is State.CALLING


def test_given_response_when_keyed_then_matches_client_transaction_of_its_request():
    invite = request()
    assert client_key(build_response(invite, 180)) == client_key(invite)
    cancel = cancel_for(invite)
    assert client_key(cancel) != client_key(invite)  # CANCEL is its own transaction (§9.1)


def test_given_ack_for_non_2xx_when_keyed_then_matches_invite_server_transaction():
    invite = request()
    assert server_key(ack(invite)) == server_key(invite)
    other_host = request()
    other_host.headers.set("Via", "SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKtx1")
    assert server_key(other_host) != server_key(invite)  # same branch, other sent-by


def test_given_cancel_when_target_keyed_then_it_is_the_invite_server_transaction():
    invite = request()
    cancel = cancel_for(invite)
    assert (cancel.method, cancel.cseq.method, cancel.cseq.number) == ("CANCEL", "CANCEL", 1)
    assert cancel_target_key(cancel) == server_key(invite)
    assert server_key(cancel) != server_key(invite)


def test_given_rfc2543_branch_when_keyed_then_dialog_fields_are_used():
    old = request(branch="abc123")
    assert server_key(old)[0] == "server-2543"
    assert server_key(ack(old)) == server_key(old)


def test_given_stray_responses_when_received_then_2xx_to_invite_up_and_others_dropped():
    layer = TransactionLayer()
    invite = request()
    stray_ok = layer.receive(build_response(invite, 200, to_tag="x"), PEER)
    assert stray_ok.key is None
    assert [type(a) for a in stray_ok.actions] == [PassUp]
    assert layer.receive(build_response(invite, 486, to_tag="x"), PEER).actions == []
    assert layer.receive(build_response(request("BYE"), 200), PEER).actions == []


def test_given_ack_without_transaction_when_received_then_passed_up_for_the_dialog():
    routed = TransactionLayer().receive(ack(request()), PEER)
    assert routed.key is None
    assert [type(a) for a in routed.actions] == [PassUp]


def test_given_full_table_when_new_request_then_503_without_transaction():
    layer = TransactionLayer(max_transactions=2)
    layer.receive(request("OPTIONS", "z9hG4bK1"), PEER)
    layer.receive(request("OPTIONS", "z9hG4bK2"), PEER)
    routed = layer.receive(request("OPTIONS", "z9hG4bK3"), PEER)
    assert len(layer) == 2
    assert routed.key is None
    sent = routed.actions[0]
    assert isinstance(sent, Send)
    assert isinstance(sent.message, SipResponse)
    assert sent.message.status == 503
