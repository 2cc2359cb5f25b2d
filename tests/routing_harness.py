"""Running routing scenarios on the virtual clock, and judging what the engine did.

`run_routing` drives a `SimulatedCenter` through scripted calls and timed agent requests and
keeps everything needed to judge the routing afterwards: every bus event in order, the call
records and call events, and, after each event the runtime handled, a snapshot of the state
store (presence and waiting contacts). The `*_violations` functions replay that and return what
broke a routing property, as readable lines (empty when all is well).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from acd import events as ev
from acd.clock import VirtualClock, run_virtual
from acd.contacts import WaitingContact, rank_score
from acd.directory import CallerDirectory, CallerInfo, StaticDirectory
from acd.dispatch import RING_ALL
from acd.presence import AgentPresence, AgentState
from acd.runtime import Runtime
from acd.strategies import skill_level
from config.center import Center, Strategy
from crm_core.call_records import CallEventData, CallRecordData, MemorySink
from telephony.sim.behaviour import ScriptedCall, SimulationProfile
from telephony.sim.center import SimulatedCenter
from tests.scenario import MONDAY_10AM

# A center that has not gone idle this long after the traffic ended is stuck.
SETTLE_LIMIT_S = 3600.0
PAUSE_REASON = "break"
UNKNOWN_PAUSE_REASON = "nap"
AgentRequest = Literal["pause", "bad-pause", "ready", "logout", "login", "extend"]
REQUESTS: tuple[AgentRequest, ...] = ("pause", "bad-pause", "ready", "logout", "login", "extend")


@dataclass(frozen=True, slots=True)
class AgentAction:
    """An agent's request at a moment of the scenario (seconds after the start)."""

    after_s: float
    agent_id: str
    request: AgentRequest

    def event(self, at: float) -> ev.Event:
        """The request as the event an agent's desktop would send."""
        agent = self.agent_id
        if self.request == "pause":
            return ev.AgentPauseRequested(at=at, agent_id=agent, reason=PAUSE_REASON)
        if self.request == "bad-pause":
            return ev.AgentPauseRequested(at=at, agent_id=agent, reason=UNKNOWN_PAUSE_REASON)
        if self.request == "ready":
            return ev.AgentReadyRequested(at=at, agent_id=agent)
        if self.request == "logout":
            return ev.AgentLogoutRequested(at=at, agent_id=agent)
        if self.request == "login":
            return ev.AgentLoginRequested(at=at, agent_id=agent)
        return ev.AgentWrapUpExtendRequested(at=at, agent_id=agent)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The store right after the runtime handled one event."""

    at: float
    handled: ev.Event
    bus_index: int
    agents: dict[str, AgentPresence]
    waiting: tuple[WaitingContact, ...]


@dataclass
class RoutingRun:
    """What a run left behind."""

    center: Center
    callers: dict[str, CallerInfo]
    records: list[CallRecordData]
    call_events: list[CallEventData]
    bus: list[ev.Event] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def of_type(self, kind: type[ev.Event]) -> list[ev.Event]:
        """Bus events of one type, in order."""
        return [e for e in self.bus if isinstance(e, kind)]


class _SnapshottingRuntime(Runtime):
    """The ordinary runtime, photographing the store after every event it handles."""

    def __init__(self, sim: SimulatedCenter, run: RoutingRun) -> None:
        super().__init__(sim.inbox, sim.bus, sim.engine, sim.carrier)
        self._sim = sim
        self._run = run

    async def step(self, event: ev.Event) -> None:
        """Handle the event, then snapshot the store; a failure is kept (the runtime logs only)."""
        try:
            await super().step(event)
        except Exception as exc:
            self._run.errors.append(f"{event!r} failed: {exc!r}")
            raise
        store = self._sim.store
        waiting: list[WaitingContact] = []
        for name in self._sim.center.queues:
            waiting.extend(await store.waiting(name))
        agents = {agent.agent_id: agent for agent in await store.agents()}
        now, seen = self._sim.clock.now(), len(self._run.bus)
        self._run.snapshots.append(Snapshot(now, event, seen, agents, tuple(waiting)))


def run_routing(
    center: Center,
    calls: list[ScriptedCall],
    *,
    actions: tuple[AgentAction, ...] = (),
    profile: SimulationProfile,
    callers: dict[str, CallerInfo] | None = None,
    seed: int = 7,
    run_s: float = 600.0,
) -> RoutingRun:
    """Log the profile's agents in, place the calls, apply the actions, run until all is done."""
    callers = callers or {}
    sink = MemorySink()
    run = RoutingRun(center, callers, sink.records, sink.events)
    directory: CallerDirectory = StaticDirectory(callers)

    async def main(clock: VirtualClock) -> None:
        sim = SimulatedCenter(center, clock, sink, profile, seed=seed, directory=directory)
        sim.runtime = _SnapshottingRuntime(sim, run)

        async def watch(event: ev.Event) -> None:
            run.bus.append(event)

        sim.bus.subscribe(watch)
        await sim.start()
        try:
            sim.schedule(calls)
            for action in actions:
                clock.call_later(
                    action.after_s, lambda a=action: sim.inbox.submit(a.event(clock.now()))
                )
            await clock.sleep(run_s)
            await _settle(sim)
            await sim.stop()
        finally:
            await _cancel_others()

    run_virtual(main, MONDAY_10AM)
    return run


