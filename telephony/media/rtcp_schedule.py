"""When each open RTP endpoint sends its RTCP report (RFC 3550 §6.2, §6.3).

A two-party call's RTCP bandwidth is tiny, so the interval is the protocol's minimum of 5 s,
randomised over [0.5, 1.5] times that (§6.3.1) so that legs set up together do not report in
step. The first report is also halved (§6.2, "initial"). One timer on the injected clock checks
every second which endpoints are due, instead of one timer per leg; an endpoint that was closed
is dropped at its next turn. A report is an SR when the endpoint has sent media, else an RR, each
with SDES CNAME (`RtpEndpoint.send_report`).
"""

from __future__ import annotations

import random
from typing import Protocol

from acd.clock import Clock, Timer

MIN_INTERVAL_S = 5.0
CHECK_EVERY_S = 1.0


class Reporting(Protocol):
    """The part of an RTP endpoint the schedule drives."""

    @property
    def closed(self) -> bool:
        """True once the endpoint's sockets are released."""

    def send_report(self, wall_clock_s: float) -> None:
        """Send an SR or RR now."""


class RtcpSchedule:
    """Sends every registered endpoint's report about every 5 s (randomised) until it closes."""

    def __init__(
        self, clock: Clock, *, interval_s: float = MIN_INTERVAL_S, rng: random.Random | None = None
    ) -> None:
        self._clock = clock
        self._interval = interval_s
        self._rng = rng or random.Random()
        self._due: dict[Reporting, float] = {}
        self._timer: Timer | None = None

    def __len__(self) -> int:
        return len(self._due)

    def add(self, endpoint: Reporting) -> None:
        """Report for `endpoint` from now on; the first report comes after half an interval."""
        self._due[endpoint] = self._clock.now() + self._next_interval() / 2
        if self._timer is None:
            self._timer = self._clock.call_later(CHECK_EVERY_S, self._check)

    def stop(self) -> None:
        """No more reports (the carrier is closing)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._due.clear()

    def _next_interval(self) -> float:
        return self._interval * self._rng.uniform(0.5, 1.5)

    def _check(self) -> None:
        now = self._clock.now()
        for endpoint, due in list(self._due.items()):
            if endpoint.closed:
                del self._due[endpoint]
            elif due <= now:
                endpoint.send_report(now)
                self._due[endpoint] = now + self._next_interval()
        self._timer = self._clock.call_later(CHECK_EVERY_S, self._check) if self._due else None
