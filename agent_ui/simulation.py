"""`hotline simulate`: run the whole call path on the virtual clock and compare with Erlang C."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from acd.clock import VirtualClock, run_virtual
from config.center import AgentDef, Center, Destination, QueueDef
from config.center_file import load_center
from crm_core.call_records import MemorySink
from reporting import erlang
from reporting.data import data_from_lists
from reporting.report import ReportSpec, build_report
from reporting.summary import summarize
from telephony.sim.behaviour import (
    AgentBehaviour,
    CallerBehaviour,
    Duration,
    SimulationProfile,
)
from telephony.sim.center import SimulatedCenter

SIM_QUEUE = "support"
SIM_NUMBER = "1000"
FIRST_EXTENSION = 2000
DEFAULT_AGENTS = 10
# A Monday: simulated days start at 09:00 on it, in the center's time zone.
SIM_DAY = datetime(2026, 1, 5)  # noqa: DTZ001 - made aware with the center's zone below
SIM_DAY_STARTS = dtime(9, 0)


@dataclass(frozen=True, slots=True)
class SimulationRequest:
    """What to simulate: the center, the traffic, and the people."""

    agents: int | None = None
    arrival_rate_per_s: float = 0.05
    aht_s: float = 180.0
    patience_s: float = 120.0
    hours: float = 1.0
    seed: int = 0
    center_file: Path | None = None
    threshold_s: float | None = None
    ring_delay_s: float = 0.0
    warmup_min: float = 0.0
    fixed_patience: bool = False
    fixed_handle: bool = False


def single_queue_center(agents: int, threshold_s: float) -> Center:
    """One number straight into one queue served by `agents` identical agents."""
    return Center(
        skills={SIM_QUEUE: "Support"},
        queues={SIM_QUEUE: QueueDef(skills={SIM_QUEUE: 1}, service_level_s=threshold_s)},
        agents={
            f"agent{i:03d}": AgentDef(
                name=f"Agent {i}", extension=str(FIRST_EXTENSION + i), skills={SIM_QUEUE: 1}
            )
            for i in range(1, agents + 1)
        },
        numbers={SIM_NUMBER: Destination(kind="queue", name=SIM_QUEUE)},
    )


def _center(request: SimulationRequest) -> Center:
    if request.center_file is None:
        return single_queue_center(request.agents or DEFAULT_AGENTS, request.threshold_s or 20.0)
    center = load_center(request.center_file)
    if request.agents is not None:
        skills = {skill: 3 for skill in center.skills}
        center = center.model_copy(
            update={
                "agents": {
                    f"agent{i:03d}": AgentDef(
                        name=f"Agent {i}", extension=str(FIRST_EXTENSION + i), skills=skills
                    )
                    for i in range(1, request.agents + 1)
                }
            }
        )
    return center


def _profile(request: SimulationRequest) -> SimulationProfile:
    patience = (
        None if request.patience_s <= 0 else Duration(request.patience_s, request.fixed_patience)
    )
    return SimulationProfile(
        arrival_rate_per_s=request.arrival_rate_per_s,
        callers=CallerBehaviour(patience=patience),
        agents=AgentBehaviour(
            ring_delay=Duration(request.ring_delay_s, fixed=True),
            handle=Duration(request.aht_s, request.fixed_handle),
        ),
    )


def _start(center: Center) -> float:
    zone = ZoneInfo(center.center.timezone)
    return datetime.combine(SIM_DAY.date(), SIM_DAY_STARTS, tzinfo=zone).timestamp()


def run_simulation(request: SimulationRequest) -> dict[str, object]:
    """Simulate, then report the figures from the call records, beside Erlang C's prediction."""
    center = _center(request)
    sink = MemorySink()
    warmup_s = request.warmup_min * 60
    duration_s = request.hours * 3600 + warmup_s
    start = _start(center)

    async def simulate(clock: VirtualClock) -> None:
        sim = SimulatedCenter(center, clock, sink, _profile(request), seed=request.seed)
        await sim.start(until=start + duration_s)
        await clock.sleep(duration_s)
        await sim.settle()
        await sim.stop()

    began = time.perf_counter()
    run_virtual(simulate, start)
    wall_s = time.perf_counter() - began
    threshold = request.threshold_s or next(iter(center.queues.values())).service_level_s
    summary = summarize(
        sink.records,
        sink.events,
        threshold_s=threshold,
        short_abandon_s=center.center.short_abandon_s,
        start=start + warmup_s,
        end=start + duration_s,
    )
    figures = summary.as_dict()
    agents = len(center.agents)
    rate = (
        request.arrival_rate_per_s
        if request.center_file is None
        else summary.offered / (request.hours * 3600)
    )
    return {
        "offered": figures["offered"],
        "answered": figures["answered"],
        "abandoned": figures["abandoned"],
        "service_level": figures["service_level"],
        "asa_s": figures["asa_s"],
        "aht_s": figures["aht_s"],
        "occupancy": figures["occupancy"],
        "erlang_c_service_level": round(
            erlang.service_level(agents, rate, request.aht_s, threshold), 4
        ),
        "erlang_c_asa_s": _finite(erlang.asa_s(agents, rate, request.aht_s)),
        "wall_s": round(wall_s, 3),
        "agents": agents,
        "arrival_rate_per_s": round(rate, 6),
        "threshold_s": threshold,
        "short_abandoned": figures["short_abandoned"],
        "ivr_handled": figures["ivr_handled"],
        "overflowed": figures["overflowed"],
        "calls": len(sink.records),
        "seed": request.seed,
        "hours": request.hours,
        "queues": per_queue(sink, center, start + warmup_s, start + duration_s),
    }


QUEUE_FIGURES = (
    "offered",
    "answered",
    "abandoned",
    "overflowed_out",
    "service_level",
    "asa_s",
    "aht_s",
)


def per_queue(
    sink: MemorySink, center: Center, start: float, end: float
) -> dict[str, dict[str, float | int | None]]:
    """Each queue's figures from its queue visits (a call that overflows counts in both queues)."""
    report = build_report(
        data_from_lists(sink.records, sink.events), center, ReportSpec(start, end, by=("queue",))
    )
    return {
        str(row["queue"]): {name: _plain(row[name]) for name in QUEUE_FIGURES}
        for row in report.by_queue.to_dict("records")
    }


def _plain(value: object) -> float | int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    return round(float(value), 4)  # type: ignore[arg-type]


def _finite(value: float) -> float | None:
    return None if value == float("inf") else round(value, 2)
