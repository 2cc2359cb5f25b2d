"""Audio for the carrier's media commands: prompts by name, queue announcements, the beep.

A prompt that has no file must not drop the caller: it plays as `missing_s` of silence and is
logged once, so a site sees which recordings it still has to provide.
"""

from __future__ import annotations

import structlog

from telephony.media.codecs import SAMPLE_RATE, SAMPLE_WIDTH
from telephony.media.prompts import PromptError, PromptLibrary, announcement
from telephony.media.tones import tone
from telephony.media.wav import WavError

log = structlog.get_logger(__name__)
BEEP_HZ = 1000.0
BEEP_S = 0.25


class PromptSource:
    """Prompt PCM (16-bit, 8 kHz, mono) in one language, with silence for missing files."""

    def __init__(self, library: PromptLibrary, language: str, missing_s: float = 1.0) -> None:
        self._library = library
        self.language = language
        self._silence = bytes(round(missing_s * SAMPLE_RATE) * SAMPLE_WIDTH)
        self._reported: set[str] = set()

    def pcm(self, name: str) -> bytes:
        """The prompt's audio, or silence (logged once per name) when it cannot be loaded."""
        try:
            return self._library.load(self.language, name)
        except (PromptError, WavError) as error:
            self._report(name, str(error))
            return self._silence

    def exists(self, name: str) -> bool:
        """True if the prompt has a file."""
        return not self._library.missing(self.language, [name])

    def announcement(self, position: int, wait_s: float | None) -> bytes:
        """ "You are number N in the queue, expected wait about M minutes", or b"" when a part
        is missing (an announcement with holes is worse than none)."""
        try:
            names = announcement(self.language, max(1, position), wait_s)
            missing = self._library.missing(self.language, names)
            if missing:
                raise PromptError(f"missing {', '.join(missing)}")
            return self._library.assemble(self.language, names)
        except (PromptError, WavError) as error:
            self._report("announcement", str(error))
            return b""

    @staticmethod
    def beep() -> bytes:
        """The tone before a voicemail recording starts."""
        return tone(BEEP_HZ, BEEP_S)

    def _report(self, name: str, reason: str) -> None:
        if name not in self._reported:
            self._reported.add(name)
            log.warning("prompt unavailable", prompt=name, language=self.language, reason=reason)
