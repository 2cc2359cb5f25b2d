"""How simulated callers and agents behave: arrival rates, patience, ring delays, handle times."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Duration:
    """A random duration: exponential with the given mean, or always the mean when `fixed`."""

    mean: float
    fixed: bool = False

    def draw(self, rng: random.Random) -> float:
        """One duration in seconds."""
        if self.fixed or self.mean <= 0:
            return max(0.0, self.mean)
        return rng.expovariate(1.0 / self.mean)


@dataclass(frozen=True, slots=True)
class CallerBehaviour:
    """Simulated callers: patience in queue (None: never abandon), IVR key presses, voicemail."""

    patience: Duration | None = Duration(120.0)
    keypress_s: float = 1.5
    no_input_probability: float = 0.03
    voicemail: Duration = Duration(20.0)
    callback_probability: float = 0.0
    callback_answer_probability: float = 0.9
    callback_ring: Duration = Duration(8.0, fixed=True)
    callback_no_answer_s: float = 30.0


@dataclass(frozen=True, slots=True)
class AgentBehaviour:
    """Simulated agents: ring delay before answering, handle time (talk + wrap-up), reliability.

    Talk time per call is drawn with mean `handle.mean - wrap-up` of the queue, so the handle
    time (talk + wrap-up) averages `handle.mean`.
    """

    ring_delay: Duration = Duration(3.0, fixed=True)
    handle: Duration = Duration(180.0)
    answer_probability: float = 1.0
    caller_hangs_up_first: float = 0.5


@dataclass(frozen=True, slots=True)
class ScriptedCall:
    """One call at a chosen moment, with everything about the caller fixed in advance."""

    after_s: float
    dnis: str
    ani: str = "+8613800000000"
    digits: str = ""
    patience_s: float | None = None
    talk_s: float | None = None


@dataclass(frozen=True, slots=True)
class SimulationProfile:
    """Everything that drives a simulated day besides the center definition."""

    arrival_rate_per_s: float = 0.05
    callers: CallerBehaviour = CallerBehaviour()
    agents: AgentBehaviour = AgentBehaviour()
    prompt_s: float = 4.0
    number_weights: dict[str, float] = field(default_factory=dict)
    agent_ids: tuple[str, ...] | None = None
