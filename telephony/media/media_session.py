"""Media applications on one call leg, paced by the event loop: prompts, music on hold,
recording, digit collection, a frame tap, and the relay bridge between two legs.

A `MediaSession` ticks every 20 ms on the loop's clock (so it also runs on the virtual-time loop).
Each tick it sends one outbound frame (a queued RFC 4733 digit packet, else the next frame of what
is playing or of what a tap wrote) and takes one inbound frame from the jitter buffer for the
readers: taps, recorders and detectors. The `RelayBridge` forwards packets between two endpoints as
they arrive, with no buffer on that path.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable

from telephony.media.codecs import PCM_FRAME_BYTES, SAMPLES_PER_FRAME
from telephony.media.collect import CollectResult, CollectSpec, DigitCollector
from telephony.media.dtmf import DtmfSender, TelephoneEvent
from telephony.media.jitter import JitterBuffer
from telephony.media.rtp_endpoint import RtpEndpoint
from telephony.media.rtp_packet import RtpPacket

FRAME_S = SAMPLES_PER_FRAME / 8000
MAX_LAG_S = 0.2  # further behind than this, resynchronise instead of sending a burst


def frames_of(pcm: bytes) -> list[bytes]:
    """PCM cut into 20 ms frames, the last one padded with silence."""
    frames = [pcm[i : i + PCM_FRAME_BYTES] for i in range(0, len(pcm), PCM_FRAME_BYTES)]
    if frames and len(frames[-1]) < PCM_FRAME_BYTES:
        frames[-1] = frames[-1].ljust(PCM_FRAME_BYTES, b"\x00")
    return frames


class FrameTap:
    """Lets other code read and write a call's raw 20 ms PCM frames (8 kHz, 16-bit mono)."""

    def __init__(self, max_frames: int = 50) -> None:
        self._inbound: asyncio.Queue[bytes] = asyncio.Queue(max_frames)
        self._outbound: deque[bytes] = deque()

    async def read(self) -> bytes:
        """The next frame received from the far end."""
        return await self._inbound.get()

    def write(self, pcm: bytes) -> None:
        """Queue audio to send to the far end, in 20 ms frames."""
        self._outbound.extend(frames_of(pcm))

    def deliver(self, frame: bytes) -> None:
        """Called by the session with each received frame; the oldest is dropped if unread."""
        if self._inbound.full():
            self._inbound.get_nowait()
        self._inbound.put_nowait(frame)

    def next_outbound(self) -> bytes | None:
        """The next frame written, if any."""
        return self._outbound.popleft() if self._outbound else None


