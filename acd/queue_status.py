"""What a queue looks like right now: positions, estimated waits, staffing. For announcements
and the wallboard; not on the routing hot path."""

from __future__ import annotations

from dataclasses import dataclass

from acd.clock import Clock
from acd.contacts import WaitingContact
from acd.presence import AgentState
from acd.state import StateStore
from config.center import Center

# Weight of the newest call in the running average handle time.
HANDLE_SMOOTHING = 0.1
_OFF_DUTY = (AgentState.LOGGED_OUT, AgentState.PAUSED)


@dataclass(frozen=True, slots=True)
class WaitingInfo:
    """One waiting contact as a caller or a supervisor would want to know it."""

    call_id: str
    queue: str
    position: int
    waited_s: float
    estimated_wait_s: float
    priority: int
    channel: str


class QueueStatus:
    """Positions and estimated waits from the store, with a running average handle time."""

    def __init__(
        self, center: Center, store: StateStore, clock: Clock, levels: dict[str, dict[str, int]]
    ) -> None:
        self._center = center
        self._store = store
        self._clock = clock
        self._levels = levels
        self._handle_s = {name: q.expected_handle_s for name, q in center.queues.items()}

    def handled(self, queue: str, handle_s: float) -> None:
        """Learn from a finished call's handle time (talk + wrap-up)."""
        old = self._handle_s[queue]
        self._handle_s[queue] = old + HANDLE_SMOOTHING * (handle_s - old)

    def average_handle_s(self, queue: str) -> float:
        """The queue's running average handle time."""
        return self._handle_s[queue]

    async def staffed_count(self, queue: str) -> int:
        """Qualified agents logged in and not paused."""
        qualified = self._levels[queue]
        return sum(
            1
            for agent in await self._store.agents()
            if agent.agent_id in qualified and agent.state not in _OFF_DUTY
        )

    async def is_staffed(self, queue: str) -> bool:
        """True if at least one qualified agent is logged in and not paused."""
        return await self.staffed_count(queue) > 0

    async def contact_info(self, contact: WaitingContact) -> WaitingInfo:
        """Position and estimated wait: callers ahead (and this one) share the staffed agents."""
        position = await self._store.position(contact.call_id) or 1
        return self._info(contact, position, await self.staffed_count(contact.queue))

    async def snapshot(self, queue: str) -> list[WaitingInfo]:
        """Every contact waiting in the queue, in service order."""
        staffed = await self.staffed_count(queue)
        contacts = await self._store.waiting(queue)
        return [self._info(c, i, staffed) for i, c in enumerate(contacts, start=1)]

    def _info(self, contact: WaitingContact, position: int, staffed: int) -> WaitingInfo:
        estimate = position * self._handle_s[contact.queue] / max(1, staffed)
        return WaitingInfo(
            call_id=contact.call_id,
            queue=contact.queue,
            position=position,
            waited_s=self._clock.now() - contact.first_queued_at,
            estimated_wait_s=round(estimate, 1),
            priority=contact.priority,
            channel=contact.channel,
        )
