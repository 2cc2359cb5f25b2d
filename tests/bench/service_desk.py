"""Benchmark: ticket figures and lists over a large ticket history (SQLite).

Run: python tests/bench/service_desk.py [--quick] [--tickets N]

A fresh SQLite database gets 40 agents in 4 departments, 5,000 customers (owned by the agents,
one in ten in the shared pool) and N tickets (default 100,000; --quick 10,000) spread over 180
days, each with a generated life (opened within hours, a third pending on the customer for up to
three days, resolved within five days, one in twenty reopened, closed a week later), written
straight to the tables with the due times the service would keep. Then, with
warm caches, each operation is timed (median of 5 runs) as the services run it:

- ticket creation through `TicketService.create` (SLA lookup, history, timeline), 300 tickets;
- backlog now and at a past instant (SQL, correlated subquery), overdue now (SQL);
- overdue at a past instant and backlog growth per day over 90 days (histories loaded, pure);
- an agent's ticket list (visibility in SQL, 50 per page) and its overdue filter.

Prints one JSON object as its last line, times in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from argon2 import PasswordHasher  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from crm_core.backlog import Bucket  # noqa: E402
from crm_core.customer_models import Customer, Department, DepartmentMember  # noqa: E402
from crm_core.db import create_db_engine, make_sessionmaker  # noqa: E402
from crm_core.migrate import upgrade_database  # noqa: E402
from crm_core.service_models import Ticket, TicketEvent  # noqa: E402
from crm_core.sla import due_at, pauses_from  # noqa: E402
from crm_core.ticket_rules import TicketStatus  # noqa: E402
from crm_core.ticket_views import TicketDraft, TicketQuery  # noqa: E402
from crm_core.tickets import TicketService  # noqa: E402
from crm_core.users import Role, UserPublic, UserService  # noqa: E402

FULL_TICKETS = 100_000
QUICK_TICKETS = 10_000
AGENTS = 40
CUSTOMERS = 5_000
DAYS = 180
RUNS = 5
SEED = 20261124
START = datetime(2026, 1, 1, tzinfo=UTC)
NOW = START + timedelta(days=DAYS)


class FixedClock:
    """The benchmark's "now": the end of the generated history."""

    def now(self) -> float:
        return NOW.timestamp()

    def call_later(self, delay: float, callback: Callable[[], object]) -> Any:
        raise NotImplementedError

    async def sleep(self, delay: float) -> None:
        raise NotImplementedError


