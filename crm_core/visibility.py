"""Who sees which customer, as a SQL condition every customer query includes.

The rule: an admin sees every customer. Everybody sees the shared pool (`shared_pool`) and the
customers shared with a department they belong to. An agent also sees the customers they own; a
supervisor sees the customers owned by their team, that is every user in at least one department
the supervisor belongs to (the supervisor included, even without a department).

The rule is applied in the database (`visible_customers_clause`), never by filtering rows in
Python after a fetch, so pages, counts and exports can never contain what the viewer may not see.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, exists, or_, select, true
from sqlalchemy.orm import Session

from crm_core.customer_models import Customer, CustomerShare, DepartmentMember
from crm_core.users import Role


class Viewer(Protocol):
    """Whoever is looking: a user id and a role (`UserPublic` is one)."""

    @property
    def id(self) -> int:
        """The user's id."""

    @property
    def role(self) -> Role:
        """The user's role."""


class Scope(StrEnum):
    """How far a role's own ownership reaches, besides the pool and department shares."""

    EVERYTHING = "everything"
    TEAM = "team"
    OWN = "own"


_SCOPES = {Role.ADMIN: Scope.EVERYTHING, Role.SUPERVISOR: Scope.TEAM, Role.AGENT: Scope.OWN}


def scope_of(role: Role) -> Scope:
    """The reach of a role (pure)."""
    return _SCOPES[Role(role)]


def _departments_of(user_id: int) -> Select[Any]:
    return select(DepartmentMember.department_id).where(DepartmentMember.user_id == user_id)


def team_of(user_id: int) -> Select[Any]:
    """The ids of the user's team: every member of a department the user belongs to."""
    return select(DepartmentMember.user_id).where(
        DepartmentMember.department_id.in_(_departments_of(user_id))
    )


def visible_customers_clause(viewer: Viewer) -> ColumnElement[bool]:
    """A condition on `Customer` rows that is true exactly for the customers `viewer` may see."""
    scope = scope_of(viewer.role)
    if scope is Scope.EVERYTHING:
        return true()
    shared_with_me = exists().where(
        CustomerShare.customer_id == Customer.id,
        CustomerShare.department_id.in_(_departments_of(viewer.id)),
    )
    owned = Customer.owner_user_id == viewer.id
    if scope is Scope.TEAM:
        owned = or_(owned, Customer.owner_user_id.in_(team_of(viewer.id)))
    return or_(owned, Customer.shared_pool.is_(True), shared_with_me)


def customer_is_visible(session: Session, viewer: Viewer, customer_id: int) -> bool:
    """True when the customer exists and `viewer` may see it (one EXISTS query)."""
    query = select(exists().where(Customer.id == customer_id, visible_customers_clause(viewer)))
    return bool(session.scalar(query))
