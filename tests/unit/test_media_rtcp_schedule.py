"""The RTCP schedule on virtual time: reports every 5 s randomised over [0.5, 1.5], the first
after half an interval, closed endpoints dropped, and real SR/RR packets from an endpoint."""

from __future__ import annotations

import itertools
import random

import pytest

from acd.clock import VirtualClock, run_virtual
from telephony.media.codecs import PcmuCodec
from telephony.media.rtcp import ReceiverReport, SenderReport, parse_compound
from telephony.media.rtcp_schedule import RtcpSchedule
from telephony.media.rtp_endpoint import RtpEndpoint

pytestmark = pytest.mark.unit
START = 1_800_000_000.0


class Leg:
    """Records when it was asked to report."""

    def __init__(self) -> None:
        self.reports: list[float] = []
        self.closed = False

    def send_report(self, wall_clock_s: float) -> None:
        self.reports.append(wall_clock_s - START)


class FakeTransport:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, tuple[str, int]]] = []

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sent.append((data, addr))

    def close(self) -> None:
        pass


def test_given_a_leg_when_a_minute_passes_then_reports_every_2_5_to_7_5_seconds():
    async def main(clock: VirtualClock) -> list[float]:
        schedule = RtcpSchedule(clock, rng=random.Random(7))
        leg = Leg()
        schedule.add(leg)
        await clock.sleep(60)
        schedule.stop()
        return leg.reports

    reports = run_virtual(main, START)
    assert 1.25 <= reports[0] <= 4.75  # first: half an interval, checked once a second
    gaps = [b - a for a, b in itertools.pairwise(reports)]
    assert 8 <= len(reports) <= 24
    assert all(2.0 <= gap <= 8.5 for gap in gaps)
    assert len({round(gap) for gap in gaps}) > 1  # randomised, not in step


def test_given_legs_added_together_when_reporting_then_not_all_in_the_same_second():
    async def main(clock: VirtualClock) -> set[float]:
        schedule = RtcpSchedule(clock, rng=random.Random(3))
        legs = [Leg() for _ in range(20)]
        for leg in legs:
            schedule.add(leg)
        await clock.sleep(20)
        schedule.stop()
        return {leg.reports[1] for leg in legs}

    assert len(run_virtual(main, START)) > 3


def test_given_a_closed_leg_when_its_turn_comes_then_dropped_and_timer_stops_when_none_left():
    async def main(clock: VirtualClock) -> tuple[int, int, int]:
        schedule = RtcpSchedule(clock, rng=random.Random(1))
        leg = Leg()
        schedule.add(leg)
        await clock.sleep(10)
        before = len(leg.reports)
        leg.closed = True
        await clock.sleep(30)
        return before, len(leg.reports), len(schedule)

    before, after, tracked = run_virtual(main, START)
    assert before >= 1
    assert after == before
    assert tracked == 0


def test_given_an_endpoint_that_sent_and_one_that_did_not_when_due_then_sr_and_rr_go_out():
    async def main(clock: VirtualClock) -> tuple[list[type], list[type]]:
        schedule = RtcpSchedule(clock, rng=random.Random(2))
        kinds = []
        for sends in (True, False):
            endpoint = RtpEndpoint(PcmuCodec(), 0, 101)
            rtp, rtcp = FakeTransport(), FakeTransport()
            endpoint.attach(rtp, rtcp, 40000)
            endpoint.set_remote(("192.0.2.5", 30000))
            if sends:
                endpoint.send_frame(bytes(320))
            schedule.add(endpoint)
            kinds.append(rtcp)
        await clock.sleep(8)
        schedule.stop()
        return tuple(  # type: ignore[return-value]
            [type(parse_compound(data)[0]) for data, addr in t.sent if addr[1] == 30001]
            for t in kinds
        )

    sender, receiver = run_virtual(main, START)
    assert sender
    assert set(sender) == {SenderReport}
    assert receiver
    assert set(receiver) == {ReceiverReport}
