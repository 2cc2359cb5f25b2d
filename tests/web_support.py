"""Helpers for the web-app tests: a manual clock, cheap password hashing, an app on a test DB."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.app import create_app
from config.center import Center
from config.settings import Settings, load_settings
from crm_core.users import Role, UserPublic, UserService

TEST_SECRET = "test-only-secret-Jx8q2Lw9ZmR4tV7bN3cK5yH6pD1fG0sA"
START = 1_750_000_000.0  # 2025-06-15T15:06:40Z, a Sunday
PASSWORD = "correct horse battery"


class ManualClock:
    """A clock that moves only when a test says so."""

    def __init__(self, now: float = START) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def call_later(self, delay: float, callback: Callable[[], object]) -> Any:
        raise NotImplementedError("the web app schedules nothing")

    async def sleep(self, delay: float) -> None:
        self.advance(delay)


def cheap_hasher() -> PasswordHasher:
    """argon2 at its smallest cost: the tests check behaviour, not hashing strength."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def web_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Production-mode settings with a real-looking secret and small limits."""
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "secret_key": TEST_SECRET,
        "session_max_age_s": 3600,
        "login_max_failures": 3,
        "login_lockout_s": 60,
    }
    values.update(overrides)
    return load_settings(**values)


class WebHarness:
    """An app on a test database, its user service and its clock."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        clock: ManualClock,
        center: Center | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock
        self.users = UserService(sessions, clock, cheap_hasher())
        self.app: FastAPI = create_app(
            settings, sessions=sessions, clock=clock, user_service=self.users, center=center
        )

    def add_user(
        self, username: str, role: Role = Role.AGENT, *, must_change: bool = False
    ) -> UserPublic:
        user, _ = self.users.create(
            username, role, password=PASSWORD, must_change_password=must_change
        )
        return user

    @asynccontextmanager
    async def client(self, address: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=self.app, client=(address, 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c

    @asynccontextmanager
    async def logged_in(
        self, role: Role, username: str = "viewer"
    ) -> AsyncIterator[httpx.AsyncClient]:
        """A client with a fresh user of `role` logged in."""
        self.add_user(username, role)
        async with self.client() as client:
            response = await login(client, username)
            assert response.status_code == 200, response.text
            yield client


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post("/api/auth/login", json={"username": username, "password": password})
