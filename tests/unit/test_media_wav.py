"""WAV prompts in (PCM and G.711, converted to 8 kHz mono 16-bit) and recordings out."""

from __future__ import annotations

import struct
import wave

import pytest

from telephony.media.audioop_compat import audioop
from telephony.media.codecs import PcmaCodec, PcmuCodec
from telephony.media.tones import detect_tone, tone
from telephony.media.wav import (
    WavError,
    WavRecorder,
    decode_wav,
    encode_g711_wav,
    encode_wav,
    load_wav,
    read_format,
)

pytestmark = pytest.mark.unit
PCM = tone(1000.0, 0.1)  # 800 samples


def test_given_8khz_mono_pcm_wav_when_loaded_then_samples_unchanged(tmp_path):
    path = tmp_path / "p.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(PCM)
    assert load_wav(path) == PCM


@pytest.mark.parametrize(("codec", "alaw"), [(PcmuCodec(), False), (PcmaCodec(), True)])
def test_given_g711_wav_when_loaded_then_decoded_to_linear(codec, alaw):
    data = encode_g711_wav(codec.encode(PCM), alaw=alaw)
    assert read_format(data).tag == (6 if alaw else 7)
    assert decode_wav(data) == codec.decode(codec.encode(PCM))


def test_given_16khz_stereo_wav_when_loaded_then_resampled_and_mixed_to_mono():
    wide = tone(1000.0, 0.2)
    up, _ = audioop.ratecv(wide, 2, 1, 8000, 16000, None)
    stereo = audioop.tostereo(up, 2, 1.0, 1.0)
    pcm = decode_wav(encode_wav(stereo, rate=16000, channels=2))
    assert abs(len(pcm) - len(wide)) <= 4
    assert detect_tone(pcm[400:1200], 1000.0)


@pytest.mark.parametrize("bits", [8, 24, 32])
def test_given_other_sample_widths_when_loaded_then_converted_to_16_bit(bits):
    width = bits // 8
    samples = audioop.lin2lin(PCM, 2, width)
    if width == 1:
        samples = audioop.bias(samples, 1, 128)
    pcm = decode_wav(encode_wav(samples, bits=bits))
    assert len(pcm) == len(PCM)
    assert detect_tone(pcm, 1000.0)


def test_given_extensible_wav_with_pcm_subformat_when_loaded_then_accepted():
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 1, 8000, 16000, 2, 16, 22, 16, 4)
    fmt += struct.pack("<H14s", 1, b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71")
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data"
    body += struct.pack("<I", len(PCM)) + PCM
    assert decode_wav(b"RIFF" + struct.pack("<I", len(body)) + body) == PCM


@pytest.mark.parametrize(
    ("tag", "name"), [(3, "IEEE float"), (0x11, "IMA ADPCM"), (0x99, "format tag 0x0099")]
)
def test_given_unsupported_encoding_when_loaded_then_error_names_it(tmp_path, tag, name):
    data = bytearray(encode_wav(PCM))
    data[20:22] = struct.pack("<H", tag)
    path = tmp_path / "bad.wav"
    path.write_bytes(bytes(data))
    with pytest.raises(WavError, match=f"bad.wav: unsupported WAV encoding {name}"):
        load_wav(path)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not a RIFF/WAVE"),
        (b"RIFF\x00\x00\x00\x00AVI ", "not a RIFF/WAVE"),
        (b"RIFF\x04\x00\x00\x00WAVE", "no fmt or data"),
        (b"RIFF\x10\x00\x00\x00WAVEdata\x00\x00\x00\x00", "data chunk before fmt"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt \x02\x00\x00\x00\x01\x00", "fmt chunk too short"),
    ],
)
def test_given_broken_file_when_loaded_then_wav_error(data, reason):
    with pytest.raises(WavError, match=reason):
        decode_wav(data)


def test_given_twelve_bit_pcm_when_loaded_then_refused():
    with pytest.raises(WavError, match="12 bits"):
        decode_wav(encode_wav(PCM, bits=12))


def test_given_six_channels_when_loaded_then_refused():
    with pytest.raises(WavError, match="6 channels"):
        decode_wav(encode_wav(PCM * 3, channels=6))


def test_given_recorder_when_frames_written_then_file_is_8khz_mono_16bit(tmp_path):
    path = tmp_path / "rec.wav"
    with WavRecorder(path) as recorder:
        recorder.write(PCM)
        recorder.write(PCM)
        assert recorder.duration_s == pytest.approx(0.2)
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
        assert w.readframes(w.getnframes()) == PCM + PCM
    assert load_wav(path) == PCM + PCM
