"""The SIP carrier: the routing engine's commands carried out over SIP and RTP, and what happens
on the wire reported back as domain events. A drop-in for the simulated carrier.

Commands: answer (after an optional ringback delay), prompts, digit collection, hold music with
announcements, offers that ring the agent's registered phone, CANCEL, bridging the caller with
the agent who answered, voicemail recording, hang-up. Events: `CallOffered`, `DigitsCollected`,
`AgentAnswered`, `OfferDeclined`, `VoicemailRecorded`, `CallEnded`. A call whose last leg goes is
torn down here (ringing phones cancelled, the other side sent a BYE) before `CallEnded`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from acd import commands as cmd
from acd import events as ev
from acd.callbacks import CALLBACK_SUFFIX
from acd.clock import Clock, Timer
from telephony.carrier.agent_leg import AgentLeg, offer_invite
from telephony.carrier.caller_leg import CallerLeg
from telephony.carrier.caller_media import CallerMedia, VoicemailBox
from telephony.carrier.negotiation import open_answering, open_offering, parse_sdp
from telephony.carrier.phones import PhoneRegistry
from telephony.carrier.prompt_source import PromptSource
from telephony.carrier.signalling import Signalling
from telephony.carrier.ua import LegIndex
from telephony.media.media_session import MediaSession, RelayBridge
from telephony.media.offer_answer import OfferAnswerError
from telephony.media.rtp_endpoint import PortAllocator, PortsExhausted
from telephony.media.sdp import SessionDescription
from telephony.sip.message import SipRequest
from telephony.sip.transaction import TimerSettings, TransactionKey
from telephony.sip.transport import Peer

log = structlog.get_logger(__name__)
Submit = Callable[[ev.Event], None]


@dataclass(slots=True)
class CarrierCall:
    """One call as the carrier holds it: the caller's leg and media, the agents' legs."""

    call_id: str
    caller: CallerLeg | None = None
    media: CallerMedia | None = None
    agents: dict[str, AgentLeg] = field(default_factory=dict)
    bridge: RelayBridge | None = None
    offered: bool = False
    ended: bool = False
    answer_timer: Timer | None = None


@dataclass(frozen=True, slots=True)
class CarrierOptions:
    """The carrier's knobs from the center file."""

    media_host: str
    voicemail: VoicemailBox
    answer_delay_s: float = 0.0
    timers: TimerSettings = field(default_factory=TimerSettings)


class SipCarrier:
    """Carries out routing commands over SIP/RTP and submits what happens as events."""

    def __init__(
        self,
        signalling: Signalling,
        legs: LegIndex,
        phones: PhoneRegistry,
        allocator: PortAllocator,
        prompts: PromptSource,
        clock: Clock,
        submit: Submit,
        options: CarrierOptions,
    ) -> None:
        self._sip = signalling
        self._legs = legs
        self.phones = phones
        self._allocator = allocator
        self._prompts = prompts
        self._clock = clock
        self._submit = submit
        self._options = options
        self.calls: dict[str, CarrierCall] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._execute: dict[type[cmd.Command], Callable[[Any, CarrierCall], Awaitable[None]]] = {
            cmd.AnswerCall: self._answer,
            cmd.PlayPrompt: self._play,
            cmd.CollectDigits: self._collect,
            cmd.Enqueue: self._enqueue,
            cmd.AnnouncePosition: self._announce,
            cmd.OfferToAgent: self._offer,
            cmd.CancelOffer: self._cancel_offer,
            cmd.Bridge: self._bridge,
            cmd.RecordVoicemail: self._voicemail,
            cmd.Hangup: self._hangup,
            cmd.Originate: self._originate,
        }

    # --- what the desk may ask -----------------------------------------------------------------

    def is_registered(self, agent_id: str) -> bool:
        """True if the agent's phone is registered."""
        return self.phones.is_registered(agent_id)

    def hang_up(self, call_id: str, agent_id: str) -> bool:
        """The agent ends the call they are talking on (from the desktop)."""
        call = self.calls.get(call_id)
        leg = call.agents.get(agent_id) if call is not None else None
        if call is None or leg is None or not leg.answered:
            return False
        self._end(call, "agent", "agent hung up at the desk")
        return True

    @property
    def active_calls(self) -> int:
        """Calls still on the line."""
        return len(self.calls)

    # --- new calls -----------------------------------------------------------------------------

    def incoming(self, invite: SipRequest, key: TransactionKey, trunk: str, source: Peer) -> None:
        """A new INVITE that passed the trunk check: negotiate, ring, report `CallOffered`."""
        call = CarrierCall(str(uuid.uuid4()))
        leg = CallerLeg(
            call.call_id, invite, key, self._sip, self._clock, self._options.timers, self, source
        )
        call.caller = leg
        self._legs.add(leg)
        self.calls[call.call_id] = call
        try:
            offer = parse_sdp(invite.body)
        except OfferAnswerError as error:
            self._refuse(call, 488, f"Not Acceptable Here ({error})"[:120])
            return
        log.info("call arrived", call_id=call.call_id, trunk=trunk, ani=leg.ani, dnis=leg.dnis)
        self._spawn(self._admit(call, leg, offer))

    async def _admit(self, call: CarrierCall, leg: CallerLeg, offer: SessionDescription) -> None:
        try:
            media = await open_answering(self._allocator, offer, self._options.media_host)
        except OfferAnswerError as error:
            self._refuse(call, 488, f"Not Acceptable Here ({error})"[:120])
            return
        except PortsExhausted:
            self._refuse(call, 503, "Service Unavailable (no RTP port free)")
            return
        leg.media = media
        if call.ended:  # cancelled while the port was being bound
            media.endpoint.close()
            return
        session = MediaSession(media.endpoint)
        call.media = CallerMedia(
            call.call_id, session, self._prompts, self._submit, self._clock, self._options.voicemail
        )
        leg.ring()
        call.offered = True
        self._submit(
            ev.CallOffered(at=self._clock.now(), call_id=call.call_id, ani=leg.ani, dnis=leg.dnis)
        )

    def _refuse(self, call: CarrierCall, status: int, reason: str) -> None:
        if call.caller is not None:
            call.caller.reject(status, reason)
        self._end(call, "system", reason)

    # --- commands ------------------------------------------------------------------------------

    async def execute(self, command: cmd.Command) -> None:
        """Carry out a command for a call still on the line (others are ignored, as on a wire)."""
        call = self.calls.get(command.call_id)
        if call is None and _is_callback_offer(command):
            # A callback: nothing is on the line yet, only the agent's phone will ring. (An offer
            # for an inbound call that just hung up must not ring anyone, hence the id check.)
            call = self.calls[command.call_id] = CarrierCall(command.call_id, offered=True)
        if call is None or call.ended:
            log.debug("command for a call not on the line", command=repr(command))
            return
        await self._execute[type(command)](command, call)

    async def _answer(self, command: cmd.AnswerCall, call: CarrierCall) -> None:
        if self._options.answer_delay_s > 0:
            delay = self._options.answer_delay_s
            call.answer_timer = self._clock.call_later(delay, lambda: self._pick_up(call))
        else:
            self._pick_up(call)

    def _pick_up(self, call: CarrierCall) -> None:
        answered = not call.ended and call.caller is not None and call.caller.answer()
        if answered and call.media is not None:
            call.media.start()

    async def _play(self, command: cmd.PlayPrompt, call: CarrierCall) -> None:
        if call.media is not None:
            call.media.play(command.prompt)

    async def _collect(self, command: cmd.CollectDigits, call: CarrierCall) -> None:
        if call.media is not None:
            call.media.collect(command.prompt, command.max_digits, command.timeout_s)

    async def _enqueue(self, command: cmd.Enqueue, call: CarrierCall) -> None:
        if call.media is not None:
            call.media.hold(command.prompt)

    async def _announce(self, command: cmd.AnnouncePosition, call: CarrierCall) -> None:
        if call.media is not None:
            call.media.announce(command.position, command.estimated_wait_s, command.callback_key)

    async def _voicemail(self, command: cmd.RecordVoicemail, call: CarrierCall) -> None:
        if call.media is not None:
            call.media.stop_hold()
            call.media.record(command.mailbox, lambda cause: self._end(call, "system", cause))

    async def _hangup(self, command: cmd.Hangup, call: CarrierCall) -> None:
        if command.prompt and call.answer_timer is not None:
            call.answer_timer.cancel()  # answer now: the caller is to hear the last prompt
            self._pick_up(call)
        answered = call.caller is not None and call.caller.dialog is not None
        if call.media is None or not answered:
            self._end(call, "system", command.cause)
            return
        call.media.stop_hold()
        release = lambda cause: self._end(call, "system", cause)  # noqa: E731
        call.media.release_after(command.prompt, command.cause, release)

    async def _originate(self, command: cmd.Originate, call: CarrierCall) -> None:
        log.warning("no outbound trunk: callback cannot be dialled", call_id=call.call_id)
        self._end(call, "system", "no outbound trunk configured")

    # --- agents' phones ------------------------------------------------------------------------

    async def _offer(self, command: cmd.OfferToAgent, call: CarrierCall) -> None:
        phone = self.phones.contact(command.extension)
        if phone is None:
            self._declined(call, command.agent_id, "phone not registered")
            return
        try:
            media = await open_offering(self._allocator, self._options.media_host)
        except PortsExhausted:
            self._declined(call, command.agent_id, "no RTP port free")
            return
        if call.ended:
            media.endpoint.close()
            return
        caller = call.caller.ani if call.caller is not None else ""
        invite = offer_invite(self._sip, phone, command.extension, caller, media)
        leg = AgentLeg(
            call.call_id, command.agent_id, invite, phone, media, self._sip, self._clock,
            self._options.timers, self,
        )  # fmt: skip
        previous = call.agents.pop(command.agent_id, None)
        if previous is not None:
            previous.cancel()
        call.agents[command.agent_id] = leg
        self._legs.add(leg)
        leg.send()

    def _declined(self, call: CarrierCall, agent_id: str, reason: str) -> None:
        at = self._clock.now()
        self._submit(
            ev.OfferDeclined(at=at, call_id=call.call_id, agent_id=agent_id, reason=reason)
        )

    async def _cancel_offer(self, command: cmd.CancelOffer, call: CarrierCall) -> None:
        leg = call.agents.pop(command.agent_id, None)
        if leg is not None:
            leg.cancel()
        if call.caller is None and not call.agents:
            self.calls.pop(call.call_id, None)  # a callback: nothing else is on the line

    async def _bridge(self, command: cmd.Bridge, call: CarrierCall) -> None:
        leg = call.agents.get(command.agent_id)
        caller = call.caller
        if leg is None or not leg.answered or caller is None or caller.media is None:
            log.info("nothing to bridge", call_id=call.call_id, agent_id=command.agent_id)
            return
        media, call.media = call.media, None
        if media is not None:
            await media.close()
        if call.ended:
            return
        call.bridge = RelayBridge(caller.media.endpoint, leg.media.endpoint)
        for agent_id in [a for a in call.agents if a != command.agent_id]:
            call.agents.pop(agent_id).cancel()  # the rest of a ring-all group
        log.info("bridged", call_id=call.call_id, agent_id=command.agent_id)

    # --- what the legs report ------------------------------------------------------------------

    def agent_answered(self, leg: AgentLeg) -> None:
        """A phone answered: `AgentAnswered`, unless the offer was withdrawn meanwhile."""
        call = self.calls.get(leg.call_id)
        if call is None or call.ended or call.agents.get(leg.agent_id) is not leg:
            leg.hang_up()
            return
        at = self._clock.now()
        self._submit(ev.AgentAnswered(at=at, call_id=leg.call_id, agent_id=leg.agent_id))

    def agent_declined(self, leg: AgentLeg, reason: str) -> None:
        """A phone refused: `OfferDeclined` if it was still this call's offer."""
        call = self.calls.get(leg.call_id)
        if call is not None and call.agents.get(leg.agent_id) is leg:
            del call.agents[leg.agent_id]
            self._declined(call, leg.agent_id, reason)

    def agent_hung_up(self, leg: AgentLeg) -> None:
        """The agent hung up: the call ends."""
        call = self.calls.get(leg.call_id)
        if call is not None and call.agents.get(leg.agent_id) is leg:
            del call.agents[leg.agent_id]
            self._end(call, "agent", "normal clearing")

    def leg_gone(self, leg: AgentLeg | CallerLeg) -> None:
        """A finished leg stops receiving messages."""
        self._legs.remove(leg)

    def caller_left(self, leg: CallerLeg, cause: str) -> None:
        """The caller cancelled or hung up."""
        call = self.calls.get(leg.call_id)
        if call is not None:
            self._end(call, "caller", cause)

    def caller_lost(self, leg: CallerLeg) -> None:
        """No ACK for our 200."""
        call = self.calls.get(leg.call_id)
        if call is not None:
            self._end(call, "system", "no ACK for our answer")

    # --- the end of a call ---------------------------------------------------------------------

    def _end(self, call: CarrierCall, by: ev.EndedBy, cause: str) -> None:
        """Tear the call down (phones cancelled or hung up, media stopped), then `CallEnded`."""
        if call.ended:
            return
        call.ended = True
        self.calls.pop(call.call_id, None)
        if call.answer_timer is not None:
            call.answer_timer.cancel()
        for leg in call.agents.values():
            leg.cancel()
        call.agents.clear()
        if call.bridge is not None:
            call.bridge.unbridge()
        self._spawn(self._finish(call, by, cause))

    async def _finish(self, call: CarrierCall, by: ev.EndedBy, cause: str) -> None:
        if call.media is not None:
            await call.media.close()  # a recording being made is reported first
        caller = call.caller
        if caller is not None:
            caller.hang_up()
            caller.close()
            self._clock.call_later(self._options.timers.timeout, lambda: self._legs.remove(caller))
        log.info("call ended", call_id=call.call_id, by=by, cause=cause)
        if call.offered:
            at = self._clock.now()
            self._submit(ev.CallEnded(at=at, call_id=call.call_id, by=by, cause=cause))

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("carrier task failed", exc_info=task.exception())

    async def close(self) -> None:
        """End every call (phones and callers get a BYE or CANCEL) and wait for the teardown."""
        for call in list(self.calls.values()):
            self._end(call, "system", "carrier shutting down")
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _is_callback_offer(command: cmd.Command) -> bool:
    return isinstance(command, cmd.OfferToAgent) and command.call_id.endswith(CALLBACK_SUFFIX)
