"""A whole center on the real carrier: the routing engine, its state store, the bus, the call log
and the SIP stack on one clock. What `hotline serve` runs; the same surface as the simulated
center, so the web desk links to either (`agent_ui.live_desk.CenterLink`)."""

from __future__ import annotations

import asyncio
import random

from acd.bus import EventBus
from acd.clock import Clock
from acd.directory import CallerDirectory, LastAgentDirectory
from acd.engine import Engine
from acd.events import Event
from acd.presence import AgentPresence
from acd.runtime import Inbox, Runtime
from acd.state import MemoryStateStore, StateStore
from config.center import Center
from config.telephony import TelephonyDef
from crm_core.call_records import RecordSink
from crm_core.calllog import CallLog
from telephony.carrier.secrets import SipSecrets
from telephony.carrier.stack import SipStack, open_sip_stack
from telephony.sip.transaction import TimerSettings


class SipCenter:
    """The routing engine driven by real calls over SIP, recording to a sink."""

    def __init__(
        self,
        center: Center,
        telephony: TelephonyDef,
        clock: Clock,
        sink: RecordSink,
        *,
        store: StateStore | None = None,
        first_seq: int = 1,
        directory: CallerDirectory | None = None,
    ) -> None:
        self.center = center
        self.telephony = telephony
        self.clock = clock
        self.bus = EventBus()
        self.inbox = Inbox()
        self.store = store or MemoryStateStore()
        self.directory = directory or LastAgentDirectory()
        self.engine = Engine(
            center,
            self.store,
            clock,
            self.inbox.submit,
            rng=random.Random(),
            directory=self.directory,
        )
        self.call_log = CallLog(sink, first_seq=first_seq)
        self.bus.subscribe(self.call_log)
        if isinstance(self.directory, LastAgentDirectory):
            self.bus.subscribe(self.directory)
        self.stack: SipStack | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(
        self, *, secrets: SipSecrets | None = None, timers: TimerSettings | None = None
    ) -> None:
        """Bind the SIP socket, recover the engine's state and start handling events."""
        self.stack = await open_sip_stack(
            self.center,
            self.telephony,
            self.clock,
            self.inbox.submit,
            secrets=secrets,
            timers=timers,
        )
        runtime = Runtime(self.inbox, self.bus, self.engine, self.stack.carrier)
        await runtime.apply(await self.engine.recover())
        self._task = asyncio.create_task(runtime.run(), name="hotline-runtime")

    @property
    def carrier_stack(self) -> SipStack:
        """The running SIP stack."""
        if self.stack is None:
            raise RuntimeError("the center is not started")
        return self.stack

    def submit(self, event: Event) -> None:
        """Hand an event (an agent's request from a desktop) to the routing engine."""
        self.inbox.submit(event)

    def staff_desk(self, agent_id: str) -> None:
        """Nothing to do: over SIP the agent's own phone rings."""

    def hang_up(self, call_id: str, agent_id: str) -> bool:
        """The agent hangs up the call it is talking on."""
        return self.carrier_stack.carrier.hang_up(call_id, agent_id)

    def ready_refusal(self, agent_id: str) -> str | None:
        """Why the agent may not log in or go Ready now (their phone is not registered), or None."""
        return self.carrier_stack.phones.ready_refusal(agent_id)

    def is_registered(self, agent_id: str) -> bool:
        """True if the agent's phone is registered."""
        return self.carrier_stack.phones.is_registered(agent_id)

    async def presences(self) -> list[AgentPresence]:
        """Every agent's stored presence."""
        return await self.store.agents()

    async def stop(self) -> None:
        """End the calls, stop the runtime, close the socket and the state store."""
        if self.stack is not None:
            await self.stack.close()
        if self._task is not None:
            await self.inbox.drained()
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.store.close()
