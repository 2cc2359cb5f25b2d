"""Digit collection rules: max digits, terminator, first-digit, inter-digit, overall timeouts."""

from __future__ import annotations

import pytest

from telephony.media.collect import CollectResult, CollectSpec, DigitCollector

pytestmark = pytest.mark.unit
SPEC = CollectSpec(
    max_digits=4, first_digit_timeout_s=5, inter_digit_timeout_s=3, overall_timeout_s=12
)


def test_given_enough_digits_when_collected_then_max_digits_result():
    collector = DigitCollector(SPEC, started_at=100.0)
    assert [collector.on_digit(d, 101.0) for d in "123"] == [None, None, None]
    assert collector.on_digit("4", 102.0) == CollectResult("1234", "max_digits")


def test_given_terminator_when_pressed_then_digits_so_far_without_it():
    collector = DigitCollector(SPEC, started_at=0.0)
    collector.on_digit("9", 1.0)
    assert collector.on_digit("#", 2.0) == CollectResult("9", "terminator")
    assert collector.on_digit("1", 3.0) == CollectResult("9", "terminator")


def test_given_no_digit_when_first_digit_timeout_passes_then_first_digit_timeout():
    collector = DigitCollector(SPEC, started_at=0.0)
    assert collector.deadline() == 5.0
    assert collector.on_timeout(4.9) is None
    assert collector.on_timeout(5.0) == CollectResult("", "first_digit_timeout")


def test_given_pause_after_a_digit_when_inter_digit_timeout_passes_then_partial_digits():
    collector = DigitCollector(SPEC, started_at=0.0)
    collector.on_digit("1", 2.0)
    assert collector.deadline() == 5.0
    assert collector.on_timeout(5.0) == CollectResult("1", "inter_digit_timeout")


def test_given_slow_steady_digits_when_overall_timeout_passes_then_overall_timeout():
    collector = DigitCollector(CollectSpec(10, overall_timeout_s=6, inter_digit_timeout_s=3), 0.0)
    for t in (2.0, 4.0):
        collector.on_digit("1", t)
    assert collector.deadline() == 6.0
    assert collector.on_timeout(6.0) == CollectResult("11", "overall_timeout")


def test_given_zero_max_digits_when_specified_then_value_error():
    with pytest.raises(ValueError, match="max_digits"):
        CollectSpec(max_digits=0)
