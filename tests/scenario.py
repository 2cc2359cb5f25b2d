"""A harness for call-path scenarios: a small center, scripted callers, the virtual clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from acd import events as ev
from acd.clock import VirtualClock, run_virtual
from acd.directory import CallerDirectory
from config.center import Center
from crm_core.call_records import CallEventData, CallRecordData, MemorySink
from telephony.sim.behaviour import ScriptedCall, SimulationProfile
from telephony.sim.center import SimulatedCenter

# Monday 2026-01-05 10:00 UTC: inside the usual opening hours.
MONDAY_10AM = datetime(2026, 1, 5, 10, 0, tzinfo=UTC).timestamp()

Action = tuple[float, Callable[[float], ev.Event]]


@dataclass
class Outcome:
    """What a scenario left behind: records, call events and every bus event."""

    records: list[CallRecordData]
    events: list[CallEventData]
    bus: list[ev.Event] = field(default_factory=list)

    def record(self, index: int = 0) -> CallRecordData:
        """The record of the index-th call to arrive."""
        return sorted(self.records, key=lambda r: r.arrived_at)[index]

    def kinds(self, call_id: str) -> list[str]:
        """The call's event kinds in order."""
        return [e.kind for e in sorted(self.events, key=lambda e: e.seq) if e.call_id == call_id]

    def of_type(self, kind: type[ev.Event]) -> list[ev.Event]:
        """Bus events of one type, in order."""
        return [e for e in self.bus if isinstance(e, kind)]


def run_scenario(
    center: Center,
    calls: list[ScriptedCall],
    *,
    profile: SimulationProfile | None = None,
    actions: list[Action] = (),  # type: ignore[assignment]
    run_s: float = 3600.0,
    start: float = MONDAY_10AM,
    directory: CallerDirectory | None = None,
) -> Outcome:
    """Log the agents in, place the scripted calls, apply timed actions, run until all is done."""
    sink = MemorySink()
    seen: list[ev.Event] = []
    profile = profile or SimulationProfile(arrival_rate_per_s=0.0)

    async def main(clock: VirtualClock) -> None:
        sim = SimulatedCenter(center, clock, sink, profile, seed=7, directory=directory)

        async def watch(event: ev.Event) -> None:
            seen.append(event)

        sim.bus.subscribe(watch)
        await sim.start()
        sim.schedule(calls)
        for after, make in actions:
            clock.call_later(after, lambda m=make: sim.inbox.submit(m(clock.now())))
        await clock.sleep(run_s)
        await sim.settle()
        await sim.stop()

    run_virtual(main, start)
    return Outcome(sink.records, sink.events, seen)
