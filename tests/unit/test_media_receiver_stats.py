"""Receiver statistics (RFC 3550 A.1, A.3, A.8): sequence wrap, loss, jitter, LSR/DLSR."""

from __future__ import annotations

import pytest

from telephony.media.receiver_stats import ReceiverStatistics
from telephony.media.rtp_packet import RtpPacket

pytestmark = pytest.mark.unit


def packet(seq: int, ts: int = 0) -> RtpPacket:
    return RtpPacket(0, seq % 65536, ts % 2**32, 42)


def feed(stats: ReceiverStatistics, seqs, start_ts=0, step_s=0.02, jitter_s=None):
    for i, seq in enumerate(seqs):
        arrival = 10.0 + i * step_s + (jitter_s[i % len(jitter_s)] if jitter_s else 0.0)
        stats.on_packet(packet(seq, start_ts + (seq - seqs[0]) * 160), arrival)


def test_given_new_source_when_first_packet_arrives_then_it_is_on_probation():
    stats = ReceiverStatistics(42)
    assert stats.on_packet(packet(100), 0.0) is False
    assert stats.on_packet(packet(101), 0.02) is True
    assert stats.received == 1


def test_given_in_order_stream_when_reported_then_no_loss_and_no_jitter():
    stats = ReceiverStatistics(42)
    feed(stats, list(range(1000, 1100)))
    block = stats.report_block(now=20.0)
    assert block.ssrc == 42
    assert (block.fraction_lost, block.cumulative_lost, block.jitter) == (0, 0, 0)
    assert block.highest_sequence == 1099


def test_given_every_tenth_packet_lost_when_reported_then_fraction_is_about_a_tenth():
    stats = ReceiverStatistics(42)
    feed(stats, [s for s in range(0, 201) if s < 2 or s % 10 != 5])
    block = stats.report_block(now=20.0)
    assert block.cumulative_lost == 20
    assert block.fraction_lost == (20 << 8) // 200


def test_given_two_intervals_when_second_has_no_loss_then_fraction_resets():
    stats = ReceiverStatistics(42)
    feed(stats, [0, 1, 2, 4, 5])
    assert stats.report_block(now=1.0).fraction_lost > 0
    for seq in range(6, 20):
        stats.on_packet(packet(seq), 2.0)
    block = stats.report_block(now=3.0)
    assert block.fraction_lost == 0
    assert block.cumulative_lost == 1


def test_given_sequence_wraps_when_reported_then_extended_highest_counts_a_cycle():
    stats = ReceiverStatistics(42)
    feed(stats, [s % 65536 for s in range(65530, 65550)])
    block = stats.report_block(now=1.0)
    assert block.highest_sequence == 65536 + 13
    assert block.cumulative_lost == 0


def test_given_duplicates_when_reported_then_cumulative_loss_goes_negative():
    stats = ReceiverStatistics(42)
    feed(stats, [0, 1, 2, 3, 3, 3])
    assert stats.report_block(now=1.0).cumulative_lost == -2


def test_given_large_jump_when_two_sequential_packets_follow_then_source_restarts():
    stats = ReceiverStatistics(42)
    feed(stats, [0, 1, 2, 3])
    assert stats.on_packet(packet(20000), 1.0) is False
    assert stats.on_packet(packet(20001), 1.02) is True
    assert stats.extended_highest_sequence == 20001
    assert stats.cumulative_lost == 0


def test_given_late_reordered_packet_when_fed_then_it_counts_as_received():
    stats = ReceiverStatistics(42)
    feed(stats, [0, 1, 2, 4, 5, 3])
    assert stats.cumulative_lost == 0
    assert stats.extended_highest_sequence == 5


def test_given_alternating_10ms_delay_when_many_packets_then_jitter_converges_to_80_units():
    stats = ReceiverStatistics(42)
    feed(stats, list(range(0, 500)), jitter_s=[0.0, 0.01])
    assert stats.report_block(now=30.0).jitter == pytest.approx(80, abs=2)


def test_given_timestamp_wrap_when_delay_is_constant_then_no_jitter():
    stats = ReceiverStatistics(42)
    feed(stats, list(range(0, 50)), start_ts=2**32 - 800)
    assert stats.jitter == 0


def test_given_sender_report_when_reporting_later_then_lsr_and_dlsr_are_set():
    stats = ReceiverStatistics(42)
    feed(stats, [0, 1, 2])
    ntp = 0x0123456789ABCDEF
    stats.on_sender_report(ntp, arrival=10.0)
    block = stats.report_block(now=10.5)
    assert block.last_sr == 0x456789AB
    assert block.delay_since_last_sr == 32768
