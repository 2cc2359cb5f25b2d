"""The report on simulator output: a busy morning of the sample center (overflows, full queues,
abandons, pauses) on the virtual clock. Center totals agree with `reporting.summary.summarize`,
and offered = answered + abandoned + overflowed-out + still-waiting holds for every group."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from acd.clock import VirtualClock, run_virtual
from acd.events import AgentPauseRequested, AgentReadyRequested
from agent_ui.simulation import SimulationRequest
from agent_ui.simulation import _center as simulation_center
from config.center_file import sample_center_path
from crm_core.call_records import MemorySink
from reporting.data import data_from_lists
from reporting.intervals import parse_interval
from reporting.report import Report, ReportSpec, build_report
from reporting.summary import summarize
from telephony.sim.behaviour import AgentBehaviour, CallerBehaviour, Duration, SimulationProfile
from telephony.sim.center import SimulatedCenter

pytestmark = pytest.mark.unit

HOURS = 2.0
CENTER = simulation_center(SimulationRequest(agents=6, center_file=sample_center_path()))
START = datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo(CENTER.center.timezone)).timestamp()


@pytest.fixture(scope="module")
def simulated() -> MemorySink:
    sink = MemorySink()
    profile = SimulationProfile(
        arrival_rate_per_s=0.06,
        callers=CallerBehaviour(patience=Duration(150.0)),
        agents=AgentBehaviour(ring_delay=Duration(0.0, fixed=True), handle=Duration(200.0)),
    )
    duration = HOURS * 3600

    async def main(clock: VirtualClock) -> None:
        sim = SimulatedCenter(CENTER, clock, sink, profile, seed=7)
        await sim.start(until=START + duration)
        await clock.sleep(1800)
        sim.inbox.submit(AgentPauseRequested(at=clock.now(), agent_id="agent001", reason="lunch"))
        await clock.sleep(1200)
        sim.inbox.submit(AgentReadyRequested(at=clock.now(), agent_id="agent001"))
        await clock.sleep(duration - 3000)
        await sim.settle()
        await sim.stop()

    run_virtual(main, START)
    return sink


def report(sink: MemorySink, by: tuple[str, ...], end_h: float = HOURS + 1) -> Report:
    spec = ReportSpec(start=START, end=START + end_h * 3600, interval=parse_interval("15m"), by=by)
    return build_report(data_from_lists(sink.records, sink.events), CENTER, spec)


def test_the_morning_has_the_edge_cases_the_report_must_handle(simulated):
    kinds = {e.kind for e in simulated.events}
    assert {"EXITWITHTIMEOUT", "ABANDON", "PAUSE", "UNPAUSE"} <= kinds
    queue_report = report(simulated, ("queue",))
    assert queue_report.by_queue["overflowed_out"].sum() > 0


def test_center_totals_match_the_summary_of_the_same_records(simulated):
    ours = report(simulated, ("interval",)).summary
    theirs = summarize(
        simulated.records,
        simulated.events,
        threshold_s=20.0,
        short_abandon_s=CENTER.center.short_abandon_s,
        start=START,
        end=START + (HOURS + 1) * 3600,
    ).as_dict()
    for name in ("offered", "answered", "answered_within_threshold", "abandoned"):
        assert ours[name] == theirs[name], name
    for name in ("short_abandoned", "ivr_handled"):
        assert ours[name] == theirs[name], name
    for name in ("service_level", "asa_s", "aht_s", "avg_talk_s", "answer_rate", "loss_rate"):
        assert ours[name] == pytest.approx(theirs[name], abs=0.01), name


@pytest.mark.parametrize(
    "by", [("queue",), ("queue", "interval"), ("interval",), ("dnis",), ("dnis", "interval")]
)
def test_offered_adds_up_in_every_group(simulated, by):
    table = report(simulated, by).grouped
    parts = table["answered"] + table["abandoned"] + table["overflowed_out"]
    assert (table["offered"] == parts + table["still_waiting"]).all()
    assert table["offered"].sum() > 0


def test_queue_visits_outnumber_calls_by_the_overflows(simulated):
    r = report(simulated, ("queue",))
    overflowed_into_a_queue = sum(
        1 for e in simulated.events if e.kind == "EXITWITHTIMEOUT" and "queue:" in str(e.data)
    )
    assert r.by_queue["offered"].sum() == r.summary["offered"] + overflowed_into_a_queue


def test_as_of_mid_morning_callers_still_waiting_and_calls_in_progress_are_counted(simulated):
    cutoff = START + 3600
    events = [e for e in simulated.events if e.at < cutoff]
    records = [
        r for r in simulated.records if (r.wrap_up_ended_at or r.ended_at or cutoff) < cutoff
    ]
    spec = ReportSpec(start=START, end=START + 3 * 3600, by=("queue",), as_of=cutoff)
    partial = build_report(data_from_lists(records, events), CENTER, spec)
    totals = partial.summary
    assert totals["still_waiting"] > 0
    assert totals["calls"] > len([r for r in records if r.arrived_at >= START])
    table = partial.by_queue
    parts = table["answered"] + table["abandoned"] + table["overflowed_out"]
    assert (table["offered"] == parts + table["still_waiting"]).all()
    assert table["still_waiting"].sum() == totals["still_waiting"]


def test_the_paused_agent_shows_its_lunch(simulated):
    agents = report(simulated, ("agent",)).by_agent.set_index("agent_id")
    assert agents.loc["agent001", "pause_lunch_s"] > 0
    assert (agents["occupancy"].dropna().between(0, 1)).all()
