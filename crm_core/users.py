"""Users: who may sign in, with which role, and their passwords (argon2, rehashed on login).

`UserService` holds the rules (username form, password policy, authentication) and is the only code
that touches the `User` model; callers get frozen `UserPublic` copies, never the model or the hash.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock, to_datetime
from crm_core.models import KEY_MAX, LANGUAGES, NAME_MAX, USERNAME_MAX, User

PASSWORD_MIN = 10
# argon2 hashes whatever it is given; a cap keeps a megabyte "password" from costing CPU time.
PASSWORD_MAX = 1024
GENERATED_PASSWORD_BYTES = 15  # 20 URL-safe characters, 120 bits
MARKER_CHARS = 16
_USERNAME = re.compile(rf"^[a-z0-9][a-z0-9._@-]{{0,{USERNAME_MAX - 1}}}$")

AuthReason = Literal["unknown-user", "wrong-password", "inactive"]


class Role(StrEnum):
    """What a user may do: administer, supervise queues and agents, or take contacts."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"


@dataclass(frozen=True, slots=True)
class UserPublic:
    """A user as the rest of Hotline sees one: no password hash."""

    id: int
    username: str
    display_name: str
    role: Role
    agent_id: str | None
    must_change_password: bool
    active: bool
    language: str = "en"


class AuthError(Exception):
    """Authentication failed; `reason` is for logs, never for the person at the login form."""

    def __init__(self, reason: AuthReason) -> None:
        super().__init__(reason)
        self.reason: AuthReason = reason


class UserExists(Exception):
    """A user with that username already exists."""


class UserNotFound(LookupError):
    """No user has that id."""


class PasswordPolicyError(ValueError):
    """The password is not acceptable (too short, too long, or the username itself)."""


def normalize_username(name: str) -> str:
    """The stored form of a username (trimmed, lower-case); ValueError if it is not allowed."""
    username = name.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise ValueError(
            f"invalid username {name!r}: use 1-{USERNAME_MAX} letters, digits or . _ @ -, "
            "starting with a letter or digit"
        )
    return username


