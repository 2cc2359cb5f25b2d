"""LoginThrottle and SessionCodec on a manual clock: lockouts, recovery, expiry, tampering."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from itsdangerous import URLSafeTimedSerializer

from agent_ui.auth import (
    SESSION_SALT,
    LoginThrottle,
    MemoryThrottleStore,
    SessionClaims,
    SessionCodec,
    SessionError,
    SessionProblem,
    retry_after_header,
)

pytestmark = pytest.mark.unit

MAX_FAILURES = 3
LOCKOUT_S = 60.0
SECRET = "k3y-for-tests-only-0123456789abcdefghijklmnop"


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def call_later(self, delay: float, callback: Callable[[], object]) -> object:
        raise NotImplementedError

    async def sleep(self, delay: float) -> None:
        self.advance(delay)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def throttle(clock: ManualClock) -> LoginThrottle:
    return LoginThrottle(clock, MAX_FAILURES, LOCKOUT_S)


def fail_times(
    throttle: LoginThrottle, n: int, user: str = "alice", addr: str = "10.0.0.1"
) -> None:
    for _ in range(n):
        throttle.record_failure(user, addr)


def test_given_fewer_failures_than_the_limit_then_logins_are_allowed(throttle):
    fail_times(throttle, MAX_FAILURES - 1)
    assert throttle.retry_after("alice", "10.0.0.1") is None


def test_given_limit_reached_for_a_username_then_refused_from_any_address(throttle, clock):
    fail_times(throttle, MAX_FAILURES, addr="10.0.0.1")
    clock.advance(10)
    assert throttle.retry_after("alice", "192.0.2.7") == pytest.approx(LOCKOUT_S - 10)


def test_username_keys_ignore_case_and_spaces(throttle):
    fail_times(throttle, MAX_FAILURES, user="Alice ")
    assert throttle.retry_after("alice", "192.0.2.7") is not None


def test_given_limit_reached_from_one_address_then_refused_for_any_username(throttle):
    for i in range(MAX_FAILURES):
        throttle.record_failure(f"user{i}", "10.0.0.9")
    assert throttle.retry_after("somebody-else", "10.0.0.9") == pytest.approx(LOCKOUT_S)
    assert throttle.retry_after("somebody-else", "10.0.0.10") is None


def test_given_a_lockout_when_it_has_passed_then_allowed_and_counting_starts_afresh(
    throttle, clock
):
    fail_times(throttle, MAX_FAILURES)
    clock.advance(LOCKOUT_S)
    assert throttle.retry_after("alice", "10.0.0.1") is None
    fail_times(throttle, MAX_FAILURES - 1)
    assert throttle.retry_after("alice", "10.0.0.1") is None


def test_failures_older_than_the_window_do_not_count(throttle, clock):
    fail_times(throttle, MAX_FAILURES - 1)
    clock.advance(LOCKOUT_S + 1)
    fail_times(throttle, 1)
    assert throttle.retry_after("alice", "10.0.0.1") is None


def test_attempts_while_locked_do_not_extend_the_lock(throttle, clock):
    fail_times(throttle, MAX_FAILURES)
    clock.advance(LOCKOUT_S / 2)
    fail_times(throttle, 5)
    assert throttle.retry_after("alice", "10.0.0.1") == pytest.approx(LOCKOUT_S / 2)


def test_success_clears_the_username_but_not_the_address(throttle):
    fail_times(throttle, MAX_FAILURES - 1, addr="10.0.0.1")
    throttle.record_success("alice")
    throttle.record_failure("alice", "10.0.0.2")
    assert throttle.retry_after("alice", "10.0.0.2") is None
    throttle.record_failure("bob", "10.0.0.1")
    assert throttle.retry_after("carol", "10.0.0.1") is not None


def test_zero_lockout_turns_throttling_off(clock):
    throttle = LoginThrottle(clock, 1, 0)
    fail_times(throttle, 10)
    assert throttle.retry_after("alice", "10.0.0.1") is None


@pytest.mark.parametrize(("failures", "lockout"), [(0, 60.0), (3, -1.0)])
def test_nonsense_limits_are_refused(clock, failures, lockout):
    with pytest.raises(ValueError, match="max_failures"):
        LoginThrottle(clock, failures, lockout)


def test_stale_keys_are_pruned_so_sprayed_usernames_do_not_pile_up(clock):
    store = MemoryThrottleStore()
    throttle = LoginThrottle(clock, MAX_FAILURES, LOCKOUT_S, store)
    for i in range(LoginThrottle.PRUNE_EVERY - 1):
        throttle.record_failure(f"made-up-{i}", "10.0.0.1")
    clock.advance(LOCKOUT_S * 2)
    throttle.record_failure("last", "10.0.0.2")
    assert len(store) == 2  # only the newest username and address remain


@pytest.mark.parametrize(("seconds", "header"), [(0.2, "1"), (1.0, "1"), (59.01, "60")])
def test_retry_after_header_rounds_up_to_whole_seconds(seconds, header):
    assert retry_after_header(seconds) == header


# --- session cookies ------------------------------------------------------------------------

MAX_AGE_S = 3600.0


@pytest.fixture
def codec(clock: ManualClock) -> SessionCodec:
    return SessionCodec(SECRET, clock, MAX_AGE_S)


def test_a_session_reads_back_its_claims(codec):
    token = codec.issue(SessionClaims(user_id=7, marker="abc"))
    assert codec.read(token) == SessionClaims(user_id=7, marker="abc")


def test_a_session_expires_by_the_injected_clock(codec, clock):
    token = codec.issue(SessionClaims(user_id=7, marker="abc"))
    clock.advance(MAX_AGE_S)
    assert codec.read(token).user_id == 7
    clock.advance(1)
    with pytest.raises(SessionError) as caught:
        codec.read(token)
    assert caught.value.problem is SessionProblem.EXPIRED


def test_a_tampered_session_is_invalid(codec):
    token = codec.issue(SessionClaims(user_id=7, marker="abc"))
    payload, rest = token.split(".", 1)
    forged = payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + rest
    with pytest.raises(SessionError) as caught:
        codec.read(forged)
    assert caught.value.problem is SessionProblem.INVALID


def test_a_session_signed_with_another_key_is_invalid(codec, clock):
    other = SessionCodec("another-key-entirely-0123456789abcdefghij", clock, MAX_AGE_S)
    with pytest.raises(SessionError) as caught:
        codec.read(other.issue(SessionClaims(user_id=7, marker="abc")))
    assert caught.value.problem is SessionProblem.INVALID


@pytest.mark.parametrize("garbage", ["", "x", "a.b.c", "...."])
def test_garbage_is_invalid_not_an_error(codec, garbage):
    with pytest.raises(SessionError):
        codec.read(garbage)


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2],
        {"uid": "7", "mark": "m"},
        {"uid": True, "mark": "m"},
        {"uid": 7},
        {"uid": 7, "mark": 3},
    ],
)
def test_a_correctly_signed_payload_of_the_wrong_shape_is_invalid(clock, payload):
    signer = URLSafeTimedSerializer(SECRET, salt=SESSION_SALT)
    codec = SessionCodec(SECRET, clock, MAX_AGE_S)
    clock.t = time.time()  # this serializer signs with the wall clock
    with pytest.raises(SessionError) as caught:
        codec.read(signer.dumps(payload))
    assert caught.value.problem is SessionProblem.INVALID
