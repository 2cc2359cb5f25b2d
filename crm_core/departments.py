"""Departments and who belongs to them (admins manage them; supervisors' teams follow from them).

A supervisor's team is every user in at least one department the supervisor belongs to; a
customer shared with a department is visible to its members (see `crm_core.visibility`).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock, to_datetime
from crm_core.customer_errors import CustomerUserNotFound, DepartmentNotFound
from crm_core.customer_models import Department, DepartmentMember
from crm_core.models import NAME_MAX, User


@dataclass(frozen=True, slots=True)
class DepartmentView:
    """A department with the ids of its members."""

    id: int
    name: str
    created_at: datetime
    member_ids: tuple[int, ...]


class DepartmentExists(Exception):
    """A department with that name already exists."""


class DepartmentService:
    """Creates departments and manages their members."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def create(self, name: str) -> DepartmentView:
        """A new department; ValueError for a bad name, DepartmentExists for a taken one."""
        clean = department_name(name)
        try:
            with self._sessions.begin() as session:
                row = Department(name=clean, created_at=to_datetime(self._clock.now()))
                session.add(row)
                session.flush()
                return _view(session, row)
        except IntegrityError as exc:
            raise DepartmentExists(f"department {clean!r} already exists") from exc

    def add_member(self, department_id: int, user_id: int) -> DepartmentView:
        """Put a user in a department (already a member: nothing changes)."""
        with self._sessions.begin() as session:
            department = _department(session, department_id)
            if session.get(User, user_id) is None:
                raise CustomerUserNotFound(f"no user {user_id}")
            if session.get(DepartmentMember, (department_id, user_id)) is None:
                session.add(DepartmentMember(department_id=department_id, user_id=user_id))
                session.flush()
            return _view(session, department)

    def remove_member(self, department_id: int, user_id: int) -> DepartmentView:
        """Take a user out of a department (not a member: nothing changes)."""
        with self._sessions.begin() as session:
            department = _department(session, department_id)
            session.execute(
                delete(DepartmentMember).where(
                    DepartmentMember.department_id == department_id,
                    DepartmentMember.user_id == user_id,
                )
            )
            return _view(session, department)

    def get(self, department_id: int) -> DepartmentView:
        """The department; DepartmentNotFound if there is none."""
        with self._sessions() as session:
            return _view(session, _department(session, department_id))

    def list_departments(self) -> list[DepartmentView]:
        """Every department, by name."""
        with self._sessions() as session:
            rows = session.scalars(select(Department).order_by(Department.name))
            return [_view(session, row) for row in rows]

    def departments_of(self, user_id: int) -> list[int]:
        """The ids of the departments a user belongs to."""
        with self._sessions() as session:
            query = select(DepartmentMember.department_id).where(
                DepartmentMember.user_id == user_id
            )
            return sorted(session.scalars(query))


def department_name(name: str) -> str:
    """A department name trimmed; ValueError when empty or too long."""
    clean = " ".join(unicodedata.normalize("NFKC", name).split())
    if not clean:
        raise ValueError("department name is empty")
    if len(clean) > NAME_MAX:
        raise ValueError(f"department name too long: use at most {NAME_MAX} characters")
    return clean


def _department(session: Session, department_id: int) -> Department:
    department = session.get(Department, department_id)
    if department is None:
        raise DepartmentNotFound(f"no department {department_id}")
    return department


def _view(session: Session, department: Department) -> DepartmentView:
    members = session.scalars(
        select(DepartmentMember.user_id)
        .where(DepartmentMember.department_id == department.id)
        .order_by(DepartmentMember.user_id)
    )
    return DepartmentView(department.id, department.name, department.created_at, tuple(members))
