"""A live call as the routing engine sees it, with its named timers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from acd import events as ev
from acd.clock import Clock, Timer
from acd.commands import Command
from acd.contacts import WaitingContact

Output = Command | ev.Event


@dataclass(slots=True)
class CallSession:
    """What the engine remembers about one live call.

    `outcome` is what the call's record will say if the call ends now; it changes as the call
    moves (IVR → queue → agent).
    """

    call_id: str
    ani: str
    dnis: str
    arrived_at: float
    answered: bool = False
    menu: str = ""
    tries: int = 0
    queue: str = ""
    first_queued_at: float | None = None
    agent_id: str = ""
    connected_at: float | None = None
    completed: bool = False
    outcome: str = "ivr"
    priority: int = 0
    preferred_agent: str = ""
    wrap_extended: bool = False
    channel: str = "voice"
    dialing: bool = False
    callback_attempts: int = 0
    overflows: int = 0
    callback_contact: WaitingContact | None = None
    timers: dict[str, Timer] = field(default_factory=dict)

    def start_timer(self, clock: Clock, name: str, delay: float, fire: Callable[[], None]) -> None:
        """(Re)start the named timer ('ring', 'max-wait', 'wrap-up')."""
        self.cancel_timer(name)
        self.timers[name] = clock.call_later(delay, fire)

    def cancel_timer(self, name: str) -> None:
        """Stop the named timer if it runs."""
        timer = self.timers.pop(name, None)
        if timer is not None:
            timer.cancel()

    def cancel_timers(self) -> None:
        """Stop every timer of the call."""
        for name in list(self.timers):
            self.cancel_timer(name)

    def wait_s(self, now: float) -> float:
        """Seconds since the call entered its first queue (0 if it never did)."""
        return 0.0 if self.first_queued_at is None else now - self.first_queued_at
