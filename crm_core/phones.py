"""Phone numbers to E.164, as people type them and as trunks send them (pure, no I/O).

`normalize_phone` takes what a person typed into a form or an import file: full-width digits and
punctuation (folded with NFKC), separators (spaces, dashes, dots, slashes, parentheses, 、 ，),
`+86` or `0086`, the domestic trunk prefix 0 (`010-12345678`), and an extension after `ext`,
`x`, `#`, `转` or `分机`. Parsing and validation are `phonenumbers`' (libphonenumber metadata).

`lookup_keys` takes an ANI as a trunk delivers it (`13800138000`, `8613800138000`,
`+8613800138000`, `008613800138000`, `01012345678`, `sip:+86...@host`) and returns the E.164
keys a caller lookup should try, most likely first.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

RAW_MAX = 100  # longer input is not a phone number anyone typed
EXTENSION_DIGITS_MAX = 10

PhoneReason = Literal["empty", "too-long", "not-a-number", "invalid-region", "invalid-number"]

_REASON_TEXT: dict[PhoneReason, str] = {
    "empty": "no phone number given",
    "too-long": f"longer than {RAW_MAX} characters",
    "not-a-number": "not a phone number (only digits, +, separators and an extension)",
    "invalid-region": "unknown default region",
    "invalid-number": "not a valid number for its country",
}
# NFKC keeps these as they are, so they are listed besides the ASCII separators.
_SEPARATORS = re.compile(r"[\s\-./()\[\]、，,·・‐‑‒–—―]+")
_EXTENSION = re.compile(
    rf"^(?P<number>.*?)\s*(?:ext(?:ension)?\.?|x|#|转|分机)\s*(?P<ext>\d{{1,{EXTENSION_DIGITS_MAX}}})\s*#?$",
    re.IGNORECASE,
)
_DIALABLE = re.compile(r"^\+?\d+$")
_SIP_USER = re.compile(r"^(?:sips?|tel):([^@;]+)", re.IGNORECASE)
_IDD = "00"  # the international call prefix of most of the world, China included


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A normalised number: `e164` like "+8613800138000", and an extension or None."""

    e164: str
    extension: str | None = None


@dataclass(frozen=True, slots=True)
class PhoneProblem:
    """Why a text is not a phone number: a stable `reason` code and a sentence for people."""

    reason: PhoneReason

    @property
    def message(self) -> str:
        """The reason in words."""
        return _REASON_TEXT[self.reason]


class InvalidPhone(ValueError):
    """Raised by `parse_phone` for a text that is not a phone number."""

    def __init__(self, raw: str, problem: PhoneProblem) -> None:
        super().__init__(f"invalid phone number {raw!r}: {problem.message}")
        self.raw = raw
        self.problem = problem


def normalize_phone(raw: str, default_region: str) -> PhoneNumber | PhoneProblem:
    """The E.164 form of `raw` (numbers without a country code are in `default_region`)."""
    if len(raw) > RAW_MAX:
        return PhoneProblem("too-long")
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return PhoneProblem("empty")
    number, extension = _split_extension(text)
    dialable = _SEPARATORS.sub("", number)
    if not _DIALABLE.fullmatch(dialable):
        return PhoneProblem("not-a-number")
    region = default_region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        return PhoneProblem("invalid-region")
    e164 = _valid_e164(dialable, region)
    if e164 is None and dialable.startswith(_IDD):
        e164 = _valid_e164("+" + dialable[len(_IDD) :], region)
    if e164 is None:
        return PhoneProblem("invalid-number")
    return PhoneNumber(e164, extension)


def parse_phone(raw: str, default_region: str) -> PhoneNumber:
    """Like `normalize_phone`, but raising InvalidPhone instead of returning the problem."""
    result = normalize_phone(raw, default_region)
    if isinstance(result, PhoneProblem):
        raise InvalidPhone(raw, result)
    return result


def lookup_keys(ani: str, default_region: str) -> tuple[str, ...]:
    """The E.164 numbers an incoming caller ID may stand for, most likely first; () if none.

    Trunks differ: some send the national number, some the country code without "+", some a
    SIP URI. Every reading that is a valid number is returned, so one indexed `IN` query finds
    the customer whichever way the number was stored.
    """
    text = unicodedata.normalize("NFKC", ani).strip()
    sip_user = _SIP_USER.match(text)
    if sip_user:
        text = sip_user.group(1)
    digits = _SEPARATORS.sub("", text)
    if not digits or len(digits) > RAW_MAX or not _DIALABLE.fullmatch(digits):
        return ()
    candidates = [digits]
    if not digits.startswith("+"):
        candidates.append("+" + digits.removeprefix(_IDD))
    keys: list[str] = []
    for candidate in candidates:
        result = normalize_phone(candidate, default_region)
        if isinstance(result, PhoneNumber) and result.e164 not in keys:
            keys.append(result.e164)
    return tuple(keys)


def _split_extension(text: str) -> tuple[str, str | None]:
    match = _EXTENSION.fullmatch(text)
    if match is None or not match.group("number"):
        return text, None
    return match.group("number"), match.group("ext")


def _valid_e164(dialable: str, region: str) -> str | None:
    try:
        parsed = phonenumbers.parse(dialable, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, PhoneNumberFormat.E164))
