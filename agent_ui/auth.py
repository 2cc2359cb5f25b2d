"""Web sessions and login throttling: the pure parts, with no HTTP in them.

`SessionCodec` turns a session (user id and password marker) into a signed cookie value and back,
checking its age against the injected clock rather than the wall clock. `LoginThrottle` counts
failed logins per username and per client address and says how long to refuse further attempts;
its state sits behind `ThrottleStore` so it can move from memory to Redis without changing callers.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from acd.clock import Clock

SESSION_SALT = "hotline.session.v1"


class SessionProblem(StrEnum):
    """Why a session cookie was not accepted."""

    EXPIRED = "expired"
    INVALID = "invalid"


class SessionError(Exception):
    """A session cookie that cannot be used; `problem` says why."""

    def __init__(self, problem: SessionProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class SessionClaims:
    """What a session cookie asserts: who, and which password they logged in with."""

    user_id: int
    marker: str


class _ClockSigner(TimestampSigner):
    """A timestamp signer whose notion of "now" comes from the injected clock."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        """The clock's current second (itsdangerous would read the wall clock)."""
        return int(self._clock.now())


class SessionCodec:
    """Signs session claims into a cookie value and verifies them, with a maximum age."""

    def __init__(self, secret: str, clock: Clock, max_age_s: float) -> None:
        self._serializer = URLSafeTimedSerializer(
            secret, salt=SESSION_SALT, signer=_ClockSigner, signer_kwargs={"clock": clock}
        )
        self._max_age_s = max_age_s

    def issue(self, claims: SessionClaims) -> str:
        """A signed, timestamped cookie value for these claims."""
        return self._serializer.dumps({"uid": claims.user_id, "mark": claims.marker})

    def read(self, token: str) -> SessionClaims:
        """The claims in a cookie value; raises SessionError if it is expired or not ours."""
        try:
            payload = self._serializer.loads(token, max_age=math.floor(self._max_age_s))
        except SignatureExpired as exc:
            raise SessionError(SessionProblem.EXPIRED) from exc
        except BadSignature as exc:
            raise SessionError(SessionProblem.INVALID) from exc
        return _claims_from(payload)


def _claims_from(payload: object) -> SessionClaims:
    """Validate the shape of a correctly signed payload (signed by an older version, perhaps)."""
    if not isinstance(payload, dict):
        raise SessionError(SessionProblem.INVALID)
    user_id, marker = payload.get("uid"), payload.get("mark")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not isinstance(marker, str):
        raise SessionError(SessionProblem.INVALID)
    return SessionClaims(user_id=user_id, marker=marker)


# --- login throttling ------------------------------------------------------------------------


@dataclass(slots=True)
class KeyState:
    """Recent failures of one throttled key, and until when it is locked (epoch seconds)."""

    failures: list[float] = field(default_factory=list)
    locked_until: float | None = None


class ThrottleStore(Protocol):
    """Where `LoginThrottle` keeps its per-key state (memory now; Redis when shared)."""

    def get(self, key: str) -> KeyState | None:
        """The state of `key`, or None if nothing is recorded."""

    def put(self, key: str, state: KeyState) -> None:
        """Replace the state of `key`."""

    def delete(self, key: str) -> None:
        """Forget `key`."""

    def prune(self, now: float, window_s: float) -> None:
        """Drop keys with no failure and no lock younger than `window_s`."""


class MemoryThrottleStore:
    """A `ThrottleStore` in a dict: one process only."""

    def __init__(self) -> None:
        self._states: dict[str, KeyState] = {}

    def get(self, key: str) -> KeyState | None:
        """The state of `key`, or None."""
        return self._states.get(key)

    def put(self, key: str, state: KeyState) -> None:
        """Replace the state of `key`."""
        self._states[key] = state

    def delete(self, key: str) -> None:
        """Forget `key`."""
        self._states.pop(key, None)

    def prune(self, now: float, window_s: float) -> None:
        """Drop stale keys so a spray of made-up usernames cannot grow memory without bound."""
        stale = [key for key, state in self._states.items() if _is_stale(state, now, window_s)]
        for key in stale:
            del self._states[key]

    def __len__(self) -> int:
        return len(self._states)


def _is_stale(state: KeyState, now: float, window_s: float) -> bool:
    locked = state.locked_until is not None and state.locked_until > now
    recent = any(at > now - window_s for at in state.failures)
    return not locked and not recent


class LoginThrottle:
    """Refuses logins for a while after too many failures for one username or one address.

    Failures are counted within a sliding window of `lockout_s`; the failure that reaches
    `max_failures` locks the key for `lockout_s`. Attempts while locked are refused without being
    checked, so they neither count nor extend the lock. A successful login clears the username.
    A `lockout_s` of 0 turns throttling off.
    """

    PRUNE_EVERY = 256  # failures between sweeps of stale keys

    def __init__(
        self,
        clock: Clock,
        max_failures: int,
        lockout_s: float,
        store: ThrottleStore | None = None,
    ) -> None:
        if max_failures < 1 or lockout_s < 0:
            raise ValueError("max_failures must be at least 1 and lockout_s not negative")
        self._clock = clock
        self._max_failures = max_failures
        self._lockout_s = lockout_s
        self._store: ThrottleStore = store if store is not None else MemoryThrottleStore()
        self._lock = threading.Lock()  # routes run in a thread pool
        self._since_prune = 0

    def retry_after(self, username: str, address: str) -> float | None:
        """Seconds until a login for this username from this address may be tried, or None."""
        now = self._clock.now()
        with self._lock:
            waits = [self._locked_for(key, now) for key in _keys(username, address)]
        longest = max(waits)
        return longest if longest > 0 else None

    def record_failure(self, username: str, address: str) -> None:
        """Count a failed login against both the username and the address."""
        if self._lockout_s == 0:
            return
        now = self._clock.now()
        with self._lock:
            for key in _keys(username, address):
                self._add_failure(key, now)
            self._since_prune += 1
            if self._since_prune >= self.PRUNE_EVERY:
                self._store.prune(now, self._lockout_s)
                self._since_prune = 0

    def record_success(self, username: str) -> None:
        """Forget the username's failures (the address keeps its count: it may be guessing)."""
        with self._lock:
            self._store.delete(_user_key(username))

    def _locked_for(self, key: str, now: float) -> float:
        state = self._store.get(key)
        if state is None or state.locked_until is None:
            return 0.0
        if state.locked_until <= now:
            self._store.delete(key)  # the lock ran out: start counting afresh
            return 0.0
        return state.locked_until - now

    def _add_failure(self, key: str, now: float) -> None:
        state = self._store.get(key) or KeyState()
        if state.locked_until is not None and state.locked_until > now:
            return
        failures = [at for at in state.failures if at > now - self._lockout_s] + [now]
        locked_until = now + self._lockout_s if len(failures) >= self._max_failures else None
        self._store.put(key, KeyState([] if locked_until else failures, locked_until))


def _user_key(username: str) -> str:
    return "user:" + username.strip().casefold()


def _keys(username: str, address: str) -> tuple[str, str]:
    return _user_key(username), "addr:" + address


def retry_after_header(seconds: float) -> str:
    """A Retry-After value: whole seconds, rounded up so a client never retries too early."""
    return str(max(1, math.ceil(seconds)))