def _people(sessions: sessionmaker[Session]) -> list[UserPublic]:
    users = UserService(
        sessions, FixedClock(), PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    agents = [users.create(f"agent{i}", Role.AGENT, password="x" * 12)[0] for i in range(AGENTS)]
    with sessions.begin() as session:
        for number in range(4):
            session.add(Department(id=number + 1, name=f"team{number}", created_at=START))
        session.flush()
        for i, agent in enumerate(agents):
            session.add(DepartmentMember(department_id=i % 4 + 1, user_id=agent.id))
    return agents


def _customers(
    sessions: sessionmaker[Session], agents: list[UserPublic], rng: random.Random
) -> None:
    with sessions.begin() as session:
        session.add_all(
            Customer(id=i + 1, kind="company", name=f"c{i}", name_key=f"c{i}", city=None,
                     region=None, vip_level=0, custom_fields={},
                     owner_user_id=rng.choice(agents).id, shared_pool=rng.random() < 0.1,
                     created_at=START, updated_at=START)
            for i in range(CUSTOMERS)
        )  # fmt: skip


def _life(rng: random.Random, created: datetime) -> list[tuple[datetime, TicketStatus]]:
    """A usual life: opened within hours, a third wait on the customer, resolved within days,
    one in twenty reopened, closed a week after resolution; cut at the end of the history."""

    def hours(low: int, high: int) -> timedelta:
        return timedelta(minutes=rng.randint(low * 60, high * 60))

    S = TicketStatus
    at = created + hours(0, 4)
    steps = [(at, S.OPEN)]
    if rng.random() < 0.3:
        at += hours(2, 72)
        steps.append((at, S.PENDING))
        at += hours(2, 72)
        steps.append((at, S.OPEN))
    at += hours(1, 120)
    steps.append((at, S.RESOLVED))
    if rng.random() < 0.05:
        at += hours(1, 72)
        steps.append((at, S.OPEN))
        at += hours(1, 48)
        steps.append((at, S.RESOLVED))
    steps.append((at + timedelta(days=7), S.CLOSED))
    return [(when, status) for when, status in steps if when <= NOW]


def _tickets(sessions: sessionmaker[Session], count: int, rng: random.Random) -> None:
    """Tickets and their histories, inserted in bulk (Core), due times as the service keeps them."""
    span = DAYS * 24 * 3600
    target = timedelta(days=3)
    tickets: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for number in range(1, count + 1):
        created = START + timedelta(seconds=rng.randrange(span))
        changes = _life(rng, created)
        status = changes[-1][1] if changes else TicketStatus.NEW
        tickets.append(
            {"id": number, "customer_id": rng.randint(1, CUSTOMERS), "subject": "s",
             "description": "", "category": "general", "priority": "normal",
             "status": status.value, "department_id": rng.randint(1, 4),
             "created_at": created, "updated_at": changes[-1][0] if changes else created,
             "response_minutes": 480,
             "resolution_minutes": 4320, "business_hours": False,
             "resolution_due_at": due_at(created, target, pauses_from(changes))}
        )  # fmt: skip
        life = [(created, "created", TicketStatus.NEW)]
        life += [(at, "status", s) for at, s in changes]
        events += [
            {"ticket_id": number, "at": at, "kind": kind, "status": s.value, "data": {}}
            for at, kind, s in life
        ]
    with sessions.begin() as session:
        session.execute(insert(Ticket), tickets)
        session.execute(insert(TicketEvent), events)


def _median_ms(action: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def run(count: int) -> dict[str, Any]:
    """Build the database and time every operation."""
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade_database(url)
        engine = create_db_engine(url)
        sessions = make_sessionmaker(engine)
        agents = _people(sessions)
        _customers(sessions, agents, rng)
        started = time.perf_counter()
        _tickets(sessions, count, rng)
        load_s = time.perf_counter() - started
        service = TicketService(sessions, FixedClock())
        cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        admin = UserService(sessions, FixedClock(), cheap).create(
            "root", Role.ADMIN, password="y" * 12
        )[0]
        figures = _figures(service, admin, agents[0])
        figures["create_per_s"] = _creation_rate(service, admin, rng)
        engine.dispose()
    return {"tickets": count, "generate_s": round(load_s, 1), **figures}


def _figures(service: TicketService, admin: UserPublic, agent: UserPublic) -> dict[str, Any]:
    past = NOW - timedelta(days=30)
    first, last = (NOW - timedelta(days=90)).date(), (NOW - timedelta(days=1)).date()
    mine = TicketQuery(limit=50)
    return {
        "backlog_now": service.backlog_count(admin),
        "backlog_now_ms": _median_ms(lambda: service.backlog_count(admin)),
        "backlog_past_ms": _median_ms(lambda: service.backlog_count(admin, past)),
        "overdue_now_ms": _median_ms(lambda: service.overdue_count(admin)),
        "overdue_past_ms": _median_ms(lambda: service.overdue_count(admin, past)),
        "growth_90_days_ms": _median_ms(
            lambda: service.backlog_growth(admin, first, last, Bucket.DAY, "Asia/Shanghai")
        ),
        "agent_list_ms": _median_ms(lambda: service.list_tickets(agent, mine)),
        "agent_overdue_list_ms": _median_ms(
            lambda: service.list_tickets(agent, TicketQuery(overdue=True, limit=50))
        ),
    }


def _creation_rate(service: TicketService, admin: UserPublic, rng: random.Random) -> float:
    started = time.perf_counter()
    for _ in range(300):
        draft = TicketDraft(rng.randint(1, CUSTOMERS), "new", category="billing")
        service.create(admin, draft)
    return round(300 / (time.perf_counter() - started), 1)


def main() -> None:
    """Parse the arguments, run, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_TICKETS} tickets")
    parser.add_argument("--tickets", type=int, default=None)
    args = parser.parse_args()
    count = args.tickets or (QUICK_TICKETS if args.quick else FULL_TICKETS)
    print(json.dumps(run(count)))


if __name__ == "__main__":
    main()
