"""Tones: generate sine and DTMF tones as PCM, and detect them with the Goertzel algorithm.

The Goertzel filter measures the power of one frequency in a block of samples at the cost of one
multiply-add per sample; it is how the tests check that audio crosses a call both ways, and how
in-band DTMF (ITU-T Q.23 frequency pairs) is recognised when a peer does not send RFC 4733 events.
All audio is 16-bit signed mono PCM at 8000 Hz.
"""

from __future__ import annotations

import math

import numpy as np

from telephony.media.codecs import SAMPLE_RATE

DTMF_ROWS = (697.0, 770.0, 852.0, 941.0)  # ITU-T Q.23 low group
DTMF_COLUMNS = (1209.0, 1336.0, 1477.0, 1633.0)  # high group
DTMF_KEYS = ("123A", "456B", "789C", "*0#D")
FULL_SCALE = 32767


def tone(
    frequencies: float | tuple[float, ...],
    duration_s: float,
    *,
    amplitude: float = 0.3,
    start_sample: int = 0,
) -> bytes:
    """A sum of sines lasting `duration_s`; `amplitude` is a fraction of full scale per tone."""
    freqs = (frequencies,) if isinstance(frequencies, int | float) else frequencies
    n = np.arange(start_sample, start_sample + round(duration_s * SAMPLE_RATE))
    signal = sum(np.sin(2 * math.pi * f * n / SAMPLE_RATE) for f in freqs)
    samples = np.clip(np.asarray(signal) * amplitude * FULL_SCALE, -32768, 32767)
    return samples.astype("<i2").tobytes()


def dtmf_tone(digit: str, duration_s: float = 0.1, *, amplitude: float = 0.25) -> bytes:
    """The Q.23 frequency pair of a DTMF key."""
    for row, keys in enumerate(DTMF_KEYS):
        column = keys.find(digit.upper())
        if column >= 0:
            pair = (DTMF_ROWS[row], DTMF_COLUMNS[column])
            return tone(pair, duration_s, amplitude=amplitude)
    raise ValueError(f"not a DTMF key: {digit!r}")


def samples_of(pcm: bytes) -> np.ndarray:
    """16-bit PCM bytes as float samples."""
    return np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64)


def goertzel_power(pcm: bytes, frequency: float) -> float:
    """The Goertzel power of `frequency` in the block, normalised by the block length."""
    x = samples_of(pcm)
    if x.size == 0:
        return 0.0
    # Goertzel's output equals the DFT term at `frequency`; numpy evaluates it in one dot product
    n = np.arange(x.size)
    term = np.dot(x, np.exp(-2j * math.pi * frequency * n / SAMPLE_RATE))
    power = abs(term) ** 2
    return float(power) / x.size


def tone_ratio(pcm: bytes, frequency: float) -> float:
    """Share of the block's energy at `frequency`: near 1 for a pure tone, near 0 for none."""
    x = samples_of(pcm)
    energy = float(np.dot(x, x))
    if energy == 0.0:
        return 0.0
    # a pure sine of amplitude A gives Goertzel power ~ (A*N/2)^2 / N and energy ~ A^2*N/2
    return min(1.0, 2.0 * goertzel_power(pcm, frequency) / energy)


def detect_tone(
    pcm: bytes, frequency: float, *, min_ratio: float = 0.5, min_rms: float = 100.0
) -> bool:
    """Whether `frequency` dominates a block of at least a few milliseconds of audible audio."""
    x = samples_of(pcm)
    if x.size < 40 or math.sqrt(float(np.dot(x, x)) / x.size) < min_rms:
        return False
    return tone_ratio(pcm, frequency) >= min_ratio


def detect_dtmf(pcm: bytes, *, min_ratio: float = 0.6, twist_db: float = 8.0) -> str | None:
    """The DTMF key in a block (≥ 20 ms is best), or None: one row plus one column dominate."""
    x = samples_of(pcm)
    if x.size < 80 or math.sqrt(float(np.dot(x, x)) / x.size) < 100.0:
        return None
    rows = [tone_ratio(pcm, f) for f in DTMF_ROWS]
    cols = [tone_ratio(pcm, f) for f in DTMF_COLUMNS]
    row, col = int(np.argmax(rows)), int(np.argmax(cols))
    if rows[row] + cols[col] < min_ratio:
        return None
    twist = 10 * math.log10(max(rows[row], 1e-12) / max(cols[col], 1e-12))
    if abs(twist) > twist_db:
        return None
    return DTMF_KEYS[row][col]
