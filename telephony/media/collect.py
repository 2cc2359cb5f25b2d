"""Collecting DTMF digits with first-digit, inter-digit and overall timeouts, as pure rules.

The collector is told the time with every call and says when it next needs to be woken, so the
same rules run under the event loop's clock in a call and under a virtual clock in tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class CollectSpec:
    """How many digits to take and how long to wait for them (seconds)."""

    max_digits: int
    terminators: str = "#"
    first_digit_timeout_s: float = 5.0
    inter_digit_timeout_s: float = 3.0
    overall_timeout_s: float = 20.0

    def __post_init__(self) -> None:
        if self.max_digits < 1:
            raise ValueError("max_digits must be at least 1")


@dataclass(frozen=True, slots=True)
class CollectResult:
    """The digits (terminator left out) and why collection stopped."""

    digits: str
    reason: str  # max_digits, terminator, first_digit_timeout, inter_digit_timeout, overall_timeout


@dataclass(slots=True)
class DigitCollector:
    """One collection: feed it digits and timeouts until it returns a result."""

    spec: CollectSpec
    started_at: float
    digits: str = ""
    last_digit_at: float | None = None
    result: CollectResult | None = field(default=None)

    def deadline(self) -> float:
        """The instant at which `on_timeout` should be called if no digit comes first."""
        overall = self.started_at + self.spec.overall_timeout_s
        if self.last_digit_at is None:
            return min(overall, self.started_at + self.spec.first_digit_timeout_s)
        return min(overall, self.last_digit_at + self.spec.inter_digit_timeout_s)

    def on_digit(self, digit: str, now: float) -> CollectResult | None:
        """Take a digit; the result if this digit ends the collection."""
        if self.result is not None:
            return self.result
        if digit in self.spec.terminators:
            return self._finish("terminator")
        self.digits += digit
        self.last_digit_at = now
        if len(self.digits) >= self.spec.max_digits:
            return self._finish("max_digits")
        return None

    def on_timeout(self, now: float) -> CollectResult | None:
        """The result if a timeout has passed by `now`, else None (woken early)."""
        if self.result is not None:
            return self.result
        if now < self.deadline():
            return None
        if now >= self.started_at + self.spec.overall_timeout_s:
            return self._finish("overall_timeout")
        first = self.last_digit_at is None
        return self._finish("first_digit_timeout" if first else "inter_digit_timeout")

    def _finish(self, reason: str) -> CollectResult:
        self.result = CollectResult(self.digits, reason)
        return self.result
