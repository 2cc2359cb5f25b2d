"""The jitter buffer: reorder, drop late and duplicate, conceal gaps, stay bounded."""

from __future__ import annotations

import pytest

from telephony.media.jitter import JitterBuffer

pytestmark = pytest.mark.unit
SILENCE = b"\x00\x00"


def frame(n: int) -> bytes:
    return n.to_bytes(2, "big")


def drain(buffer: JitterBuffer, ticks: int) -> list[bytes | None]:
    return [buffer.get() for _ in range(ticks)]


def test_given_reordered_frames_when_played_then_come_out_in_sequence_order():
    buffer = JitterBuffer(depth=3, capacity=8, silence=SILENCE)
    for seq in [10, 12, 11, 14, 13]:
        assert buffer.put(seq, frame(seq))
    assert drain(buffer, 5) == [frame(s) for s in range(10, 15)]


def test_given_fewer_than_depth_frames_when_ticked_then_nothing_yet():
    buffer = JitterBuffer(depth=3, silence=SILENCE)
    buffer.put(1, frame(1))
    buffer.put(2, frame(2))
    assert buffer.get() is None
    buffer.put(3, frame(3))
    assert buffer.get() == frame(1)


def test_given_missing_frame_when_played_then_last_frame_repeats_then_silence():
    buffer = JitterBuffer(depth=1, capacity=10, max_repeats=2, silence=SILENCE)
    buffer.put(1, frame(1))
    buffer.put(6, frame(6))
    assert drain(buffer, 6) == [frame(1), frame(1), frame(1), SILENCE, SILENCE, frame(6)]
    assert buffer.stats.concealed == 4


def test_given_late_and_duplicate_frames_when_put_then_dropped_and_counted():
    buffer = JitterBuffer(depth=1, silence=SILENCE)
    buffer.put(5, frame(5))
    buffer.put(6, frame(6))
    assert buffer.get() == frame(5)
    assert buffer.put(5, frame(5)) is False
    assert buffer.put(6, frame(6)) is False
    assert (buffer.stats.late, buffer.stats.duplicate) == (1, 1)


def test_given_more_frames_than_capacity_when_put_then_oldest_are_dropped():
    buffer = JitterBuffer(depth=2, capacity=4, silence=SILENCE)
    for seq in range(0, 10):
        buffer.put(seq, frame(seq))
    assert len(buffer) == 4
    assert drain(buffer, 4) == [frame(s) for s in range(6, 10)]
    assert buffer.stats.overflow == 6


def test_given_sequence_wrap_when_played_then_order_continues_across_zero():
    buffer = JitterBuffer(depth=2, silence=SILENCE)
    for seq in [65534, 0, 65535, 1]:
        buffer.put(seq, frame(seq))
    assert drain(buffer, 4) == [frame(65534), frame(65535), frame(0), frame(1)]


def test_given_stream_restart_with_big_jump_when_put_then_buffer_resynchronises():
    buffer = JitterBuffer(depth=1, silence=SILENCE)
    buffer.put(100, frame(100))
    assert buffer.get() == frame(100)
    assert buffer.put(30000, frame(30000))
    assert buffer.get() == frame(30000)


def test_given_underrun_when_ticked_then_none_until_refilled():
    buffer = JitterBuffer(depth=2, silence=SILENCE)
    buffer.put(1, frame(1))
    buffer.put(2, frame(2))
    assert drain(buffer, 3) == [frame(1), frame(2), None]
    buffer.put(3, frame(3))
    assert buffer.get() is None
    buffer.put(4, frame(4))
    assert drain(buffer, 2) == [frame(3), frame(4)]


@pytest.mark.parametrize(("depth", "capacity"), [(0, 5), (6, 5)])
def test_given_bad_sizes_when_built_then_value_error(depth, capacity):
    with pytest.raises(ValueError, match="depth"):
        JitterBuffer(depth=depth, capacity=capacity)


def test_given_a_new_ssrc_when_put_then_its_numbering_starts_afresh():
    buffer = JitterBuffer(depth=2, capacity=8, silence=SILENCE)
    for seq in (40_000, 40_001, 40_002):
        assert buffer.put(seq, frame(1), ssrc=0xAAAA)
    # A source whose numbers sit just below the old ones would otherwise be "late" forever.
    for seq in (39_000, 39_001, 39_002):
        assert buffer.put(seq, frame(2), ssrc=0xBBBB)
    assert drain(buffer, 3) == [frame(2)] * 3


def test_given_the_same_source_numbering_back_by_less_than_a_dropout_then_followed_after_a_run():
    buffer = JitterBuffer(depth=2, capacity=8, silence=SILENCE)
    for seq in range(1000, 1010):
        buffer.put(seq, frame(1))
    drain(buffer, 10)
    accepted = [buffer.put(seq, frame(2)) for seq in range(500, 540)]
    assert accepted[:24] == [False] * 24  # a few late packets are just late
    assert all(accepted[24:])  # a long run means the stream went back: follow it
    assert frame(2) in drain(buffer, 5)


def test_given_one_late_packet_amid_good_ones_then_dropped_without_losing_the_stream():
    buffer = JitterBuffer(depth=2, capacity=8, silence=SILENCE)
    for seq in (100, 101, 102):
        buffer.put(seq, frame(seq))
    drain(buffer, 2)
    assert not buffer.put(99, frame(99))
    assert buffer.put(103, frame(103))
    assert drain(buffer, 2) == [frame(102), frame(103)]
