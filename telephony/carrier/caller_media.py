"""The routing engine's media commands on a caller's leg: prompts, digit collection, hold music
with position announcements, voicemail recording, and a last prompt before the release.

Each command becomes a job on the call's `MediaLine`, so they play in order; hold music is the
line's background. Results go back as domain events through `submit`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from acd import events as ev
from acd.clock import Clock
from telephony.carrier.media_line import MediaLine
from telephony.carrier.prompt_source import PromptSource
from telephony.media.collect import CollectSpec
from telephony.media.media_session import MediaSession
from telephony.media.wav import WavRecorder

Submit = Callable[[ev.Event], None]
Release = Callable[[str], None]
INTER_DIGIT_S = 3.0
LISTEN_S = 24 * 3600.0  # "wait for a key as long as the caller holds on"
CALLBACK_OFFER_PROMPT = "callback-offer"


@dataclass(frozen=True, slots=True)
class VoicemailBox:
    """Where messages are written and how long one may be."""

    directory: Path
    max_s: float


class CallerMedia:
    """Media of one answered caller; `start` when the call is answered, `close` at the end."""

    def __init__(
        self,
        call_id: str,
        session: MediaSession,
        prompts: PromptSource,
        submit: Submit,
        clock: Clock,
        voicemail: VoicemailBox,
    ) -> None:
        self.call_id = call_id
        self.session = session
        self._prompts = prompts
        self._submit = submit
        self._clock = clock
        self._voicemail = voicemail
        self.line = MediaLine(call_id)

    def start(self) -> None:
        """The caller is answered: media flows, queued jobs run."""
        self.session.start()
        self.line.start()

    async def close(self) -> None:
        """Stop the jobs (a recording is finished and reported) and the session's ticking."""
        await self.line.close()
        await self.session.stop()

    def play(self, prompt: str) -> None:
        """Play a prompt after what is queued."""
        self.line.then(lambda: self.session.play(self._prompts.pcm(prompt)))

    def collect(self, prompt: str, max_digits: int, timeout_s: float) -> None:
        """Play a prompt, then collect keys; report `DigitsCollected` (empty on timeout).

        Keys pressed during the prompt count (type-ahead). '#' ends a multi-digit entry; a
        one-key menu takes '#' as a key."""

        async def job() -> None:
            await self.session.play(self._prompts.pcm(prompt))
            spec = CollectSpec(
                max_digits,
                terminators="#" if max_digits > 1 else "",
                first_digit_timeout_s=timeout_s,
                inter_digit_timeout_s=min(timeout_s, INTER_DIGIT_S),
                overall_timeout_s=timeout_s + max_digits * INTER_DIGIT_S,
            )
            result = await self.session.collect_digits(spec)
            self._report_digits(result.digits)

        self.line.then(job)

    def hold(self, music: str) -> None:
        """Wait in a queue: loop the hold music and report every key pressed (the engine decides
        whether it is the callback key)."""
        pcm = self._prompts.pcm(music)

        async def background() -> None:
            await asyncio.gather(self.session.music_on_hold(pcm), self._report_keys())

        self.line.background(background)

    def announce(self, position: int, wait_s: float, callback_key: str) -> None:
        """Tell the caller their place and wait over the hold music (and offer a callback)."""

        async def job() -> None:
            pcm = self._prompts.announcement(position, wait_s)
            if callback_key and self._prompts.exists(CALLBACK_OFFER_PROMPT):
                pcm += self._prompts.pcm(CALLBACK_OFFER_PROMPT)
            if pcm:
                await self.session.play(pcm)

        self.line.then(job)

    def stop_hold(self) -> None:
        """No more hold music (the caller leaves the queue)."""
        self.line.background(None)

    def release_after(self, prompt: str, cause: str, release: Release) -> None:
        """Play an optional last prompt, then have the call released."""

        async def job() -> None:
            if prompt:
                await self.session.play(self._prompts.pcm(prompt))
            release(cause)

        self.line.then(job)

    def record(self, mailbox: str, release: Release) -> None:
        """Greeting, beep, then record until '#', the time limit or the caller hangs up; report
        `VoicemailRecorded` in every case, then release (unless the caller already left)."""

        async def job() -> None:
            greeting = f"greeting-{mailbox}"
            if not self._prompts.exists(greeting):
                greeting = "greeting"
            await self.session.play(self._prompts.pcm(greeting) + self._prompts.beep())
            cause = await self._record(mailbox)
            release(cause)

        self.line.then(job)

    async def _record(self, mailbox: str) -> str:
        folder = self._voicemail.directory / _safe(mailbox)
        folder.mkdir(parents=True, exist_ok=True)
        recorder = WavRecorder(folder / f"{_safe(self.call_id)}.wav")
        self.session.readers.append(recorder.write)
        cause = "voicemail time limit"
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._until_key("#"), self._voicemail.max_s)
                cause = "message left"
        finally:
            self.session.readers.remove(recorder.write)
            recorder.close()
            self._submit(
                ev.VoicemailRecorded(
                    at=self._clock.now(),
                    call_id=self.call_id,
                    mailbox=mailbox,
                    duration_s=recorder.duration_s,
                )
            )
        return cause

    async def _until_key(self, key: str) -> None:
        while await self._next_key() != key:
            pass

    async def _next_key(self) -> str:
        spec = CollectSpec(
            1, terminators="", first_digit_timeout_s=LISTEN_S, overall_timeout_s=LISTEN_S
        )
        return (await self.session.collect_digits(spec)).digits

    async def _report_keys(self) -> None:
        while True:
            key = await self._next_key()
            if key:
                self._report_digits(key)

    def _report_digits(self, digits: str) -> None:
        self._submit(ev.DigitsCollected(at=self._clock.now(), call_id=self.call_id, digits=digits))


def _safe(name: str) -> str:
    """A file name part that cannot climb out of its folder."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".") or "_"
