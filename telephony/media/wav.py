"""WAV files: prompts in, recordings out.

Prompts are loaded into the media layer's one linear format, 16-bit signed mono PCM at 8000 Hz.
Accepted on load: PCM (8, 16, 24 or 32 bit) and G.711 µ-law or A-law WAV files, in
WAVE_FORMAT_EXTENSIBLE wrappers too; other sample rates are resampled and stereo is mixed down to
mono. Anything else (float, ADPCM, MP3 in WAV, ...) is refused with a `WavError` that names the
format. Recordings are written as 16-bit PCM at 8000 Hz with the standard library's `wave`.
"""

from __future__ import annotations

import struct
import wave
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from telephony.media.audioop_compat import audioop
from telephony.media.codecs import SAMPLE_RATE, SAMPLE_WIDTH

FORMAT_PCM = 0x0001
FORMAT_ALAW = 0x0006
FORMAT_MULAW = 0x0007
FORMAT_EXTENSIBLE = 0xFFFE
_FORMAT_NAMES = {
    0x0002: "Microsoft ADPCM",
    0x0003: "IEEE float",
    0x0011: "IMA ADPCM",
    0x0031: "GSM 6.10",
    0x0055: "MP3",
}
_FMT = struct.Struct("<HHIIHH")


class WavError(ValueError):
    """The file is not a WAV file we can play."""


@dataclass(frozen=True, slots=True)
class WavFormat:
    """The fmt chunk fields that matter (format tag after unwrapping EXTENSIBLE)."""

    tag: int
    channels: int
    rate: int
    bits: int


def load_wav(path: Path) -> bytes:
    """A prompt file as 16-bit mono 8 kHz PCM; raise `WavError` naming the problem and the file."""
    try:
        return decode_wav(path.read_bytes())
    except WavError as exc:
        raise WavError(f"{path}: {exc}") from exc


def decode_wav(data: bytes) -> bytes:
    """WAV bytes as 16-bit mono 8 kHz PCM, converting rate, width, channels and G.711."""
    fmt, samples = _chunks(data)
    pcm = _to_linear16(fmt, samples)
    if fmt.channels == 2:
        pcm = audioop.tomono(pcm, SAMPLE_WIDTH, 0.5, 0.5)
    elif fmt.channels != 1:
        raise WavError(f"{fmt.channels} channels: only mono or stereo prompts are supported")
    if fmt.rate != SAMPLE_RATE:
        pcm, _ = audioop.ratecv(pcm, SAMPLE_WIDTH, 1, fmt.rate, SAMPLE_RATE, None)
    return pcm


def read_format(data: bytes) -> WavFormat:
    """The format of WAV bytes, without converting the samples."""
    return _chunks(data)[0]


def _chunks(data: bytes) -> tuple[WavFormat, bytes]:
    """The fmt and data chunks of a RIFF/WAVE file."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError("not a RIFF/WAVE file")
    fmt: WavFormat | None = None
    offset = 12
    while offset + 8 <= len(data):
        chunk_id, size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        body = data[offset + 8 : offset + 8 + size]
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(body)
        elif chunk_id == b"data":
            if fmt is None:
                raise WavError("data chunk before fmt chunk")
            return fmt, body[: len(body) - len(body) % _frame_bytes(fmt)]
        offset += 8 + size + (size & 1)  # chunks are padded to an even size
    raise WavError("no fmt or data chunk")


def _parse_fmt(body: bytes) -> WavFormat:
    if len(body) < _FMT.size:
        raise WavError("fmt chunk too short")
    tag, channels, rate, _, _, bits = _FMT.unpack_from(body)
    if tag == FORMAT_EXTENSIBLE:
        if len(body) < 26:
            raise WavError("WAVE_FORMAT_EXTENSIBLE without a sub-format")
        tag = struct.unpack_from("<H", body, 24)[0]  # first two bytes of the sub-format GUID
    if tag not in (FORMAT_PCM, FORMAT_ALAW, FORMAT_MULAW):
        name = _FORMAT_NAMES.get(tag, f"format tag 0x{tag:04x}")
        raise WavError(f"unsupported WAV encoding {name}: use PCM or G.711 (µ-law/A-law)")
    if channels < 1 or rate < 1:
        raise WavError(f"bad fmt chunk: {channels} channels at {rate} Hz")
    return WavFormat(tag, channels, rate, bits)


def _frame_bytes(fmt: WavFormat) -> int:
    return fmt.channels * (1 if fmt.tag != FORMAT_PCM else max(1, fmt.bits // 8))


def _to_linear16(fmt: WavFormat, samples: bytes) -> bytes:
    if fmt.tag == FORMAT_MULAW:
        return audioop.ulaw2lin(samples, SAMPLE_WIDTH)
    if fmt.tag == FORMAT_ALAW:
        return audioop.alaw2lin(samples, SAMPLE_WIDTH)
    if fmt.bits not in (8, 16, 24, 32):
        raise WavError(f"unsupported PCM sample size: {fmt.bits} bits")
    width = fmt.bits // 8
    if width == 1:  # 8-bit WAV samples are unsigned
        samples = audioop.bias(samples, 1, -128)
    return audioop.lin2lin(samples, width, SAMPLE_WIDTH)


class WavRecorder:
    """Writes 16-bit mono 8 kHz PCM frames to a WAV file as they come (a call recording)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = wave.open(str(path), "wb")  # noqa: SIM115 - closed by close()
        self._file.setnchannels(1)
        self._file.setsampwidth(SAMPLE_WIDTH)
        self._file.setframerate(SAMPLE_RATE)
        self.samples = 0

    def write(self, pcm: bytes) -> None:
        """Append PCM frames; the header is kept valid after each write."""
        self._file.writeframes(pcm)
        self.samples += len(pcm) // SAMPLE_WIDTH

    @property
    def duration_s(self) -> float:
        """Seconds recorded so far."""
        return self.samples / SAMPLE_RATE

    def close(self) -> None:
        """Finish the file."""
        self._file.close()

    def __enter__(self) -> WavRecorder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def encode_wav(pcm: bytes, *, rate: int = SAMPLE_RATE, channels: int = 1, bits: int = 16) -> bytes:
    """PCM samples wrapped in a WAV header (for tests and for prompt tooling)."""
    return _riff(FORMAT_PCM, channels, rate, bits, pcm)


def encode_g711_wav(payload: bytes, *, alaw: bool) -> bytes:
    """G.711 samples (8 kHz mono) wrapped in a WAV header with format tag 6 or 7."""
    return _riff(FORMAT_ALAW if alaw else FORMAT_MULAW, 1, SAMPLE_RATE, 8, payload)


def _riff(tag: int, channels: int, rate: int, bits: int, samples: bytes) -> bytes:
    block = channels * max(1, bits // 8)
    fmt = _FMT.pack(tag, channels, rate, rate * block, block, bits)
    pad = b"\x00" if len(samples) & 1 else b""
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    chunks += b"data" + struct.pack("<I", len(samples)) + samples + pad
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks
