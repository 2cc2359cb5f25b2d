"""Commands the routing engine returns for a carrier adapter (simulated or SIP) to carry out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """Base of every command; each names the call it acts on."""

    call_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AnswerCall(Command):
    """Answer an inbound call so the IVR can speak to the caller."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayPrompt(Command):
    """Play a prompt to the caller; the next media command for this call waits for it to end."""

    prompt: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CollectDigits(Command):
    """Play a prompt and collect up to `max_digits` keys; report `DigitsCollected`."""

    prompt: str
    max_digits: int
    timeout_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Enqueue(Command):
    """The caller now waits in a queue: play the queue's hold music and announcements."""

    queue: str
    prompt: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferToAgent(Command):
    """Ring an agent's phone with this call; report `AgentAnswered` or `OfferDeclined`."""

    agent_id: str
    extension: str
    queue: str
    ring_timeout_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelOffer(Command):
    """Stop ringing an agent's phone."""

    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Bridge(Command):
    """Connect the caller with the agent who answered."""

    agent_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordVoicemail(Command):
    """Play the mailbox greeting and a beep, then record; report `VoicemailRecorded`."""

    mailbox: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Hangup(Command):
    """Play an optional prompt, then release the call; report `CallEnded(by='system')`."""

    cause: str
    prompt: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnouncePosition(Command):
    """Tell a waiting caller their position and estimated wait (and the callback key, if any)."""

    position: int
    estimated_wait_s: float
    callback_key: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Originate(Command):
    """Place an outbound call to `number` for an agent who is already on the line (a callback).

    Report `AgentAnswered` with the callback's call id when the customer answers, or `CallEnded`.
    """

    agent_id: str
    number: str
    caller_id: str = ""
