"""Setting up `hotline demo`: a whole center on one machine with simulated callers and agents.

The demo keeps its state in a data directory: a random secret key (made on first run, file mode
0600), the SQLite database, and demo users (an admin, a supervisor and one user per center agent)
whose random passwords are shown once, when they are created. Later runs reuse all of it.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy import Engine

from acd.clock import Clock
from acd.store_redis import RedisStateStore
from agent_ui.center_app import center_app
from config.center import Center, HoursDef
from config.center_file import load_center
from config.settings import Settings, load_settings, secret_key_problem
from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.migrate import upgrade_database
from crm_core.models import USERNAME_MAX
from crm_core.record_store import SqlRecordSink, next_event_seq
from crm_core.record_writer import BackgroundRecordSink
from crm_core.users import (
    Role,
    UserExists,
    UserService,
    generate_password,
    normalize_username,
)
from telephony.sim.behaviour import SimulationProfile
from telephony.sim.center import SimulatedCenter

SECRET_FILE = "secret_key"
SECRET_BYTES = 48  # 64 URL-safe characters
PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
STAFF_ACCOUNTS = (
    ("admin", Role.ADMIN, "Demo administrator"),
    ("supervisor", Role.SUPERVISOR, "Demo supervisor"),
)
FALLBACK_AGENT_USERNAME = "agent"
_NOT_IN_USERNAME = re.compile(r"[^a-z0-9._@-]")


class DemoError(Exception):
    """The demo cannot start; the message says what to do."""


def ensure_secret_key(data_dir: Path) -> str:
    """The demo's secret key from `<data_dir>/secret_key`, made (mode 0600) on first run."""
    # Private on creation: the directory also holds the database with the password hashes.
    data_dir.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    path = data_dir / SECRET_FILE
    try:
        # O_EXCL: two demos starting at once cannot both write a key and disagree.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        return _read_secret_key(path)
    key = secrets.token_urlsafe(SECRET_BYTES)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key


def _read_secret_key(path: Path) -> str:
    try:
        key = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise DemoError(f"{path}: cannot read the secret key ({exc})") from exc
    problem = secret_key_problem(key)
    if problem:
        raise DemoError(
            f"{path}: {problem}. Delete the file to have a new key made "
            "(everyone logged in will have to log in again)."
        )
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(PRIVATE_FILE_MODE)  # ours, and nobody else's business
    return key


def demo_settings(data_dir: Path, host: str, port: int) -> Settings:
    """Settings for the demo: demo mode, this data directory and address, the stored key."""
    return load_settings(
        demo=True,
        data_dir=data_dir,
        http_host=host,
        http_port=port,
        secret_key=ensure_secret_key(data_dir),
    )


@dataclass(frozen=True, slots=True)
class AccountPlan:
    """A demo user to have: username, role, display name and linked center agent."""

    username: str
    role: Role
    display_name: str
    agent_id: str | None = None


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """A demo user after set-up; `password` only when it was created just now."""

    username: str
    role: Role
    password: str | None


def plan_accounts(center: Center) -> list[AccountPlan]:
    """An admin, a supervisor, and a user per center agent (one plain agent if there are none)."""
    plans = [AccountPlan(name, role, shown) for name, role, shown in STAFF_ACCOUNTS]
    for agent_id, agent in center.agents.items():
        plans.append(AccountPlan(_agent_username(agent_id), Role.AGENT, agent.name, agent_id))
    if not center.agents:
        plans.append(AccountPlan(FALLBACK_AGENT_USERNAME, Role.AGENT, "Demo agent"))
    return plans


def _agent_username(agent_id: str) -> str:
    try:
        return normalize_username(agent_id)
    except ValueError:
        # Center agent ids allow forms usernames do not: keep what is allowed, stably.
        kept = _NOT_IN_USERNAME.sub("-", agent_id.strip().lower()).lstrip("._@-")
        return normalize_username(kept[:USERNAME_MAX] or FALLBACK_AGENT_USERNAME)


def ensure_demo_users(users: UserService, center: Center) -> list[DemoAccount]:
    """Create the planned demo users that do not exist yet, each with a fresh random password."""
    accounts = []
    for plan in plan_accounts(center):
        accounts.append(_ensure_account(users, plan))
    return accounts


def _ensure_account(users: UserService, plan: AccountPlan) -> DemoAccount:
    if users.by_username(plan.username) is not None:
        return DemoAccount(plan.username, plan.role, None)
    password = generate_password()
    try:
        users.create(
            plan.username,
            plan.role,
            password=password,
            display_name=plan.display_name,
            agent_id=plan.agent_id,
        )
    except UserExists:  # made by another process a moment ago
        return DemoAccount(plan.username, plan.role, None)
    return DemoAccount(plan.username, plan.role, password)


@dataclass(slots=True)
class Demo:
    """A demo ready to serve: the app (which runs the simulation), its users and its database."""

    settings: Settings
    center: Center
    app: FastAPI
    simulation: SimulatedCenter
    accounts: list[DemoAccount]
    engine: Engine


def build_demo(
    settings: Settings,
    clock: Clock,
    *,
    arrival_rate_per_s: float,
    seed: int | None = None,
    hasher: PasswordHasher | None = None,
    keep_hours: bool = False,
) -> Demo:
    """Load the center, upgrade the database, make the users, and wire app and simulation.

    Unless `keep_hours`, the center's business hours are set aside so that calls reach the
    queues whenever the demo runs.
    """
    center = load_center(settings.center_path)
    if not keep_hours:
        center = center.model_copy(update={"hours": HoursDef()})
    upgrade_database(settings.db_url)
    engine = create_db_engine(settings.db_url)
    sessions = make_sessionmaker(engine)
    users = UserService(sessions, clock, hasher)
    accounts = ensure_demo_users(users, center)
    records = BackgroundRecordSink(SqlRecordSink(sessions))
    simulation = SimulatedCenter(
        center,
        clock,
        records,
        SimulationProfile(arrival_rate_per_s=arrival_rate_per_s),
        seed,
        first_seq=next_event_seq(sessions),
        store=RedisStateStore.from_url(settings.redis_url) if settings.redis_url else None,
    )
    app = center_app(
        settings,
        sessions=sessions,
        clock=clock,
        center=center,
        running=simulation,
        records=records,
        user_service=users,
    )
    return Demo(settings, center, app, simulation, accounts, engine)
