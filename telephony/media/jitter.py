"""A small jitter buffer for the paths that record or analyse audio (never the relay path).

Frames go in with their RTP sequence number, in whatever order the network delivers them, and come
out one per 20 ms tick in sequence order (RFC 3550 §5.1: the sequence number lets a receiver
restore order). Late and duplicate frames are dropped, a missing frame is concealed by repeating
the last good one a few times and then by silence, and the buffer never holds more than
`capacity` frames. It counts in packets, not time: the caller's 20 ms tick is the clock.

Sequence numbers belong to one source (SSRC): a new SSRC starts afresh. So does a stream that
jumps back: a run of "late" packets longer than a reordering could explain means the numbering
restarted lower, and dropping them all would silence the rest of the call.
"""

from __future__ import annotations

from dataclasses import dataclass

from telephony.media.codecs import SILENT_PCM_FRAME

SEQ_MOD = 1 << 16
RESYNC_GAP = 3000  # a jump this large is a new stream (RFC 3550 A.1 MAX_DROPOUT), not loss
LATE_RUN_RESYNC = 25  # this many late packets in a row (half a second): the stream went back


@dataclass(slots=True)
class JitterStats:
    """What the buffer did, for logs and tests."""

    delivered: int = 0
    concealed: int = 0
    late: int = 0
    duplicate: int = 0
    overflow: int = 0


class JitterBuffer:
    """Reorders frames by sequence number within a window and conceals gaps."""

    def __init__(
        self,
        *,
        depth: int = 3,
        capacity: int = 10,
        max_repeats: int = 2,
        silence: bytes = SILENT_PCM_FRAME,
    ) -> None:
        if not 1 <= depth <= capacity:
            raise ValueError("need 1 <= depth <= capacity")
        self.depth = depth  # frames held before playout starts: the added delay
        self.capacity = capacity
        self.max_repeats = max_repeats
        self.silence = silence
        self.stats = JitterStats()
        self._frames: dict[int, bytes] = {}
        self._next: int | None = None
        self._playing = False
        self._last: bytes = silence
        self._repeats = 0
        self._ssrc: int | None = None
        self._late_run = 0

    def __len__(self) -> int:
        return len(self._frames)

    def put(self, sequence_number: int, frame: bytes, ssrc: int | None = None) -> bool:
        """Store a frame of source `ssrc`; False if it was late, a duplicate, or pushed out by a
        jump."""
        if ssrc is not None and ssrc != self._ssrc:
            if self._ssrc is not None:
                self._restart(sequence_number)
            self._ssrc = ssrc
        if self._next is None:
            self._next = sequence_number
        ahead = (sequence_number - self._next) % SEQ_MOD
        if ahead >= SEQ_MOD - RESYNC_GAP:  # behind the playout point
            self._late_run += 1
            if self._late_run < LATE_RUN_RESYNC:
                self.stats.late += 1
                return False
            ahead = RESYNC_GAP  # not late: the numbering went back; follow it
        self._late_run = 0
        if ahead >= RESYNC_GAP:
            self._restart(sequence_number)
            ahead = 0
        if sequence_number in self._frames:
            self.stats.duplicate += 1
            return False
        if ahead >= self.capacity:
            self._skip_to((sequence_number - self.capacity + 1) % SEQ_MOD)
        self._frames[sequence_number] = frame
        return True

    def get(self) -> bytes | None:
        """The frame for this tick; None while filling up or after the stream stopped."""
        if not self._playing:
            if len(self._frames) < self.depth:
                return None
            self._playing = True
        if not self._frames:  # underrun: wait for `depth` frames again
            self._playing = False
            return None
        assert self._next is not None
        frame = self._frames.pop(self._next, None)
        self._next = (self._next + 1) % SEQ_MOD
        return self._deliver(frame) if frame is not None else self._conceal()

    def _deliver(self, frame: bytes) -> bytes:
        self.stats.delivered += 1
        self._last, self._repeats = frame, 0
        return frame

    def _conceal(self) -> bytes:
        """Packet loss concealment: repeat the last frame a little, then go quiet."""
        self.stats.concealed += 1
        self._repeats += 1
        return self._last if self._repeats <= self.max_repeats else self.silence

    def _skip_to(self, sequence_number: int) -> None:
        """Move the playout point forward, dropping what is now behind it (bounded size)."""
        assert self._next is not None
        while self._next != sequence_number:
            if self._frames.pop(self._next, None) is not None:
                self.stats.overflow += 1
            self._next = (self._next + 1) % SEQ_MOD

    def _restart(self, sequence_number: int) -> None:
        self.stats.overflow += len(self._frames)
        self._frames.clear()
        self._next = sequence_number
        self._playing = False
