"""The simulated carrier: a carrier adapter with callers and agents' phones made of random draws.

It carries out the routing engine's commands as a SIP carrier would (prompts take time, phones
ring, people answer and hang up) and reports what happens as events, all on the clock it is
given. The routing engine cannot tell it from the real one.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from acd import commands as cmd
from acd import events as ev
from acd.clock import Clock, Timer
from telephony.sim.behaviour import AgentBehaviour, CallerBehaviour, Duration, ScriptedCall

Submit = Callable[[ev.Event], None]
# A simulated caller talking to a person waits this many talk times for them to hang up.
STAFFED_TALK_LIMIT = 20


@dataclass(slots=True)
class SimCall:
    """A simulated caller on the line."""

    call_id: str
    script: ScriptedCall | None = None
    keys: list[str] = field(default_factory=list)
    media_free_at: float = 0.0
    patience: Timer | None = None
    timers: list[Timer] = field(default_factory=list)
    ringing: dict[str, Timer] = field(default_factory=dict)
    callback: bool = False
    asked_callback: bool = False
    agent_id: str = ""


class SimulatedCarrier:
    """Generates inbound calls and plays the parts of callers and agents' phones."""

    def __init__(
        self,
        clock: Clock,
        submit: Submit,
        rng: random.Random,
        *,
        callers: CallerBehaviour,
        agents: AgentBehaviour,
        prompt_s: float,
        menu_keys: dict[str, list[str]],
        talk_by_queue: dict[str, Duration],
    ) -> None:
        self._clock = clock
        self._submit = submit
        self._rng = rng
        self._callers = callers
        self._agents = agents
        self._prompt_s = prompt_s
        self._menu_keys = menu_keys
        self._talk_by_queue = talk_by_queue
        self._calls: dict[str, SimCall] = {}
        self._queue_of: dict[str, str] = {}
        self._arrivals: Timer | None = None
        self._staffed: set[str] = set()
        self.calls_generated = 0
        self._execute: dict[type[cmd.Command], Callable[[Any, SimCall], Awaitable[None]]] = {
            cmd.AnswerCall: self._answer,
            cmd.PlayPrompt: self._play,
            cmd.CollectDigits: self._collect,
            cmd.Enqueue: self._enqueue,
            cmd.OfferToAgent: self._offer,
            cmd.CancelOffer: self._cancel_offer,
            cmd.Bridge: self._bridge,
            cmd.RecordVoicemail: self._voicemail,
            cmd.Hangup: self._hangup,
            cmd.AnnouncePosition: self._announce,
            cmd.Originate: self._originate,
        }

    def staff_desk(self, agent_id: str) -> None:
        """A person at a desktop answers this agent's phone from now on: it rings until they
        answer or decline, and the call lasts until one side hangs up."""
        self._staffed.add(agent_id)

    def hang_up(self, call_id: str, agent_id: str) -> bool:
        """The agent ends a call it is talking on; False if it is not on that call."""
        call = self._calls.get(call_id)
        if call is None or call.agent_id != agent_id:
            return False
        self._submit(self._end(call, "agent", "normal clearing"))
        return True

    @property
    def active_calls(self) -> int:
        """Calls still on the line."""
        return len(self._calls)

    # --- arrivals ----------------------------------------------------------------------------

    def start_arrivals(self, rates: dict[str, float], until: float | None = None) -> None:
        """Poisson arrivals per dialled number (calls per second) until `until` (epoch s)."""
        total = sum(rates.values())
        if total <= 0:
            return
        numbers, weights = list(rates), list(rates.values())

        def arrive() -> None:
            if until is not None and self._clock.now() >= until:
                self._arrivals = None
                return
            self._new_call(self._rng.choices(numbers, weights)[0], self._random_ani(), None)
            self._arrivals = self._clock.call_later(self._rng.expovariate(total), arrive)

        self._arrivals = self._clock.call_later(self._rng.expovariate(total), arrive)

    def stop_arrivals(self) -> None:
        """No new calls from now on."""
        if self._arrivals is not None:
            self._arrivals.cancel()
            self._arrivals = None

    def schedule(self, calls: list[ScriptedCall]) -> None:
        """Place scripted calls at their moments."""
        for script in calls:
            self._clock.call_later(
                script.after_s,
                lambda s=script: self._new_call(s.dnis, s.ani, s),  # type: ignore[misc]
            )

    def _new_call(self, dnis: str, ani: str, script: ScriptedCall | None) -> str:
        call_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        keys = list(script.digits) if script else []
        self._calls[call_id] = SimCall(call_id, script, keys, self._clock.now())
        self.calls_generated += 1
        self._submit(ev.CallOffered(at=self._clock.now(), call_id=call_id, ani=ani, dnis=dnis))
        return call_id

    def _random_ani(self) -> str:
        return f"+86138{self._rng.randrange(10**8):08d}"

    # --- commands ----------------------------------------------------------------------------

    async def execute(self, command: cmd.Command) -> None:
        """Carry out a command for a call still on the line (others are ignored, as on a wire)."""
        call = self._calls.get(command.call_id)
        if call is None and isinstance(command, cmd.OfferToAgent):
            # A callback: no caller on the line yet, only the agent's phone rings.
            call = SimCall(command.call_id, media_free_at=self._clock.now(), callback=True)
            self._calls[call.call_id] = call
        if call is not None:
            await self._execute[type(command)](command, call)

    async def _answer(self, command: cmd.AnswerCall, call: SimCall) -> None:
        call.media_free_at = max(call.media_free_at, self._clock.now())

    async def _play(self, command: cmd.PlayPrompt, call: SimCall) -> None:
        call.media_free_at = max(call.media_free_at, self._clock.now()) + self._prompt_s

    def _later(self, call: SimCall, at: float, make: Callable[[], ev.Event]) -> Timer:
        timer = self._clock.call_later(at - self._clock.now(), lambda: self._submit(make()))
        call.timers.append(timer)
        return timer

    async def _collect(self, command: cmd.CollectDigits, call: SimCall) -> None:
        await self._play(cmd.PlayPrompt(call_id=call.call_id, prompt=command.prompt), call)
        key = self._choose_key(call, command.prompt)
        wait = command.timeout_s if not key else self._callers.keypress_s
        at = call.media_free_at + wait
        call.media_free_at = at
        self._later(call, at, lambda: ev.DigitsCollected(at=at, call_id=call.call_id, digits=key))

    def _choose_key(self, call: SimCall, prompt: str) -> str:
        if call.script is not None:
            return call.keys.pop(0) if call.keys else ""
        keys = self._menu_keys.get(prompt, [])
        if not keys or self._rng.random() < self._callers.no_input_probability:
            return ""
        return self._rng.choice(keys)

    async def _enqueue(self, command: cmd.Enqueue, call: SimCall) -> None:
        self._queue_of[call.call_id] = command.queue
        if call.patience is not None:
            return  # overflowed to another queue: the caller's patience keeps running
        patience = self._patience(call)
        if patience is not None:
            at = self._clock.now() + patience
            call.patience = self._later(
                call, at, lambda: self._end(call, "caller", "caller gave up waiting")
            )

    def _patience(self, call: SimCall) -> float | None:
        if call.script is not None:
            return call.script.patience_s
        behaviour = self._callers.patience
        return None if behaviour is None else behaviour.draw(self._rng)

    async def _offer(self, command: cmd.OfferToAgent, call: SimCall) -> None:
        if command.agent_id in self._staffed:
            return  # the person at the desktop answers, or not
        if self._rng.random() >= self._agents.answer_probability:
            return  # the phone rings on until the engine gives up
        at = self._clock.now() + self._agents.ring_delay.draw(self._rng)
        call.ringing[command.agent_id] = self._later(
            call,
            at,
            lambda: ev.AgentAnswered(at=at, call_id=call.call_id, agent_id=command.agent_id),
        )

    async def _cancel_offer(self, command: cmd.CancelOffer, call: SimCall) -> None:
        timer = call.ringing.pop(command.agent_id, None)
        if timer is not None:
            timer.cancel()
        if call.callback and not call.ringing:
            self._calls.pop(call.call_id, None)  # nothing is on the line for a callback yet

    async def _bridge(self, command: cmd.Bridge, call: SimCall) -> None:
        if call.patience is not None:
            call.patience.cancel()
        call.ringing.clear()
        call.agent_id = command.agent_id
        talk = self._talk(call)
        caller_ends = self._rng.random() < self._agents.caller_hangs_up_first
        if command.agent_id in self._staffed:
            if not caller_ends:  # the person at the desktop hangs up; a caller's limit stays
                talk *= STAFFED_TALK_LIMIT
            caller_ends = True
        by: ev.EndedBy = "caller" if caller_ends else "agent"
        self._later(call, self._clock.now() + talk, lambda: self._end(call, by, "normal clearing"))

    def _talk(self, call: SimCall) -> float:
        if call.script is not None and call.script.talk_s is not None:
            return call.script.talk_s
        queue = self._queue_of.get(call.call_id, "")
        return self._talk_by_queue.get(queue, self._agents.handle).draw(self._rng)

    async def _voicemail(self, command: cmd.RecordVoicemail, call: SimCall) -> None:
        await self._play(cmd.PlayPrompt(call_id=call.call_id, prompt="greeting"), call)
        at = call.media_free_at + self._callers.voicemail.draw(self._rng)
        recorded = ev.VoicemailRecorded(
            at=at, call_id=call.call_id, mailbox=command.mailbox, duration_s=at - call.media_free_at
        )

        def message_left() -> ev.Event:
            self._submit(recorded)  # one timer, so the message is reported before the hang-up
            return self._end(call, "caller", "message left")

        self._later(call, at, message_left)

    async def _announce(self, command: cmd.AnnouncePosition, call: SimCall) -> None:
        """Announcements play over the hold music; some callers take the callback offer."""
        if not command.callback_key or call.asked_callback:
            return
        if self._rng.random() < self._callers.callback_probability:
            call.asked_callback = True
            at = self._clock.now() + self._callers.keypress_s
            key = command.callback_key
            self._later(
                call, at, lambda: ev.DigitsCollected(at=at, call_id=call.call_id, digits=key)
            )

    async def _originate(self, command: cmd.Originate, call: SimCall) -> None:
        """Dial a callback's customer: they answer after a few rings, or not at all."""
        call.ringing.clear()
        if self._rng.random() < self._callers.callback_answer_probability:
            at = self._clock.now() + self._callers.callback_ring.draw(self._rng)
            self._later(call, at, lambda: ev.CalleeAnswered(at=at, call_id=call.call_id))
        else:
            at = self._clock.now() + self._callers.callback_no_answer_s
            self._later(call, at, lambda: self._end(call, "system", "no answer"))

    async def _hangup(self, command: cmd.Hangup, call: SimCall) -> None:
        if command.prompt:
            await self._play(cmd.PlayPrompt(call_id=call.call_id, prompt=command.prompt), call)
        at = max(call.media_free_at, self._clock.now())
        self._later(call, at, lambda: self._end(call, "system", command.cause))

    def _end(self, call: SimCall, by: ev.EndedBy, cause: str) -> ev.Event:
        """The caller's line goes down: stop everything pending for it."""
        for timer in [*call.timers, *call.ringing.values()]:
            timer.cancel()
        self._calls.pop(call.call_id, None)
        self._queue_of.pop(call.call_id, None)
        return ev.CallEnded(at=self._clock.now(), call_id=call.call_id, by=by, cause=cause)
