"""Tone generation and Goertzel detection, including in-band DTMF."""

from __future__ import annotations

import pytest

from telephony.media.codecs import PcmaCodec, PcmuCodec
from telephony.media.tones import (
    detect_dtmf,
    detect_tone,
    dtmf_tone,
    goertzel_power,
    tone,
    tone_ratio,
)

pytestmark = pytest.mark.unit


def test_given_tone_when_generated_then_length_matches_duration():
    assert len(tone(440.0, 0.02)) == 320


@pytest.mark.parametrize("frequency", [400.0, 1000.0, 1800.0])
def test_given_pure_tone_when_measured_then_its_frequency_dominates(frequency):
    pcm = tone(frequency, 0.02)
    assert tone_ratio(pcm, frequency) > 0.9
    assert tone_ratio(pcm, frequency + 400) < 0.05
    assert detect_tone(pcm, frequency)
    assert not detect_tone(pcm, frequency + 400)


def test_given_silence_or_quiet_noise_when_detected_then_no_tone():
    assert not detect_tone(bytes(320), 1000.0)
    assert tone_ratio(bytes(320), 1000.0) == 0.0
    assert goertzel_power(b"", 1000.0) == 0.0
    assert not detect_tone(tone(1000.0, 0.02, amplitude=0.001), 1000.0)


def test_given_tone_through_g711_when_detected_then_still_found():
    for codec in (PcmuCodec(), PcmaCodec()):
        assert detect_tone(codec.decode(codec.encode(tone(1004.0, 0.02))), 1004.0)


@pytest.mark.parametrize("digit", list("0123456789*#ABCD"))
def test_given_dtmf_tone_when_detected_then_same_key(digit):
    assert detect_dtmf(dtmf_tone(digit, 0.04)) == digit


def test_given_dtmf_through_ulaw_when_detected_then_same_key():
    codec = PcmuCodec()
    assert detect_dtmf(codec.decode(codec.encode(dtmf_tone("7", 0.04)))) == "7"


def test_given_single_tone_or_silence_when_dtmf_detected_then_none():
    assert detect_dtmf(tone(697.0, 0.04)) is None
    assert detect_dtmf(tone(1000.0, 0.04)) is None
    assert detect_dtmf(bytes(640)) is None


def test_given_non_key_when_tone_requested_then_value_error():
    with pytest.raises(ValueError, match="not a DTMF key"):
        dtmf_tone("X")
