"""Who is calling: the routing engine asks a `CallerDirectory` for a caller's priority and
preferred agent when a call arrives. The CRM provides one; `LastAgentDirectory` remembers, for
each caller number, the agent who served it last (known-agent routing without a CRM)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from acd import events as ev


@dataclass(frozen=True, slots=True)
class CallerInfo:
    """What routing needs to know about a caller."""

    priority: int = 0
    preferred_agent: str = ""
    customer_id: str = ""


class CallerDirectory(Protocol):
    """Looks a caller up by number."""

    async def lookup(self, ani: str, dnis: str) -> CallerInfo:
        """The caller's routing facts (defaults when unknown)."""


class NoDirectory:
    """Knows no one: every caller gets the defaults."""

    async def lookup(self, ani: str, dnis: str) -> CallerInfo:
        """Defaults."""
        return CallerInfo()


class StaticDirectory:
    """A fixed table of callers (tests, simulations, small sites)."""

    def __init__(self, callers: dict[str, CallerInfo]) -> None:
        self._callers = dict(callers)

    async def lookup(self, ani: str, dnis: str) -> CallerInfo:
        """The caller's entry, or defaults."""
        return self._callers.get(ani, CallerInfo())


class LastAgentDirectory:
    """Remembers who last served each caller number; subscribe it to the event bus."""

    def __init__(self, fallback: CallerDirectory | None = None) -> None:
        self._fallback = fallback or NoDirectory()
        self._ani_of_call: dict[str, str] = {}
        self._last_agent: dict[str, str] = {}

    async def __call__(self, event: ev.Event) -> None:
        """Bus handler: learn caller numbers and who answered them."""
        if isinstance(event, ev.CallOffered):
            self._ani_of_call[event.call_id] = event.ani
        elif isinstance(event, ev.CallConnected):
            ani = self._ani_of_call.get(event.call_id)
            if ani:
                self._last_agent[ani] = event.agent_id
        elif isinstance(event, ev.CallFinished):
            self._ani_of_call.pop(event.call_id, None)

    async def lookup(self, ani: str, dnis: str) -> CallerInfo:
        """The fallback's facts, with the last agent as the preferred one when known."""
        info = await self._fallback.lookup(ani, dnis)
        last = self._last_agent.get(ani, "")
        if last and not info.preferred_agent:
            return CallerInfo(info.priority, last, info.customer_id)
        return info
