"""What the desktops and the wallboard show right now, kept up to date from the event bus.

`DeskBoard` is pure: it takes domain events one at a time (in bus order) and answers with the
messages to push, each addressed to one agent's desktop or to every supervisor. It also answers
"what is the state now" for a browser that (re)connects, so a page never shows stale state: it
starts from a snapshot and applies the pushed changes after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from acd import events as ev
from acd.matching import qualified_levels
from acd.presence import AgentPresence, AgentState
from config.center import Center

SUPERVISORS = "*supervisors"
Message = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for one agent's desktops (`to` = agent id) or for every supervisor."""

    to: str
    message: Message


@dataclass(slots=True)
class CallView:
    """A call as the desktop shows it."""

    call_id: str
    ani: str
    dnis: str
    arrived_at: float
    queue: str = ""
    queued_at: float | None = None
    agent_id: str = ""
    connected_at: float | None = None

    def as_message(self) -> Message:
        """JSON-ready."""
        return {
            "call_id": self.call_id,
            "ani": self.ani,
            "dnis": self.dnis,
            "queue": self.queue,
            "arrived_at": self.arrived_at,
            "queued_at": self.queued_at,
            "connected_at": self.connected_at,
        }


@dataclass(slots=True)
class AgentView:
    """An agent as the desktop and the agent board show it."""

    agent_id: str
    name: str
    state: str = AgentState.LOGGED_OUT.value
    since: float = 0.0
    reason: str = ""
    call_id: str = ""
    wrap_up_ends_at: float | None = None
    wrap_extended: bool = False
    dispositions: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()

    def as_message(self) -> Message:
        """JSON-ready."""
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "state": self.state,
            "since": self.since,
            "reason": self.reason,
            "call_id": self.call_id,
            "wrap_up_ends_at": self.wrap_up_ends_at,
            "dispositions": list(self.dispositions),
            "queues": list(self.queues),
        }


@dataclass(slots=True)
class QueueView:
    """Who waits in a queue now (call id → since when), for "waiting" and "longest wait"."""

    name: str
    waiting: dict[str, float] = field(default_factory=dict)

    def as_message(self, now: float) -> Message:
        """JSON-ready, with the longest wait as of `now`."""
        oldest = min(self.waiting.values(), default=None)
        return {
            "queue": self.name,
            "waiting": len(self.waiting),
            "longest_wait_s": None if oldest is None else round(max(0.0, now - oldest), 1),
        }


