"""Waiting contacts: what a queue holds, and the order it serves them in."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

# With strict priorities, one priority step outranks this much waiting (about 31 years).
STRICT_PRIORITY_S = 1e9


def rank_score(enqueued_at: float, priority: int, ageing_s: float | None = None) -> float:
    """The service-order score (lower is served first).

    Strict priority (`ageing_s` None): a higher priority always goes first, then first come,
    first served. With ageing, each priority step counts as `ageing_s` seconds of waiting, so a
    low-priority contact that has waited long enough overtakes newer high-priority ones.
    """
    step = STRICT_PRIORITY_S if ageing_s is None else ageing_s
    return enqueued_at - priority * step


@dataclass(frozen=True, slots=True)
class WaitingContact:
    """A contact waiting in a queue.

    `enqueued_at` is its place in the queue: it keeps it when an offer is not answered or when
    the caller asks to be called back. `first_queued_at` is when it entered its first queue
    (waits are measured from there). `score` orders the queue (see `rank_score`).
    """

    call_id: str
    queue: str
    enqueued_at: float
    first_queued_at: float
    seq: int
    priority: int = 0
    skills: dict[str, int] = field(default_factory=dict)
    preferred_agent: str = ""
    preferred_until: float = 0.0
    offered_to: str = ""
    channel: str = "voice"
    callback_number: str = ""
    ani: str = ""
    dnis: str = ""
    arrived_at: float = 0.0
    score: float = math.nan

    def __post_init__(self) -> None:
        if math.isnan(self.score):
            object.__setattr__(self, "score", rank_score(self.enqueued_at, self.priority))

    def order_key(self) -> tuple[float, int]:
        """Lower is served first: the score, then arrival order."""
        return (self.score, self.seq)

    def prefers(self, agent_id: str, now: float) -> bool:
        """True while the contact waits only for its preferred agent, who is not `agent_id`."""
        return (
            bool(self.preferred_agent)
            and self.preferred_agent != agent_id
            and (now < self.preferred_until)
        )


_FIELDS = tuple(f.name for f in fields(WaitingContact))


def with_offer(contact: WaitingContact, agent_id: str) -> WaitingContact:
    """The contact, now ringing `agent_id` (empty: ringing no one).

    Copied field by field: offers are on the routing hot path, and `replace` is slow.
    """
    copy = object.__new__(WaitingContact)
    for name in _FIELDS:
        object.__setattr__(copy, name, getattr(contact, name))
    object.__setattr__(copy, "offered_to", agent_id)
    return copy
