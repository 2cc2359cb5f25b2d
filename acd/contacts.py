"""Waiting contacts: what a queue holds, and the order it serves them in."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class WaitingContact:
    """A contact waiting in a queue.

    `enqueued_at` is its place in the queue: it keeps it when an offer is not answered.
    `first_queued_at` is when it entered its first queue (waits are measured from there).
    """

    call_id: str
    queue: str
    enqueued_at: float
    first_queued_at: float
    seq: int
    priority: int = 0
    skills: dict[str, int] = field(default_factory=dict)
    preferred_agent: str = ""
    offered_to: str = ""

    def order_key(self) -> tuple[int, float, int]:
        """Higher priority first; within a priority strictly first come, first served."""
        return (-self.priority, self.enqueued_at, self.seq)