class DeskBoard:
    """Agents, live calls and queues as the browsers show them; fed by bus events."""

    def __init__(self, center: Center) -> None:
        self._center = center
        levels = qualified_levels(center)
        self.agents = {
            agent_id: AgentView(
                agent_id,
                agent.name or agent_id,
                queues=tuple(name for name in center.queues if agent_id in levels[name]),
            )
            for agent_id, agent in center.agents.items()
        }
        self.calls: dict[str, CallView] = {}
        self.queues = {name: QueueView(name) for name in center.queues}
        self._handlers: dict[type[ev.Event], Callable[[Any], list[Notice]]] = {
            ev.CallOffered: self._offered,
            ev.CallQueued: self._queued,
            ev.AgentStateChanged: self._agent_state,
            ev.AgentRinging: self._ringing,
            ev.CallConnected: self._connected,
            ev.CallAbandoned: self._left_queue,
            ev.CallOverflowed: self._left_queue,
            ev.CallFinished: self._finished,
            ev.AgentWrapUpExtendRequested: self._extend,
            ev.AgentRequestRefused: self._refused,
        }

    def seed(self, presence: AgentPresence) -> None:
        """Start from a stored presence (an agent already at work when the web app starts)."""
        agent = self.agents.get(presence.agent_id)
        if agent is not None and agent.since <= presence.since:
            agent.state, agent.since, agent.reason = presence.state.value, presence.since, ""
            agent.reason, agent.call_id = presence.reason, presence.call_id

    def apply(self, event: ev.Event) -> list[Notice]:
        """Take one event; the messages it means for the browsers."""
        handler = self._handlers.get(type(event))
        return handler(event) if handler is not None else []

    # --- snapshots for a browser that connects ------------------------------------------------

    def desk(self, agent_id: str) -> Message:
        """Everything one agent's desktop shows."""
        agent = self.agents[agent_id]
        call = self.calls.get(agent.call_id)
        return {
            "type": "desk",
            "agent": agent.as_message(),
            "call": call.as_message() if call else None,
            "pause_reasons": list(self._center.center.pause_reasons),
        }

    def board(self, now: float) -> Message:
        """Everything the wallboard shows that changes by the second."""
        return {
            "type": "board",
            "as_of": now,
            "agents": [agent.as_message() for agent in self.agents.values()],
            "queues": [queue.as_message(now) for queue in self.queues.values()],
            "pause_reasons": list(self._center.center.pause_reasons),  # for forced pauses
        }

    # --- event handlers -----------------------------------------------------------------------

    def _offered(self, event: ev.CallOffered) -> list[Notice]:
        self.calls[event.call_id] = CallView(event.call_id, event.ani, event.dnis, event.at)
        return []

    def _queued(self, event: ev.CallQueued) -> list[Notice]:
        call = self.calls.get(event.call_id)
        if call is not None:
            call.queue = event.queue
            call.queued_at = call.queued_at if call.queued_at is not None else event.at
        queue = self.queues.get(event.queue)
        if queue is None:
            return []
        queue.waiting[event.call_id] = event.at
        return [Notice(SUPERVISORS, {"type": "queue", **queue.as_message(event.at)})]

    def _left_queue(self, event: ev.CallAbandoned | ev.CallOverflowed) -> list[Notice]:
        queue = self.queues.get(event.queue)
        if queue is None or queue.waiting.pop(event.call_id, None) is None:
            return []
        return [Notice(SUPERVISORS, {"type": "queue", **queue.as_message(event.at)})]

    def _agent_state(self, event: ev.AgentStateChanged) -> list[Notice]:
        agent = self.agents.get(event.agent_id)
        if agent is None:
            return []
        agent.state, agent.since, agent.reason = event.state, event.at, event.reason
        agent.wrap_up_ends_at, agent.wrap_extended, agent.dispositions = None, False, ()
        if event.state == AgentState.WRAP_UP.value:
            self._start_wrap_up(agent, event)
        elif event.state in (AgentState.RESERVED.value, AgentState.ON_CALL.value):
            agent.call_id = event.call_id or agent.call_id
        else:
            agent.call_id = ""
        message = {"type": "agent", **agent.as_message()}
        return [Notice(agent.agent_id, message), Notice(SUPERVISORS, message)]

    def _start_wrap_up(self, agent: AgentView, event: ev.AgentStateChanged) -> None:
        agent.call_id = event.call_id or agent.call_id
        call = self.calls.get(agent.call_id)
        queue = self._center.queues.get(call.queue) if call else None
        if queue is not None:
            agent.wrap_up_ends_at = event.at + queue.wrap_up_s
            agent.dispositions = tuple(queue.dispositions)

    def _ringing(self, event: ev.AgentRinging) -> list[Notice]:
        call = self.calls.get(event.call_id)
        if call is None:
            return []
        waited = None if call.queued_at is None else round(event.at - call.queued_at, 1)
        ring_timeout = self._center.queues[event.queue].ring_timeout_s
        message = {
            "type": "ringing",
            "call": call.as_message(),
            "rang_at": event.at,
            "queue": event.queue,
            "waited_s": waited,
            "ring_timeout_s": ring_timeout,
        }
        return [Notice(event.agent_id, message)]

    def _connected(self, event: ev.CallConnected) -> list[Notice]:
        call = self.calls.get(event.call_id)
        if call is None:
            return []
        call.agent_id, call.connected_at = event.agent_id, event.at
        notices = [Notice(event.agent_id, {"type": "connected", "call": call.as_message()})]
        queue = self.queues.get(event.queue)
        if queue is not None and queue.waiting.pop(event.call_id, None) is not None:
            notices.append(Notice(SUPERVISORS, {"type": "queue", **queue.as_message(event.at)}))
        return notices

    def _finished(self, event: ev.CallFinished) -> list[Notice]:
        call = self.calls.pop(event.call_id, None)
        notices = []
        for queue in self.queues.values():
            if queue.waiting.pop(event.call_id, None) is not None:
                notices.append(Notice(SUPERVISORS, {"type": "queue", **queue.as_message(event.at)}))
        if call is not None and call.agent_id:
            message = {"type": "call-finished", "call_id": call.call_id, "outcome": event.outcome}
            notices.append(Notice(call.agent_id, message))
        return notices

    def _extend(self, event: ev.AgentWrapUpExtendRequested) -> list[Notice]:
        agent = self.agents.get(event.agent_id)
        call = self.calls.get(agent.call_id) if agent else None
        queue = self._center.queues.get(call.queue) if call else None
        if agent is None or queue is None or agent.wrap_up_ends_at is None or agent.wrap_extended:
            return []  # the engine refuses it too
        agent.wrap_up_ends_at = event.at + queue.wrap_up_s  # the engine restarts the timer
        agent.wrap_extended = True
        return [Notice(agent.agent_id, {"type": "agent", **agent.as_message()})]

    def _refused(self, event: ev.AgentRequestRefused) -> list[Notice]:
        message = {"type": "refused", "request": event.request, "reason": event.reason}
        return [Notice(event.agent_id, message)]
