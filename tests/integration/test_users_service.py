"""UserService on SQLite and PostgreSQL: accounts, passwords, authentication, rehash on login."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Timer
from crm_core.models import User
from crm_core.users import (
    AuthError,
    PasswordPolicyError,
    Role,
    UserExists,
    UserNotFound,
    UserPublic,
    UserService,
)

pytestmark = pytest.mark.integration

T0 = 1_717_243_200.0  # 2024-06-01 12:00:00 UTC
GOOD = "correct horse battery"
OTHER = "another good one"


class StepClock:
    """A clock that only moves when the test says so."""

    def __init__(self, now: float) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    def call_later(self, delay: float, callback: Callable[[], object]) -> Timer:
        raise NotImplementedError

    async def sleep(self, delay: float) -> None:
        raise NotImplementedError


class CountingHasher(PasswordHasher):
    """A cheap argon2 hasher counting verifications (to see the dummy check for unknown users)."""

    def __init__(self, time_cost: int = 1) -> None:
        super().__init__(time_cost=time_cost, memory_cost=8, parallelism=1)
        self.verifications = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifications += 1
        return super().verify(hash, password)


@pytest.fixture
def clock() -> StepClock:
    return StepClock(T0)


@pytest.fixture
def hasher() -> CountingHasher:
    return CountingHasher()


@pytest.fixture
def users(
    db_sessions: sessionmaker[Session], clock: StepClock, hasher: CountingHasher
) -> UserService:
    return UserService(db_sessions, clock, hasher)


def _row(sessions: sessionmaker[Session], user_id: int) -> User:
    with sessions() as session:
        row = session.get(User, user_id)
        assert row is not None
        return row


def _agent(users: UserService, name: str = "Alice") -> UserPublic:
    user, generated = users.create(name, "agent", password=GOOD, agent_id="a1")
    assert generated is None
    return user


# --- create -------------------------------------------------------------------------------------


def test_given_password_when_created_then_public_view_has_no_hash(users: UserService) -> None:
    user, generated = users.create("Alice", Role.AGENT, password=GOOD, display_name="Alice A.",
                                   agent_id="a1")  # fmt: skip
    assert generated is None
    assert user == UserPublic(id=user.id, username="alice", display_name="Alice A.",
                              role=Role.AGENT, agent_id="a1", must_change_password=False,
                              active=True)  # fmt: skip
    assert not hasattr(user, "password_hash")
    assert users.get(user.id) == user


def test_created_user_gets_clock_times_and_an_argon2_hash(
    users: UserService, db_sessions: sessionmaker[Session]
) -> None:
    user = _agent(users)
    row = _row(db_sessions, user.id)
    assert row.created_at == row.password_changed_at == datetime(2024, 6, 1, 12, tzinfo=UTC)
    assert row.password_hash.startswith("$argon2id$")
    assert GOOD not in row.password_hash


def test_without_password_one_is_generated_returned_and_must_be_changed(
    users: UserService,
) -> None:
    user, generated = users.create("boss", "admin")
    assert generated is not None
    assert len(generated) >= 20
    assert user.must_change_password
    assert users.authenticate("boss", generated).id == user.id


def test_display_name_defaults_to_the_username(users: UserService) -> None:
    user, _ = users.create("Sup", "supervisor", password=GOOD)
    assert user.display_name == "sup"
    assert user.agent_id is None


def test_given_existing_name_in_other_case_when_created_then_user_exists(
    users: UserService,
) -> None:
    _agent(users, "alice")
    with pytest.raises(UserExists, match="'alice' already exists"):
        users.create("ALICE", "admin", password=OTHER)
    assert len(users.list_users()) == 1


def test_weak_password_is_refused_and_nothing_is_saved(users: UserService) -> None:
    with pytest.raises(PasswordPolicyError, match="at least 10"):
        users.create("bob", "agent", password="short")
    assert users.by_username("bob") is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"username": "bad name", "role": "agent"}, "invalid username"),
        ({"username": "bob", "role": "owner"}, "invalid role 'owner'"),
        ({"username": "bob", "role": "agent", "display_name": "x" * 201}, "display name"),
        ({"username": "bob", "role": "agent", "agent_id": "x" * 101}, "agent id"),
    ],
)
def test_bad_fields_are_refused_with_the_rule(
    users: UserService, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        users.create(password=GOOD, **kwargs)  # type: ignore[arg-type]
    assert users.list_users() == []


def test_list_by_username_and_lookup_in_any_case(users: UserService) -> None:
    for name in ("carol", "Alice", "bob"):
        users.create(name, "agent", password=GOOD)
    assert [u.username for u in users.list_users()] == ["alice", "bob", "carol"]
    found = users.by_username(" BOB ")
    assert found is not None
    assert found.username == "bob"
    assert users.by_username("dave") is None
    assert users.get(10_000) is None


# --- authenticate -------------------------------------------------------------------------------


def test_right_password_authenticates_in_any_username_case(users: UserService) -> None:
    user = _agent(users)
    assert users.authenticate("ALICE", GOOD) == user


def test_wrong_password_is_refused(users: UserService) -> None:
    _agent(users)
    with pytest.raises(AuthError) as caught:
        users.authenticate("alice", GOOD + "x")
    assert caught.value.reason == "wrong-password"


@pytest.mark.parametrize("name", ["nobody", "not a valid name", ""])
def test_unknown_user_is_refused_after_a_dummy_verification(
    users: UserService, hasher: CountingHasher, name: str
) -> None:
    """Unknown names cost a hash verification too, so timing does not reveal who exists."""
    _agent(users)
    before = hasher.verifications
    with pytest.raises(AuthError) as caught:
        users.authenticate(name, GOOD)
    assert caught.value.reason == "unknown-user"
    assert hasher.verifications == before + 1


def test_inactive_user_with_right_password_is_refused_as_inactive(users: UserService) -> None:
    user = _agent(users)
    assert not users.deactivate(user.id).active
    with pytest.raises(AuthError) as caught:
        users.authenticate("alice", GOOD)
    assert caught.value.reason == "inactive"


def test_inactive_user_with_wrong_password_does_not_learn_it_is_inactive(
    users: UserService,
) -> None:
    users.deactivate(_agent(users).id)
    with pytest.raises(AuthError) as caught:
        users.authenticate("alice", "wrong password")
    assert caught.value.reason == "wrong-password"


def test_given_old_hash_parameters_when_logging_in_then_hash_is_upgraded(
    db_sessions: sessionmaker[Session], clock: StepClock
) -> None:
    old = UserService(db_sessions, clock, CountingHasher(time_cost=1))
    user = _agent(old)
    old_hash = _row(db_sessions, user.id).password_hash
    stronger = CountingHasher(time_cost=2)
    assert stronger.check_needs_rehash(old_hash)
    UserService(db_sessions, clock, stronger).authenticate("alice", GOOD)
    new_hash = _row(db_sessions, user.id).password_hash
    assert new_hash != old_hash
    assert not stronger.check_needs_rehash(new_hash)
    assert UserService(db_sessions, clock, stronger).authenticate("alice", GOOD).id == user.id


def test_current_hash_is_not_rewritten_on_login(
    users: UserService, db_sessions: sessionmaker[Session]
) -> None:
    user = _agent(users)
    before = _row(db_sessions, user.id).password_hash
    users.authenticate("alice", GOOD)
    assert _row(db_sessions, user.id).password_hash == before


def test_corrupt_stored_hash_counts_as_wrong_password(
    users: UserService, db_sessions: sessionmaker[Session]
) -> None:
    user = _agent(users)
    with db_sessions.begin() as session:
        row = session.scalars(select(User).where(User.id == user.id)).one()
        row.password_hash = "not-a-hash"
    with pytest.raises(AuthError) as caught:
        users.authenticate("alice", GOOD)
    assert caught.value.reason == "wrong-password"


# --- change and set -----------------------------------------------------------------------------


def test_change_password_needs_the_old_one_and_clears_must_change(
    users: UserService, clock: StepClock, db_sessions: sessionmaker[Session]
) -> None:
    user, generated = users.create("boss", "admin")
    assert generated is not None
    clock.t = T0 + 60
    changed = users.change_password(user.id, generated, OTHER)
    assert not changed.must_change_password
    assert users.authenticate("boss", OTHER).id == user.id
    with pytest.raises(AuthError):
        users.authenticate("boss", generated)
    row = _row(db_sessions, user.id)
    assert row.password_changed_at.timestamp() == T0 + 60
    assert row.created_at.timestamp() == T0


def test_change_password_with_wrong_old_password_changes_nothing(users: UserService) -> None:
    user = _agent(users)
    with pytest.raises(AuthError) as caught:
        users.change_password(user.id, "not the password", OTHER)
    assert caught.value.reason == "wrong-password"
    users.authenticate("alice", GOOD)


@pytest.mark.parametrize("new", ["short", GOOD, "alice"])
def test_change_password_to_a_weak_or_same_one_is_refused(users: UserService, new: str) -> None:
    user = _agent(users)
    with pytest.raises(PasswordPolicyError):
        users.change_password(user.id, GOOD, new)
    users.authenticate("alice", GOOD)


def test_change_password_of_inactive_user_is_refused(users: UserService) -> None:
    user = _agent(users)
    users.deactivate(user.id)
    with pytest.raises(AuthError) as caught:
        users.change_password(user.id, GOOD, OTHER)
    assert caught.value.reason == "inactive"


def test_set_password_needs_no_old_password_and_may_force_a_change(users: UserService) -> None:
    user = _agent(users)
    assert users.set_password(user.id, OTHER, must_change=True).must_change_password
    assert users.authenticate("alice", OTHER).must_change_password
    with pytest.raises(PasswordPolicyError):
        users.set_password(user.id, "short", must_change=False)


def test_password_marker_changes_with_the_password(users: UserService) -> None:
    user = _agent(users)
    before = users.password_marker(user.id)
    assert before is not None
    assert users.password_marker(user.id) == before
    users.set_password(user.id, OTHER, must_change=False)
    assert users.password_marker(user.id) != before
    assert users.password_marker(10_000) is None


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.change_password(10_000, GOOD, OTHER),
        lambda s: s.set_password(10_000, OTHER, must_change=False),
        lambda s: s.deactivate(10_000),
    ],
    ids=["change_password", "set_password", "deactivate"],
)
def test_unknown_user_id_raises_user_not_found(
    users: UserService, call: Callable[[UserService], object]
) -> None:
    with pytest.raises(UserNotFound, match="10000"):
        call(users)
