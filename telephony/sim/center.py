"""A whole center on the simulated carrier: engine, state store, bus, call log and carrier wired
together on one clock. Used by `hotline simulate` (virtual clock) and `hotline demo` (real clock).
"""

from __future__ import annotations

import asyncio
import random

from acd.bus import EventBus
from acd.clock import Clock
from acd.directory import CallerDirectory, LastAgentDirectory
from acd.engine import Engine
from acd.events import AgentLoginRequested, AgentLogoutRequested, Event
from acd.presence import AgentPresence
from acd.runtime import Inbox, Runtime
from acd.state import MemoryStateStore, StateStore
from config.center import Center
from crm_core.call_records import RecordSink
from crm_core.calllog import CallLog
from telephony.sim.behaviour import Duration, ScriptedCall, SimulationProfile
from telephony.sim.carrier import SimulatedCarrier

MIN_TALK_S = 1.0
SETTLE_STEP_S = 1.0


class SimulatedCenter:
    """The routing engine driven by simulated callers and agents, recording to a sink."""

    def __init__(
        self,
        center: Center,
        clock: Clock,
        sink: RecordSink,
        profile: SimulationProfile,
        seed: int | None = None,
        *,
        store: StateStore | None = None,
        first_seq: int = 1,
        directory: CallerDirectory | None = None,
    ) -> None:
        self.center = center
        self.clock = clock
        self.profile = profile
        rng = random.Random(seed)
        self.bus = EventBus()
        self.inbox = Inbox()
        self.store = store or MemoryStateStore()
        self.directory = directory or LastAgentDirectory()
        self.engine = Engine(
            center, self.store, clock, self.inbox.submit, rng=_child(rng), directory=self.directory
        )
        self.carrier = SimulatedCarrier(
            clock,
            self.inbox.submit,
            _child(rng),
            callers=profile.callers,
            agents=profile.agents,
            prompt_s=profile.prompt_s,
            menu_keys={menu.prompt: sorted(menu.options) for menu in center.menus.values()},
            talk_by_queue=_talk_by_queue(center, profile.agents.handle),
        )
        self.call_log = CallLog(sink, first_seq=first_seq)
        self.bus.subscribe(self.call_log)
        if isinstance(self.directory, LastAgentDirectory):
            self.bus.subscribe(self.directory)
        self.runtime = Runtime(self.inbox, self.bus, self.engine, self.carrier)
        self._task: asyncio.Task[None] | None = None

    def submit(self, event: Event) -> None:
        """Hand an event (an agent's request from a desktop) to the routing engine."""
        self.inbox.submit(event)

    def staff_desk(self, agent_id: str) -> None:
        """A person at a desktop answers this agent's phone from now on."""
        self.carrier.staff_desk(agent_id)

    def hang_up(self, call_id: str, agent_id: str) -> bool:
        """The agent hangs up a call it is talking on."""
        return self.carrier.hang_up(call_id, agent_id)

    async def presences(self) -> list[AgentPresence]:
        """Every agent's stored presence."""
        return await self.store.agents()

    def ready_refusal(self, agent_id: str) -> str | None:
        """Simulated phones are always there: nothing keeps an agent from going Ready."""
        return None

    @property
    def agent_ids(self) -> tuple[str, ...]:
        """The agents the simulation logs in."""
        if self.profile.agent_ids is not None:
            return self.profile.agent_ids
        return tuple(self.center.agents)

    async def start(self, until: float | None = None) -> None:
        """Log the agents in and start generating calls (until `until`, epoch s, if given)."""
        await self.runtime.apply(await self.engine.recover())
        self._task = asyncio.create_task(self.runtime.run(), name="hotline-runtime")
        for agent_id in self.agent_ids:
            self.inbox.submit(AgentLoginRequested(at=self.clock.now(), agent_id=agent_id))
        self.carrier.start_arrivals(self.arrival_rates(), until)

    def schedule(self, calls: list[ScriptedCall]) -> None:
        """Add scripted calls."""
        self.carrier.schedule(calls)

    def arrival_rates(self) -> dict[str, float]:
        """Calls per second per dialled number, splitting the profile's rate by weight."""
        weights = self.profile.number_weights or dict.fromkeys(self.center.numbers, 1.0)
        total = sum(weights.values())
        rate = self.profile.arrival_rate_per_s
        return {number: rate * w / total for number, w in weights.items()} if total else {}

    @property
    def idle(self) -> bool:
        """True when no call is on the line and no agent is still wrapping one up."""
        return self.carrier.active_calls == 0 and self.engine.active_calls == 0

    async def settle(self) -> None:
        """Wait (on the center's clock) until every call has finished and every event is handled."""
        await self.inbox.drained()
        while not self.idle:
            await self.clock.sleep(SETTLE_STEP_S)
            await self.inbox.drained()

    async def stop(self) -> None:
        """Stop new calls, log the agents out, stop the runtime and close the state store."""
        self.carrier.stop_arrivals()
        for agent_id in self.agent_ids:
            self.inbox.submit(AgentLogoutRequested(at=self.clock.now(), agent_id=agent_id))
        if self._task is not None:
            await self.inbox.drained()
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.store.close()


def _child(rng: random.Random) -> random.Random:
    return random.Random(rng.getrandbits(64))


def _talk_by_queue(center: Center, handle: Duration) -> dict[str, Duration]:
    return {
        name: Duration(max(MIN_TALK_S, handle.mean - queue.wrap_up_s), handle.fixed)
        for name, queue in center.queues.items()
    }
