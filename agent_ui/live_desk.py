"""The live side of the web app: the link to the running center, the hub and the desk board.

`CenterLink` is what the desktops need from a running center, simulated or over SIP: its event
bus to watch, a way to submit agents' requests as events, and two things only telephony can do
(let a person at a desktop answer an agent's phone in simulation, and hang up a call).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from acd.bus import EventBus
from acd.clock import Clock
from acd.events import Event
from acd.presence import AgentPresence
from agent_ui.desk_notifier import DeskNotifier, ScreenPops
from agent_ui.desk_view import DeskBoard
from agent_ui.figures_push import FiguresPusher
from agent_ui.live_hub import LiveHub
from config.center import Center


class CenterLink(Protocol):
    """The running center, as the web desktops see it."""

    @property
    def bus(self) -> EventBus:
        """Every domain event, in order."""

    def submit(self, event: Event) -> None:
        """Hand an agent's request (an event) to the routing engine."""

    def staff_desk(self, agent_id: str) -> None:
        """A person at a desktop now answers this agent's phone (simulated phones stop doing
        it); over SIP the agent's own phone rings, so nothing changes."""

    def hang_up(self, call_id: str, agent_id: str) -> bool:
        """End a call the agent is talking on; False if it is not theirs (or already over)."""

    async def presences(self) -> list[AgentPresence]:
        """Every agent's presence as stored now (to start the board from)."""

    def ready_refusal(self, agent_id: str) -> str | None:
        """Why the agent cannot take calls now (their phone is not registered), or None."""


@dataclass(slots=True)
class LiveDesk:
    """The hub and board, fed by the center's bus once started."""

    link: CenterLink
    center: Center
    pops: ScreenPops | None = None
    records: tuple[sessionmaker[Session], Clock] | None = None
    hub: LiveHub = field(default_factory=LiveHub)
    notifier: DeskNotifier = field(init=False)
    figures: FiguresPusher | None = field(init=False)
    _unsubscribe: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.notifier = DeskNotifier(DeskBoard(self.center), self.hub, self.pops)
        self.figures = None
        if self.records is not None:
            sessions, clock = self.records
            self.figures = FiguresPusher(sessions, self.center, clock, self.board, self.hub)

    @property
    def board(self) -> DeskBoard:
        """What the browsers show."""
        return self.notifier.board

    async def start(self) -> None:
        """Watch the center's bus."""
        if self._unsubscribe is None:
            self._unsubscribe = self.link.bus.subscribe(self.notifier)
            for presence in await self.link.presences():
                self.board.seed(presence)
        if self.figures is not None:
            await self.figures.start()

    async def stop(self) -> None:
        """Stop watching."""
        if self.figures is not None:
            await self.figures.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
