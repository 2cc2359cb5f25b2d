"""Audio codecs behind one small base class, and a factory keyed by encoding name.

G.711 µ-law (PCMU, static payload type 0) and A-law (PCMA, payload type 8) at 8000 Hz, as
RFC 3551 §4.5.14 and §6 define them for RTP. Linear audio everywhere in the media layer is 16-bit
signed little-endian mono PCM at 8000 Hz; one frame is 20 ms, 160 samples.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from telephony.media.audioop_compat import audioop

SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2  # bytes per linear sample
FRAME_MS = 20
SAMPLES_PER_FRAME = SAMPLE_RATE * FRAME_MS // 1000  # also the RTP timestamp step per frame
PCM_FRAME_BYTES = SAMPLES_PER_FRAME * SAMPLE_WIDTH
SILENT_PCM_FRAME = bytes(PCM_FRAME_BYTES)


class CodecError(ValueError):
    """Unknown codec, or audio that a codec cannot take."""


class Codec(ABC):
    """An RTP audio codec: linear PCM in and out, payload bytes on the wire (RFC 3551 §4.5)."""

    encoding_name: ClassVar[str]
    payload_type: ClassVar[int]  # the static payload type (RFC 3551 §6)
    clock_rate: ClassVar[int] = SAMPLE_RATE

    @abstractmethod
    def encode(self, pcm: bytes) -> bytes:
        """Linear 16-bit PCM to payload bytes."""

    @abstractmethod
    def decode(self, payload: bytes) -> bytes:
        """Payload bytes to linear 16-bit PCM."""

    @property
    def silence(self) -> bytes:
        """One 20 ms frame of silence, encoded."""
        return self.encode(SILENT_PCM_FRAME)

    @property
    def mime_type(self) -> str:
        """The RTP media type name, as in `audio/PCMU` (RFC 4855)."""
        return f"audio/{self.encoding_name}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class PcmuCodec(Codec):
    """G.711 µ-law (RFC 3551 §4.5.14), one byte per sample."""

    encoding_name = "PCMU"
    payload_type = 0

    def encode(self, pcm: bytes) -> bytes:
        """Linear PCM to µ-law."""
        return audioop.lin2ulaw(_checked(pcm), SAMPLE_WIDTH)

    def decode(self, payload: bytes) -> bytes:
        """µ-law to linear PCM."""
        return audioop.ulaw2lin(payload, SAMPLE_WIDTH)


class PcmaCodec(Codec):
    """G.711 A-law (RFC 3551 §4.5.14), one byte per sample."""

    encoding_name = "PCMA"
    payload_type = 8

    def encode(self, pcm: bytes) -> bytes:
        """Linear PCM to A-law."""
        return audioop.lin2alaw(_checked(pcm), SAMPLE_WIDTH)

    def decode(self, payload: bytes) -> bytes:
        """A-law to linear PCM."""
        return audioop.alaw2lin(payload, SAMPLE_WIDTH)


_CODECS: dict[str, type[Codec]] = {"PCMU": PcmuCodec, "PCMA": PcmaCodec}
_BY_PAYLOAD_TYPE: dict[int, type[Codec]] = {c.payload_type: c for c in _CODECS.values()}


def get_codec(name: str) -> Codec:
    """The codec for `PCMU`, `pcma/8000` or `audio/PCMU`; raise `CodecError` for others."""
    bare = name.strip().removeprefix("audio/").removeprefix("AUDIO/")
    encoding, _, rate = bare.partition("/")
    cls = _CODECS.get(encoding.upper())
    if cls is None or (rate and rate != str(cls.clock_rate)):
        raise CodecError(f"unsupported codec {name!r}; supported: {supported_codecs()}")
    return cls()


def codec_for_payload_type(payload_type: int) -> Codec:
    """The codec of a static payload type (RFC 3551 §6); raise `CodecError` for others."""
    cls = _BY_PAYLOAD_TYPE.get(payload_type)
    if cls is None:
        raise CodecError(f"no static codec for payload type {payload_type}")
    return cls()


def supported_codecs() -> list[str]:
    """Encoding names the factory knows, in our order of preference."""
    return list(_CODECS)


def transcode(payload: bytes, source: Codec, target: Codec) -> bytes:
    """Re-encode a payload from one codec to another (unchanged when they are the same kind)."""
    if type(source) is type(target):
        return payload
    return target.encode(source.decode(payload))


def _checked(pcm: bytes) -> bytes:
    if len(pcm) % SAMPLE_WIDTH:
        raise CodecError(f"linear PCM must be whole 16-bit samples, got {len(pcm)} bytes")
    return pcm
