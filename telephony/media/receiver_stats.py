"""Reception statistics for one RTP source, the numbers an RTCP report block carries.

Fed with each received packet and its arrival time, it tracks the extended highest sequence number
across wraps (RFC 3550 Appendix A.1), loss (A.3) and interarrival jitter (A.8), and produces a
`ReportBlock` for the next RR or SR. Arrival times are seconds on any monotonic clock the caller
owns (the event loop's); nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from telephony.media.rtcp import ReportBlock
from telephony.media.rtp_packet import RtpPacket

RTP_SEQ_MOD = 1 << 16
MAX_DROPOUT = 3000  # A.1: a jump this far ahead is a restart candidate, not loss
MAX_MISORDER = 100  # A.1: this far behind is a late duplicate, not a restart
MIN_SEQUENTIAL = 2  # A.1: packets in sequence before a new source is valid


@dataclass(slots=True)
class _LastSenderReport:
    middle: int  # LSR: middle 32 bits of the SR's NTP timestamp
    arrival: float


class ReceiverStatistics:
    """Per-source sequence, loss and jitter state (RFC 3550 Appendix A.1, A.3, A.8)."""

    def __init__(self, ssrc: int, clock_rate: int = 8000) -> None:
        self.ssrc = ssrc
        self.clock_rate = clock_rate
        self.received = 0
        self._max_seq = 0
        self._cycles = 0
        self._base_seq = 0
        self._bad_seq = RTP_SEQ_MOD + 1
        self._probation = MIN_SEQUENTIAL
        self._started = False
        self._expected_prior = 0
        self._received_prior = 0
        self._transit: int | None = None
        self._jitter_q4 = 0  # jitter scaled by 16, as in A.8's integer form
        self._last_sr: _LastSenderReport | None = None

    @property
    def extended_highest_sequence(self) -> int:
        """Cycles of 2^16 plus the highest sequence number received (A.1)."""
        return self._cycles + self._max_seq

    @property
    def expected(self) -> int:
        """Packets expected since the first valid one (A.3)."""
        return self.extended_highest_sequence - self._base_seq + 1 if self._started else 0

    @property
    def cumulative_lost(self) -> int:
        """Expected minus received; negative when duplicates arrived (A.3)."""
        return self.expected - self.received

    @property
    def jitter(self) -> int:
        """Interarrival jitter in timestamp units (A.8)."""
        return self._jitter_q4 >> 4

    def on_packet(self, packet: RtpPacket, arrival: float) -> bool:
        """Account for one packet; False if A.1 judges it invalid (probation, big jump)."""
        if not self._started:
            self._started = True
            self._init_seq(packet.sequence_number)
            self._max_seq = (packet.sequence_number - 1) % RTP_SEQ_MOD
        if not self._update_seq(packet.sequence_number):
            return False
        self._update_jitter(packet.timestamp, arrival)
        return True

    def on_sender_report(self, ntp_timestamp: int, arrival: float) -> None:
        """Remember the last SR's time, for LSR and DLSR in our next report (RFC 3550 §6.4.1)."""
        self._last_sr = _LastSenderReport((ntp_timestamp >> 16) & 0xFFFFFFFF, arrival)

    def report_block(self, now: float) -> ReportBlock:
        """The report block for this source, and start a new reporting interval (A.3)."""
        expected = self.expected
        expected_interval = expected - self._expected_prior
        received_interval = self.received - self._received_prior
        self._expected_prior, self._received_prior = expected, self.received
        lost_interval = expected_interval - received_interval
        fraction = 0
        if expected_interval > 0 and lost_interval > 0:
            fraction = (lost_interval << 8) // expected_interval
        lsr, dlsr = 0, 0
        if self._last_sr is not None:
            lsr = self._last_sr.middle
            dlsr = int((now - self._last_sr.arrival) * 65536) & 0xFFFFFFFF
        return ReportBlock(
            ssrc=self.ssrc,
            fraction_lost=min(fraction, 255),
            cumulative_lost=self.cumulative_lost,
            highest_sequence=self.extended_highest_sequence & 0xFFFFFFFF,
            jitter=self.jitter,
            last_sr=lsr,
            delay_since_last_sr=dlsr,
        )

    def _init_seq(self, seq: int) -> None:
        self._base_seq = seq
        self._max_seq = seq
        self._bad_seq = RTP_SEQ_MOD + 1
        self._cycles = 0
        self.received = 0
        self._received_prior = 0
        self._expected_prior = 0

    def _update_seq(self, seq: int) -> bool:
        """A.1 `update_seq`, with the probation phase for a new source."""
        udelta = (seq - self._max_seq) % RTP_SEQ_MOD
        if self._probation:
            if seq == (self._max_seq + 1) % RTP_SEQ_MOD:
                self._probation -= 1
                self._max_seq = seq
                if self._probation == 0:
                    self._init_seq(seq)
                    self.received += 1
                    return True
            else:
                self._probation = MIN_SEQUENTIAL - 1
                self._max_seq = seq
            return False
        if udelta < MAX_DROPOUT:
            if seq < self._max_seq:  # sequence number wrapped: count another 64K cycle
                self._cycles += RTP_SEQ_MOD
            self._max_seq = seq
        elif udelta <= RTP_SEQ_MOD - MAX_MISORDER:
            if seq != self._bad_seq:  # a very large jump: wait for the next packet to confirm
                self._bad_seq = (seq + 1) % RTP_SEQ_MOD
                return False
            self._init_seq(seq)  # two sequential packets: the source restarted
        # else: duplicate or reordered packet, counted below
        self.received += 1
        return True

    def _update_jitter(self, timestamp: int, arrival: float) -> None:
        """A.8: J += (|D| - J) / 16, with D the change in transit time, in timestamp units."""
        transit = int(arrival * self.clock_rate) - timestamp
        if self._transit is not None:
            # modulo 2^32, so a wrapping RTP timestamp does not look like a huge delay change
            d = abs((transit - self._transit + (1 << 31)) % (1 << 32) - (1 << 31))
            self._jitter_q4 += d - ((self._jitter_q4 + 8) >> 4)
        self._transit = transit
