"""G.711 codecs behind the factory: names, payload types, frames, transcoding."""

from __future__ import annotations

import pytest

from telephony.media.codecs import (
    PCM_FRAME_BYTES,
    SAMPLES_PER_FRAME,
    CodecError,
    PcmaCodec,
    PcmuCodec,
    codec_for_payload_type,
    get_codec,
    supported_codecs,
    transcode,
)
from telephony.media.tones import detect_tone, tone

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("name", "cls"),
    [("PCMU", PcmuCodec), ("pcmu/8000", PcmuCodec), ("audio/PCMA", PcmaCodec), ("PCMA", PcmaCodec)],
)
def test_given_encoding_name_when_looked_up_then_factory_returns_that_codec(name, cls):
    assert isinstance(get_codec(name), cls)


@pytest.mark.parametrize("name", ["G729", "PCMU/16000", "opus/48000/2", "", "telephone-event"])
def test_given_unsupported_name_when_looked_up_then_codec_error_lists_supported(name):
    with pytest.raises(CodecError, match="supported: \\['PCMU', 'PCMA'\\]"):
        get_codec(name)


def test_given_static_payload_types_when_looked_up_then_pcmu_is_0_and_pcma_is_8():
    assert codec_for_payload_type(0).encoding_name == "PCMU"
    assert codec_for_payload_type(8).encoding_name == "PCMA"
    with pytest.raises(CodecError):
        codec_for_payload_type(18)
    assert supported_codecs() == ["PCMU", "PCMA"]


@pytest.mark.parametrize("codec", [PcmuCodec(), PcmaCodec()])
def test_given_20ms_tone_when_encoded_and_decoded_then_160_bytes_and_tone_survives(codec):
    pcm = tone(1000.0, 0.02)
    payload = codec.encode(pcm)
    assert len(pcm) == PCM_FRAME_BYTES
    assert len(payload) == SAMPLES_PER_FRAME
    decoded = codec.decode(payload)
    assert len(decoded) == PCM_FRAME_BYTES
    assert detect_tone(decoded, 1000.0)


def test_given_silence_when_encoded_then_canonical_g711_silence_bytes():
    assert PcmuCodec().silence == b"\xff" * 160
    assert PcmaCodec().silence == b"\xd5" * 160


def test_given_odd_length_pcm_when_encoded_then_codec_error():
    with pytest.raises(CodecError, match="whole 16-bit samples"):
        PcmuCodec().encode(b"\x00\x01\x02")


def test_given_ulaw_payload_when_transcoded_to_alaw_then_same_audio_in_other_law():
    pcm = tone(440.0, 0.02, amplitude=0.5)
    ulaw = PcmuCodec().encode(pcm)
    alaw = transcode(ulaw, PcmuCodec(), PcmaCodec())
    assert alaw != ulaw
    assert detect_tone(PcmaCodec().decode(alaw), 440.0)
    back = transcode(alaw, PcmaCodec(), PcmuCodec())
    assert detect_tone(PcmuCodec().decode(back), 440.0)


def test_given_same_codec_when_transcoded_then_payload_is_the_same_object():
    payload = b"\x12" * 160
    assert transcode(payload, PcmaCodec(), PcmaCodec()) is payload


def test_given_codec_when_asked_then_mime_type_and_repr_are_readable():
    assert PcmuCodec().mime_type == "audio/PCMU"
    assert repr(PcmaCodec()) == "PcmaCodec()"