async def _settle(sim: SimulatedCenter) -> None:
    try:
        await asyncio.wait_for(sim.settle(), SETTLE_LIMIT_S)
    except TimeoutError:
        raise AssertionError(f"the center did not go idle within {SETTLE_LIMIT_S} s") from None


async def _cancel_others() -> None:
    """Stop what a failed run left running, so the loop closes cleanly."""
    others = asyncio.all_tasks() - {asyncio.current_task()}
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


# --- judging a run ---------------------------------------------------------------------------

# Timers due at the very instant of a snapshot may not have fired yet.
TIMER_SLACK_S = 1e-3
_LEFT_QUEUE = (ev.CallConnected, ev.CallAbandoned, ev.CallOverflowed, ev.CallLost)


@dataclass(slots=True)
class _Waiter:
    """A contact waiting in a queue as the events tell it: its place and its preferred agent."""

    call_id: str
    queue: str
    rank: tuple[int, float, int]
    preferred: str = ""
    until: float = 0.0
    released: bool = False

    def waits_for(self, agent_id: str, at: float) -> bool:
        """True while it waits for `agent_id` by name and that agent has not gone away."""
        return self.preferred == agent_id and at < self.until and not self.released


class Timeline:
    """Replays the bus: each agent's state and reservation, each waiting contact, who rings."""

    def __init__(self, run: RoutingRun) -> None:
        self.center = run.center
        self.callers = run.callers
        self.state = dict.fromkeys(run.center.agents, AgentState.LOGGED_OUT)
        self.reserved_for: dict[str, str] = {}
        self.ringing: dict[str, set[str]] = {}
        self.waiting: dict[str, _Waiter] = {}
        self.ani: dict[str, str] = {}
        self._arrivals = itertools.count()

    def apply(self, event: ev.Event) -> None:
        """Move the replay past one event."""
        if isinstance(event, ev.CallOffered):
            self.ani[event.call_id] = event.ani
        elif isinstance(event, ev.CallQueued):
            self.waiting[event.call_id] = self._waiter(event)
        elif isinstance(event, (*_LEFT_QUEUE, ev.CallEnded)):
            # The engine takes a contact out of its queue (and may offer the next one) as soon
            # as the caller hangs up, before it reports the abandon.
            self.waiting.pop(event.call_id, None)
        elif isinstance(event, ev.MaxWaitExpired):
            if event.queue == getattr(self.waiting.get(event.call_id), "queue", None):
                del self.waiting[event.call_id]
        elif isinstance(event, ev.AgentRinging):
            self.ringing.setdefault(event.call_id, set()).add(event.agent_id)
        elif isinstance(event, ev.AgentStateChanged):
            self._agent_changed(event)

    def _agent_changed(self, event: ev.AgentStateChanged) -> None:
        agent, state = event.agent_id, AgentState(event.state)
        self.state[agent] = state
        if state is AgentState.RESERVED:
            self.reserved_for[agent] = event.call_id
            return
        self.ringing.get(self.reserved_for.pop(agent, ""), set()).discard(agent)
        # Lenient: whatever the engine does, a caller may go to others once its agent left.
        if state in (AgentState.LOGGED_OUT, AgentState.PAUSED):
            for waiter in self.waiting.values():
                waiter.released |= waiter.preferred == agent

    def _waiter(self, event: ev.CallQueued) -> _Waiter:
        queue = self.center.queues[event.queue]
        score = rank_score(event.at, event.priority, queue.priority_ageing_s)
        waiter = _Waiter(event.call_id, event.queue, (-queue.priority, score, next(self._arrivals)))
        info = self.callers.get(self.ani.get(event.call_id, ""), CallerInfo())
        agent = info.preferred_agent
        window = queue.preferred_agent_window_s
        # As the engine does: a caller waits by name only for a logged-in, qualified agent.
        logged_in = bool(agent) and self.state[agent] is not AgentState.LOGGED_OUT
        if logged_in and window > 0 and self.qualifies(agent, event.queue):
            waiter.preferred, waiter.until = agent, event.at + window
        return waiter

    def qualifies(self, agent_id: str, queue: str) -> bool:
        """True if the agent has every skill the queue requires, at its minimum level."""
        skills = self.center.agents[agent_id].skills
        return skill_level(skills, self.center.queues[queue].skills) is not None

    def unoffered(self, call_id: str) -> bool:
        """True if no phone rings for the contact."""
        return not self.ringing.get(call_id)


