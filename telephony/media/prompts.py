"""Announcements assembled from recorded prompts: queue position and estimated wait.

`announcement(language, position, wait_s)` is a pure function from the facts to the list of
prompt names to play, with numbers spoken by each language's rules:

- English: "you are number 21 in the queue" → you-are-number, 20, 1, in-the-queue.
- Chinese: numbers per the usual reading (十二, 二十一, 一百零五, 一千零一十), and 两 instead of
  二 where it is idiomatic: a bare 2 before a measure word (两位, 两分钟) and a leading 2 before
  百/千/万 (两百, 两千). Positions are said as people ahead of the caller (您前面还有 N-1 位), with
  "you are next" (您是下一位) for the first in line, because that is what the phrase means.

`PromptLibrary` loads the prompt files (`<root>/<language>/<name>.wav`) and joins them into one PCM
buffer to play.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from telephony.media.wav import load_wav

LANGUAGES = ("en", "zh")
MAX_NUMBER = 99_999_999


class PromptError(LookupError):
    """A prompt is missing, or the announcement cannot be said in that language."""


def english_number(n: int) -> list[str]:
    """Prompt names saying `n` in English: 0-19, tens, "hundred", "thousand"."""
    _check_number(n)
    if n < 20:
        return [str(n)]
    if n < 100:
        return [str(n - n % 10)] + ([str(n % 10)] if n % 10 else [])
    if n < 1000:
        rest = n % 100
        return [str(n // 100), "hundred"] + (english_number(rest) if rest else [])
    if n < 1_000_000:
        rest = n % 1000
        return [*english_number(n // 1000), "thousand"] + (english_number(rest) if rest else [])
    rest = n % 1_000_000
    return [*english_number(n // 1_000_000), "million"] + (english_number(rest) if rest else [])


def chinese_number(n: int, *, measure: bool = True) -> list[str]:
    """Prompt names saying `n` in Mandarin: digits 0-9, `liang` (两), units 10 100 1000 10000.

    `measure` means a measure word follows (位, 分钟), where a bare 2 is said 两.
    """
    _check_number(n)
    if n == 2 and measure:
        return ["liang"]
    if n < 10_000:
        return _chinese_group(n, leading=True) if n else ["0"]
    high, low = divmod(n, 10_000)
    names = [*(["liang"] if high == 2 else _chinese_group(high, leading=True)), "10000"]
    if low:
        names += (["0"] if low < 1000 else []) + _chinese_group(low, leading=False)
    return names


def _chinese_group(n: int, *, leading: bool) -> list[str]:
    """A number below 10000: nonzero digits with their units, one 零 for each run of zeros."""
    digits = [(n // 1000) % 10, (n // 100) % 10, (n // 10) % 10, n % 10]
    units = ["1000", "100", "10", ""]
    names: list[str] = []
    pending_zero = False
    for place, (digit, unit) in enumerate(zip(digits, units, strict=True)):
        if digit == 0:
            pending_zero = bool(names)
            continue
        if pending_zero:
            names.append("0")
            pending_zero = False
        first = not names
        if first and leading and unit == "10" and digit == 1:
            names.append("10")  # 十二, not 一十二, at the start of a number
            continue
        big_two = first and digit == 2 and place < 2
        names += ["liang" if big_two else str(digit)] + ([unit] if unit else [])
    return names


def _check_number(n: int) -> None:
    if not 0 <= n <= MAX_NUMBER:
        raise PromptError(f"cannot say {n}: numbers 0..{MAX_NUMBER} only")


def announcement(language: str, position: int, wait_s: float | None) -> list[str]:
    """Prompt names for "you are number N in the queue, expected wait about M minutes"."""
    builder = _ANNOUNCERS.get(language)
    if builder is None:
        raise PromptError(f"no announcements in {language!r}; languages: {LANGUAGES}")
    if position < 1:
        raise PromptError(f"queue position must be 1 or more, got {position}")
    return builder(position, wait_s)


def _wait_minutes(wait_s: float) -> int:
    return int((wait_s + 30) // 60)  # nearest minute, halves up


def _english(position: int, wait_s: float | None) -> list[str]:
    names = ["you-are-number", *english_number(position), "in-the-queue"]
    if wait_s is None:
        return names
    minutes = _wait_minutes(wait_s)
    if minutes < 1:
        return [*names, "expected-wait-under-a-minute"]
    unit = "minute" if minutes == 1 else "minutes"
    return [*names, "expected-wait-about", *english_number(minutes), unit]


def _chinese(position: int, wait_s: float | None) -> list[str]:
    if position == 1:
        names = ["you-are-next"]  # 您是下一位
    else:
        names = ["ahead-of-you", *chinese_number(position - 1), "people"]  # 您前面还有 N 位
    if wait_s is None:
        return names
    minutes = _wait_minutes(wait_s)
    if minutes < 1:
        return [*names, "expected-wait-under-a-minute"]  # 预计等待不到一分钟
    return [*names, "expected-wait-about", *chinese_number(minutes), "minutes"]  # 预计等待约 M 分钟


_ANNOUNCERS: dict[str, Callable[[int, float | None], list[str]]] = {
    "en": _english,
    "zh": _chinese,
}


class PromptLibrary:
    """Prompt WAV files under `<root>/<language>/<name>.wav`, loaded once and cached as PCM."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: dict[tuple[str, str], bytes] = {}

    def load(self, language: str, name: str) -> bytes:
        """One prompt as 8 kHz mono PCM; `PromptError` if the file does not exist."""
        key = (language, name)
        if key not in self._cache:
            path = self.root / language / f"{name}.wav"
            if not path.is_file():
                raise PromptError(f"missing prompt {language}/{name} (looked for {path})")
            self._cache[key] = load_wav(path)
        return self._cache[key]

    def missing(self, language: str, names: Iterable[str]) -> list[str]:
        """The names among `names` that have no file, for checking a prompt set up front."""
        return [
            n for n in dict.fromkeys(names) if not (self.root / language / f"{n}.wav").is_file()
        ]

    def assemble(self, language: str, names: Iterable[str]) -> bytes:
        """The prompts one after the other, as a single PCM buffer."""
        return b"".join(self.load(language, name) for name in names)