def check_password_policy(password: str, username: str = "") -> None:
    """Raise PasswordPolicyError if `password` may not be used (by `username`)."""
    if len(password) < PASSWORD_MIN:
        raise PasswordPolicyError(f"password too short: use at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise PasswordPolicyError(f"password too long: use at most {PASSWORD_MAX} characters")
    if username and password.strip().lower() == username.lower():
        raise PasswordPolicyError("password must not be the username")


def generate_password() -> str:
    """A strong random password for a new account (the user must change it at first login)."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def _public(user: User) -> UserPublic:
    return UserPublic(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        agent_id=user.agent_id,
        must_change_password=user.must_change_password,
        active=user.active,
        language=user.language,
    )


class UserService:
    """Creates users, checks their passwords and changes them; the only door to the user table."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._hasher = hasher or PasswordHasher()

    def create(
        self,
        username: str,
        role: Role | str,
        *,
        password: str | None = None,
        display_name: str = "",
        agent_id: str | None = None,
        must_change_password: bool = False,
    ) -> tuple[UserPublic, str | None]:
        """Add a user; without a password one is generated, returned once, and must be changed.

        The display name defaults to the username. Raises ValueError for a bad username, role or
        display name, PasswordPolicyError for a weak password, UserExists for a taken username.
        """
        name = normalize_username(username)
        user_role = _parse_role(role)
        shown = _display_name(display_name, name)
        agent_key = _agent_key(agent_id)
        generated = generate_password() if password is None else None
        secret = generated if generated is not None else str(password)
        check_password_policy(secret, name)
        now = to_datetime(self._clock.now())
        user = User(
            username=name,
            display_name=shown,
            role=user_role.value,
            agent_id=agent_key,
            password_hash=self._hasher.hash(secret),
            must_change_password=must_change_password or generated is not None,
            active=True,
            created_at=now,
            password_changed_at=now,
        )
        return self._insert(user), generated

    def authenticate(self, username: str, password: str) -> UserPublic:
        """The user with this username and password; AuthError (with a reason) otherwise."""
        try:
            name = normalize_username(username)
        except ValueError:
            name = ""
        with self._sessions.begin() as session:
            user = session.scalar(select(User).where(User.username == name)) if name else None
            if user is None:
                # Verify against a dummy hash so unknown names take as long as wrong passwords.
                self._verify(self._dummy_hash, password)
                raise AuthError("unknown-user")
            if not self._verify(user.password_hash, password):
                raise AuthError("wrong-password")
            if not user.active:
                raise AuthError("inactive")
            if self._hasher.check_needs_rehash(user.password_hash):
                user.password_hash = self._hasher.hash(password)
            return _public(user)

    def change_password(self, user_id: int, old: str, new: str) -> UserPublic:
        """The user's own change: needs the old password; clears must_change_password."""
        with self._sessions.begin() as session:
            user = self._load(session, user_id)
            if not user.active:
                raise AuthError("inactive")
            if not self._verify(user.password_hash, old):
                raise AuthError("wrong-password")
            if new == old:
                raise PasswordPolicyError("the new password must differ from the old one")
            self._store_password(user, new, must_change=False)
            return _public(user)

    def set_password(self, user_id: int, new: str, must_change: bool) -> UserPublic:
        """An administrator's reset: no old password; `must_change` forces a change at login."""
        with self._sessions.begin() as session:
            user = self._load(session, user_id)
            self._store_password(user, new, must_change=must_change)
            return _public(user)

    def get(self, user_id: int) -> UserPublic | None:
        """The user with this id, or None."""
        with self._sessions() as session:
            user = session.get(User, user_id)
            return None if user is None else _public(user)

    def by_username(self, name: str) -> UserPublic | None:
        """The user with this username (any case), or None."""
        with self._sessions() as session:
            user = session.scalar(select(User).where(User.username == name.strip().lower()))
            return None if user is None else _public(user)

    def by_agent(self, agent_id: str) -> UserPublic | None:
        """The active user who works as center agent `agent_id`, or None."""
        with self._sessions() as session:
            user = session.scalars(
                select(User).where(User.agent_id == agent_id, User.active.is_(True)).limit(1)
            ).first()
            return None if user is None else _public(user)

    def list_users(self) -> list[UserPublic]:
        """Every user, active or not, by username."""
        with self._sessions() as session:
            return [_public(u) for u in session.scalars(select(User).order_by(User.username))]

    def set_language(self, user_id: int, language: str) -> UserPublic:
        """The language the user's pages are shown in (`LANGUAGES`); ValueError for others."""
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
        with self._sessions.begin() as session:
            user = self._load(session, user_id)
            user.language = language
            return _public(user)

    def deactivate(self, user_id: int) -> UserPublic:
        """Stop the user from signing in; the row stays so records still name who it was."""
        with self._sessions.begin() as session:
            user = self._load(session, user_id)
            user.active = False
            return _public(user)

    def password_marker(self, user_id: int) -> str | None:
        """A short value that changes whenever the user's password (hash) changes.

        Session cookies carry it, so a password change signs out every other session.
        """
        with self._sessions() as session:
            user = session.get(User, user_id)
            if user is None:
                return None
            return hashlib.sha256(user.password_hash.encode()).hexdigest()[:MARKER_CHARS]

    @cached_property
    def _dummy_hash(self) -> str:
        return self._hasher.hash(generate_password())

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _store_password(self, user: User, new: str, *, must_change: bool) -> None:
        check_password_policy(new, user.username)
        user.password_hash = self._hasher.hash(new)
        user.must_change_password = must_change
        user.password_changed_at = to_datetime(self._clock.now())

    def _insert(self, user: User) -> UserPublic:
        try:
            with self._sessions.begin() as session:
                session.add(user)
                session.flush()
                return _public(user)
        except IntegrityError as exc:
            if self.by_username(user.username) is not None:
                raise UserExists(f"user {user.username!r} already exists") from exc
            raise

    @staticmethod
    def _load(session: Session, user_id: int) -> User:
        user = session.get(User, user_id)
        if user is None:
            raise UserNotFound(f"no user with id {user_id}")
        return user


def _parse_role(role: Role | str) -> Role:
    try:
        return Role(str(role).strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValueError(f"invalid role {role!r}: use one of {allowed}") from None


def _agent_key(agent_id: str | None) -> str | None:
    key = (agent_id or "").strip()
    if len(key) > KEY_MAX:
        raise ValueError(f"agent id too long: use at most {KEY_MAX} characters")
    return key or None


def _display_name(display_name: str, username: str) -> str:
    shown = display_name.strip() or username
    if len(shown) > NAME_MAX:
        raise ValueError(f"display name too long: use at most {NAME_MAX} characters")
    return shown