def _ring_violations(t: Timeline, e: ev.AgentRinging, *, fairness: bool) -> list[str]:
    """A ring, judged just after it (the reservation before it and the ring itself applied)."""
    agent, call, where = e.agent_id, e.call_id, f"at {e.at:.3f}"
    found: list[str] = []
    if t.state[agent] is not AgentState.RESERVED or t.reserved_for.get(agent) != call:
        found.append(f"{where}: {agent} rung for {call} without being reserved for it")
    if not t.qualifies(agent, e.queue):
        found.append(f"{where}: {agent} lacks the skills of {e.queue} but was offered {call}")
    strategy = t.center.queues[e.queue].strategy
    if strategy is not Strategy.RING_ALL and len(t.ringing.get(call, ())) > 1:
        found.append(f"{where}: {call} rings {sorted(t.ringing[call])} at once")
    me = t.waiting.get(call)
    if me is None:
        return [*found, f"{where}: {agent} rung for {call}, which is not waiting"]
    if not fairness:
        return found
    return found + [f"{where}: {v}" for v in _unfair(t, agent, me, e.at)]


def _unfair(t: Timeline, agent: str, me: _Waiter, at: float) -> list[str]:
    """Why giving `me` to `agent` now was unfair to a caller waiting by name or ahead in line."""
    call = me.call_id
    found: list[str] = []
    if me.preferred and me.preferred != agent and at < me.until and not me.released:
        found.append(f"{call} went to {agent} inside {me.preferred}'s window")
    by_name = me.waits_for(agent, at)  # a caller waiting by name goes before the line
    for other in t.waiting.values():
        if other is me or not t.unoffered(other.call_id):
            continue
        if other.waits_for(agent, at) and not (by_name and me.rank < other.rank):
            found.append(f"{agent} took {call} while {other.call_id} waited for it by name")
        # Inclusive: at the window's last instant its timer may not have fired yet.
        elsewhere = other.preferred not in ("", agent) and at <= other.until
        if by_name or elsewhere or not t.qualifies(agent, other.queue):
            continue
        if other.rank < me.rank:
            found.append(
                f"{agent} took {call} ({me.queue}) while {other.call_id} ({other.queue}), "
                "ahead of it, waited un-offered"
            )
    return found