class MediaSession:
    """The paced sender and jitter-buffered receiver of one leg's endpoint."""

    def __init__(self, endpoint: RtpEndpoint, jitter: JitterBuffer | None = None) -> None:
        self.endpoint = endpoint
        self.jitter = jitter or JitterBuffer()
        self.readers: list[Callable[[bytes], None]] = []
        self._playing: deque[bytes] = deque()
        self._played: asyncio.Future[None] | None = None
        self._taps: list[FrameTap] = []
        self._events: deque[tuple[TelephoneEvent, bool, int]] = deque()
        self._digits: asyncio.Queue[str] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._talking = False
        endpoint.on_packet = self._received
        endpoint.on_digit = self._digits.put_nowait

    def start(self) -> None:
        """Start ticking on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop ticking (the endpoint stays open)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def play(self, pcm: bytes) -> None:
        """Play audio to the far end and return when it has all been sent (cancel to cut it)."""
        self._playing.extend(frames_of(pcm))
        self._played = asyncio.get_running_loop().create_future()
        try:
            await self._played
        except asyncio.CancelledError:
            self._playing.clear()
            raise

    async def music_on_hold(
        self, music: bytes, announce: Callable[[], bytes] | None = None, every_s: float = 30.0
    ) -> None:
        """Loop `music` until cancelled, breaking in every `every_s` with `announce()`'s audio
        (built afresh each time, so position and wait are current)."""
        if not music:
            raise ValueError("no music to play")
        size = max(1, round(every_s / FRAME_S)) * PCM_FRAME_BYTES
        position = 0
        while True:
            reps = (position + size) // len(music) + 1
            await self.play((music * reps)[position : position + size])
            position = (position + size) % len(music)
            if announce is not None:
                await self.play(announce())

    def tap(self) -> FrameTap:
        """A new frame tap on this leg."""
        tap = FrameTap()
        self._taps.append(tap)
        return tap

    def send_digit(self, digit: str, duration: int = 800) -> None:
        """Queue an RFC 4733 key press; it goes out one packet per tick, replacing audio."""
        pt = self.endpoint.dtmf_payload_type
        if pt is None:
            raise ValueError("no telephone-event payload type was negotiated on this leg")
        sender = DtmfSender(pt, self.endpoint.ssrc)
        packets = sender.packets(digit, timestamp=0, first_sequence=0, duration=duration)
        for packet in packets:
            event = TelephoneEvent.parse(packet.payload)
            self._events.append((event, packet.marker, duration))

    async def collect_digits(self, spec: CollectSpec) -> CollectResult:
        """Collect digits under the spec's timeouts, on the loop's clock."""
        loop = asyncio.get_running_loop()
        collector = DigitCollector(spec, loop.time())
        while True:
            timeout = max(0.0, collector.deadline() - loop.time())
            try:
                digit = await asyncio.wait_for(self._digits.get(), timeout)
            except TimeoutError:
                result = collector.on_timeout(loop.time())
            else:
                result = collector.on_digit(digit, loop.time())
            if result is not None:
                return result

    def _received(self, packet: RtpPacket) -> None:
        if packet.payload_type == self.endpoint.payload_type:
            frame = self.endpoint.codec.decode(packet.payload)
            self.jitter.put(packet.sequence_number, frame, packet.ssrc)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            self._tick()
            next_at += FRAME_S
            if next_at < loop.time() - MAX_LAG_S:
                next_at = loop.time()
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    def _tick(self) -> None:
        self._send_one()
        frame = self.jitter.get()
        if frame is not None:
            for reader in self.readers:
                reader(frame)
            for tap in self._taps:
                tap.deliver(frame)

    def _send_one(self) -> None:
        if self._events:
            self._send_event()
            return
        frame = self._playing.popleft() if self._playing else None
        if frame is None and self._played is not None and not self._played.done():
            self._played.set_result(None)
        for tap in self._taps:
            frame = frame or tap.next_outbound()
        if frame is None:
            self._talking = False
            return
        self.endpoint.send_frame(frame, marker=not self._talking)
        self._talking = True

    def _send_event(self) -> None:
        """One RFC 4733 packet; all share the event's start timestamp (§2.5.1.2)."""
        event, marker, duration = self._events.popleft()
        pt = self.endpoint.dtmf_payload_type
        self.endpoint.send_payload(
            bytes(event), payload_type=pt, marker=marker, timestamp=self.endpoint.next_ts
        )
        last = not self._events or self._events[0][1]
        if last:  # audio resumes after the event's duration
            self.endpoint.next_ts = (self.endpoint.next_ts + duration) & 0xFFFFFFFF


class RelayBridge:
    """Connects two legs: each packet received on one is sent on the other at once (no buffer)."""

    def __init__(self, a: RtpEndpoint, b: RtpEndpoint) -> None:
        self.a, self.b = a, b
        self._saved = (a.on_packet, b.on_packet)
        a.on_packet = lambda packet: b.relay(packet, a)
        b.on_packet = lambda packet: a.relay(packet, b)

    def unbridge(self) -> None:
        """Give each leg back its previous packet sink."""
        self.a.on_packet, self.b.on_packet = self._saved
        self.a.stop_relay()
        self.b.stop_relay()
