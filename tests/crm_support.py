"""Helpers for the CRM-core tests: a step clock and a small world of users and departments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker

from crm_core.customer_merge import CustomerMergeService
from crm_core.customer_transfer import CustomerTransferService
from crm_core.customers import CustomerService
from crm_core.departments import DepartmentService
from crm_core.timeline import TimelineService
from crm_core.users import Role, UserPublic, UserService

T0 = 1_717_243_200.0  # 2024-06-01 12:00:00 UTC
PASSWORD = "correct horse battery"


class StepClock:
    """A clock that moves only when the test says so."""

    def __init__(self, now: float = T0) -> None:
        self.t = now

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def call_later(self, delay: float, callback: Callable[[], object]) -> Any:
        raise NotImplementedError

    async def sleep(self, delay: float) -> None:
        self.advance(delay)


@dataclass
class Crm:
    """The CRM services on one database, and the users created so far (by username)."""

    sessions: sessionmaker[Session]
    clock: StepClock = field(default_factory=StepClock)
    people: dict[str, UserPublic] = field(default_factory=dict)

    def __post_init__(self) -> None:
        hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        self.users = UserService(self.sessions, self.clock, hasher)
        self.customers = CustomerService(self.sessions, self.clock, "CN")
        self.departments = DepartmentService(self.sessions, self.clock)
        self.timeline = TimelineService(self.sessions, self.clock)
        self.transfers = CustomerTransferService(self.sessions, self.clock)
        self.merges = CustomerMergeService(self.sessions, self.clock)

    def user(self, name: str, role: Role = Role.AGENT) -> UserPublic:
        """A user (created on first use)."""
        if name not in self.people:
            self.people[name], _ = self.users.create(name, role, password=PASSWORD)
        return self.people[name]

    def team(self, department: str, *members: UserPublic) -> int:
        """A department with these members; returns its id."""
        dept = self.departments.create(department)
        for member in members:
            self.departments.add_member(dept.id, member.id)
        return dept.id