def _state_violations(t: Timeline, e: ev.AgentStateChanged) -> list[str]:
    was = t.state[e.agent_id]
    if e.state == AgentState.RESERVED and was is not AgentState.AVAILABLE:
        return [f"at {e.at:.3f}: {e.agent_id} reserved for {e.call_id} while {was}"]
    if e.previous != was:
        return [f"at {e.at:.3f}: {e.agent_id} left {e.previous}, but was {was}"]
    return []


def event_violations(run: RoutingRun, *, fairness: bool = True) -> list[str]:
    """Replay the bus and judge every reservation and ring as it happens (safety only, or
    also fairness: the line's order and callers waiting by name)."""
    timeline, found = Timeline(run), list(run.errors)
    for event in run.bus:
        if isinstance(event, ev.AgentStateChanged):
            found += _state_violations(timeline, event)
        timeline.apply(event)
        if isinstance(event, ev.AgentRinging):
            found += _ring_violations(timeline, event, fairness=fairness)
    return found


def _idle_while_waiting(center: Center, snap: Snapshot) -> list[str]:
    found: list[str] = []
    free = [agent for agent in snap.agents.values() if agent.state is AgentState.AVAILABLE]
    for contact in snap.waiting:
        if contact.offered_to or 0 < contact.preferred_until <= snap.at + TIMER_SLACK_S:
            continue
        required = center.queues[contact.queue].skills
        for agent in free:
            skills = center.agents[agent.agent_id].skills
            if skill_level(skills, required) is not None and not contact.prefers(
                agent.agent_id, snap.at
            ):
                found.append(
                    f"after {type(snap.handled).__name__} at {snap.at:.3f}: {contact.call_id} "
                    f"waits un-offered in {contact.queue} while {agent.agent_id} is free"
                )
    return found


def _stale_reservations(snap: Snapshot) -> list[str]:
    waiting = {contact.call_id: contact for contact in snap.waiting}
    found: list[str] = []
    for agent in snap.agents.values():
        if agent.state is not AgentState.RESERVED:
            continue
        contact = waiting.get(agent.call_id)
        if contact is None or contact.offered_to not in (agent.agent_id, RING_ALL):
            found.append(
                f"after {type(snap.handled).__name__} at {snap.at:.3f}: {agent.agent_id} is "
                f"reserved for {agent.call_id}, which no longer waits for it"
            )
    return found


def idle_violations(run: RoutingRun) -> list[str]:
    """After every handled event: no qualified agent sits free beside a contact it may take
    (this is also how a preferred agent gets its caller, and anyone after the window)."""
    return [v for snap in run.snapshots for v in _idle_while_waiting(run.center, snap)]


def line_order_violations(run: RoutingRun) -> list[str]:
    """Within a queue and a priority, contacts are first offered in the order they entered
    (each visit to a queue on its own; callers with a preferred agent are left to
    `event_violations`, which knows their windows)."""
    named = {
        e.call_id
        for e in run.bus
        if isinstance(e, ev.CallOffered) and run.callers.get(e.ani, CallerInfo()).preferred_agent
    }
    visit_of: dict[str, tuple[str, str, int]] = {}
    entered: dict[tuple[str, str, int], tuple[int, int]] = {}
    first_offer: dict[tuple[str, str, int], int] = {}
    for index, event in enumerate(run.bus):
        if isinstance(event, ev.CallQueued) and event.call_id not in named:
            visit_of[event.call_id] = (event.call_id, event.queue, index)
            entered[visit_of[event.call_id]] = (event.priority, index)
        elif isinstance(event, ev.AgentRinging) and event.call_id in visit_of:
            first_offer.setdefault(visit_of[event.call_id], index)
    offered = sorted(first_offer, key=lambda visit: visit[2])
    found: list[str] = []
    for first, later in itertools.combinations(offered, 2):
        same_line = first[1] == later[1] and entered[first][0] == entered[later][0]
        if same_line and first_offer[first] > first_offer[later]:
            found.append(f"{later[0]} offered before {first[0]}, which entered {first[1]} first")
    return found


def reservation_leaks(run: RoutingRun) -> list[str]:
    """After every handled event: a reserved agent's contact still waits, offered to it."""
    return [v for snap in run.snapshots for v in _stale_reservations(snap)]


_QUEUE_EXITS = ("ABANDON", "EXITWITHTIMEOUT", "EXITFULL", "EXITEMPTY")


def _record_problems(record: CallRecordData, events: list[CallEventData]) -> list[str]:
    kinds = [e.kind for e in events]
    connects = [e for e in events if e.kind == "CONNECT"]
    entries = [e for e in events if e.kind == "ENTERQUEUE"]
    exits = [k for k in kinds if k in (*_QUEUE_EXITS, "CONNECT")]
    last_exit = exits[-1] if exits else ""
    problems: list[str] = []
    answered = record.outcome == "answered"
    if answered != bool(connects) or len(connects) > 1:
        problems.append(f"outcome {record.outcome} with {len(connects)} CONNECT")
    if connects and (record.agent_id, record.answered_at) != (connects[0].agent_id, connects[0].at):
        problems.append("agent or answer time differs from its CONNECT")
    if answered and [k for k in kinds if k.startswith(("COMPLETE", "WRAPUP"))] not in (
        ["COMPLETEAGENT", "WRAPUPEND"],
        ["COMPLETECALLER", "WRAPUPEND"],
    ):
        problems.append(f"answered, but the call's end is {kinds}")
    if (record.outcome == "abandoned") != (last_exit == "ABANDON"):
        problems.append(f"outcome {record.outcome}, events {kinds}")
    if record.outcome == "overflow" and not last_exit.startswith("EXIT"):
        problems.append(f"outcome overflow, events {kinds}")
    routes = [str(e.data.get("destination", "")) for e in events if e.kind == "ROUTE"]
    to_voicemail = bool(routes) and routes[-1].startswith("voicemail")
    if ("VOICEMAIL" in kinds and record.outcome != "voicemail") or (
        record.outcome == "voicemail" and not to_voicemail
    ):
        problems.append(f"outcome {record.outcome}, events {kinds}, routes {routes}")
    if entries and (record.queued_at, record.queue) != (entries[0].at, entries[-1].queue):
        problems.append("queue or queue time differs from its ENTERQUEUE events")
    if not entries and record.queued_at is not None:
        problems.append("queued_at set without an ENTERQUEUE")
    return problems


def record_violations(run: RoutingRun) -> list[str]:
    """Every offered call has exactly one record, and its outcome agrees with its events."""
    offered = {e.call_id for e in run.of_type(ev.CallOffered)}
    counts = Counter(record.call_id for record in run.records)
    found = [f"{call}: {counts[call]} records" for call in sorted(offered) if counts[call] != 1]
    found += [f"{call}: a record for a call never offered" for call in set(counts) - offered]
    by_call: dict[str, list[CallEventData]] = {}
    for event in sorted(run.call_events, key=lambda e: e.seq):
        by_call.setdefault(event.call_id, []).append(event)
    for record in run.records:
        problems = _record_problems(record, by_call.get(record.call_id, []))
        found += [f"{record.call_id}: {problem}" for problem in problems]
    return found


def safety_violations(run: RoutingRun) -> list[str]:
    """What must hold whatever the strategy: reservations, skills, leaks and records."""
    return [
        *event_violations(run, fairness=False),
        *reservation_leaks(run),
        *record_violations(run),
    ]


def all_violations(run: RoutingRun) -> list[str]:
    """Every property at once."""
    return [
        *event_violations(run),
        *idle_violations(run),
        *reservation_leaks(run),
        *line_order_violations(run),
        *record_violations(run),
    ]
