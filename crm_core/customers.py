"""Customers: create (with duplicate detection), read, search, update and share, with visibility.

`CustomerService` holds the rules; the tables are touched through `customer_store`, the rules of
a record are in `customer_rules`, who sees what in `visibility`, duplicates in `duplicates`.
Callers get frozen dataclasses (`CustomerDetail`, `CustomerPage`), never ORM objects. A customer
the viewer may not see is reported as not found (`CustomerNotFound`), exactly like a missing one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock, to_datetime
from crm_core.audit import record_audit
from crm_core.customer_errors import (
    CustomerNotFound,
    CustomerUserNotFound,
    DepartmentNotFound,
    NotAllowed,
)
from crm_core.customer_models import Customer, CustomerShare, Department
from crm_core.customer_rules import CustomerDraft, InvalidCustomer, ValidDraft, validate_draft
from crm_core.customer_search import CustomerQuery, search_ids
from crm_core.customer_store import insert_customer, load_detail, load_summaries
from crm_core.customer_update import CustomerChanges, apply_changes
from crm_core.customer_views import CustomerDetail, CustomerPage
from crm_core.duplicates import DuplicateCustomer, DuplicateMatch, find_matches, is_blocking
from crm_core.models import User
from crm_core.timeline import TimelineKind, append_entry
from crm_core.users import Role
from crm_core.visibility import Viewer, team_of, visible_customers_clause

PAGE_MAX = 200
DEFAULT_REGION = "CN"


@dataclass(frozen=True, slots=True)
class Created:
    """An import row that became customer `customer_id`."""

    index: int
    customer_id: int


@dataclass(frozen=True, slots=True)
class Duplicate:
    """An import row not created: it matches existing customers (or an earlier row)."""

    index: int
    matches: tuple[DuplicateMatch, ...]


@dataclass(frozen=True, slots=True)
class Invalid:
    """An import row not created: a field breaks a rule."""

    index: int
    field: str
    message: str


CreateOutcome = Created | Duplicate | Invalid


class CustomerService:
    """The customer book: the only door to customers for routes, imports and exports."""

    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, default_region: str = DEFAULT_REGION
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self.default_region = default_region

    def create(
        self, actor: Viewer, draft: CustomerDraft, *, override_duplicates: bool = False
    ) -> CustomerDetail:
        """Add a customer; InvalidCustomer, DuplicateCustomer or NotAllowed when it may not be.

        `override_duplicates` creates despite matches where the rule allows (`is_blocking`); the
        override is audited with the matches it ignored.
        """
        valid = validate_draft(draft, self.default_region)
        with self._sessions.begin() as session:
            customer_id = self._create_one(session, actor, valid, override_duplicates)
            return _detail(session, customer_id)

    def find_duplicates(self, draft: CustomerDraft) -> list[DuplicateMatch]:
        """Existing customers matching the draft (any owner), strongest first."""
        valid = validate_draft(draft, self.default_region)
        with self._sessions() as session:
            return find_matches(session, valid)

    def create_many(
        self,
        actor: Viewer,
        drafts: Sequence[CustomerDraft],
        *,
        owner_user_id: int | None = None,
        override_name_matches: bool = False,
    ) -> list[CreateOutcome]:
        """Import: create what can be created, in one transaction; one outcome per draft.

        Rows matching an existing customer or an earlier row are not created (`Duplicate`);
        name-only matches are created when `override_name_matches`. Owner rules as in `create`.
        """
        outcomes: list[CreateOutcome] = []
        with self._sessions.begin() as session:
            for index, draft in enumerate(drafts):
                outcomes.append(
                    self._import_one(
                        session, actor, index, draft, owner_user_id, override_name_matches
                    )
                )
        return outcomes

    def get(self, viewer: Viewer, customer_id: int) -> CustomerDetail:
        """The customer; CustomerNotFound if there is none the viewer may see."""
        with self._sessions() as session:
            _check_visible(session, viewer, customer_id)
            return _detail(session, customer_id)

    def search(
        self, viewer: Viewer, query: CustomerQuery, *, offset: int = 0, limit: int = 50
    ) -> CustomerPage:
        """A page of the customers the viewer may see that match; ValueError for a bad filter."""
        size = max(1, min(limit, PAGE_MAX))
        start = max(0, offset)
        with self._sessions() as session:
            ids, total = search_ids(session, viewer, query, self.default_region, start, size)
            return CustomerPage(tuple(load_summaries(session, ids)), total, start, size)

    def update(
        self,
        viewer: Viewer,
        customer_id: int,
        changes: CustomerChanges,
        *,
        override_duplicates: bool = False,
    ) -> CustomerDetail:
        """Change a visible customer's fields; phones or emails given replace the old ones.

        New phones, emails or name are checked for duplicates like a creation. Moving a customer
        in or out of the shared pool is for its owner, a supervisor or an admin.
        """
        with self._sessions.begin() as session:
            customer = _visible_row(session, viewer, customer_id)
            if changes.shared_pool is not None and changes.shared_pool != customer.shared_pool:
                _check_may_manage(viewer, customer)
            applied = apply_changes(session, customer, changes, self.default_region)
            if applied.probe is not None:
                matches = find_matches(session, applied.probe, exclude_ids={customer_id})
                self._check_duplicates(session, viewer, matches, override_duplicates, customer_id)
            if applied.fields:
                now = self._now()
                customer.updated_at = now
                append_entry(
                    session,
                    customer_id=customer_id,
                    kind=TimelineKind.SYSTEM,
                    at=now,
                    summary="changed: " + ", ".join(applied.fields),
                    author_user_id=viewer.id,
                )
            return _detail(session, customer_id)

    def share(self, viewer: Viewer, customer_id: int, department_id: int) -> CustomerDetail:
        """Let a department's members see the customer (owner, supervisor or admin; audited)."""
        with self._sessions.begin() as session:
            customer = _visible_row(session, viewer, customer_id)
            _check_may_manage(viewer, customer)
            _check_department(session, department_id)
            if session.get(CustomerShare, (customer_id, department_id)) is None:
                session.add(
                    CustomerShare(
                        customer_id=customer_id, department_id=department_id, shared_at=self._now()
                    )
                )
                self._audit(session, viewer, "customer.share", customer_id, department_id)
            return _detail(session, customer_id)

    def unshare(self, viewer: Viewer, customer_id: int, department_id: int) -> CustomerDetail:
        """Stop sharing the customer with a department (owner, supervisor or admin; audited)."""
        with self._sessions.begin() as session:
            customer = _visible_row(session, viewer, customer_id)
            _check_may_manage(viewer, customer)
            removed = session.execute(
                delete(CustomerShare).where(
                    CustomerShare.customer_id == customer_id,
                    CustomerShare.department_id == department_id,
                )
            )
            if removed.rowcount:  # type: ignore[attr-defined]
                self._audit(session, viewer, "customer.unshare", customer_id, department_id)
            return _detail(session, customer_id)

    def _create_one(
        self, session: Session, actor: Viewer, valid: ValidDraft, override: bool
    ) -> int:
        owner_id = _check_owner(session, actor, valid.owner_user_id)
        matches = find_matches(session, valid)
        now = self._now()
        if is_blocking(matches, actor.role, override):
            raise DuplicateCustomer(matches)  # before any insert: nothing to roll back
        customer_id = insert_customer(session, valid, owner_id, now)
        append_entry(
            session,
            customer_id=customer_id,
            kind=TimelineKind.SYSTEM,
            at=now,
            summary="customer created",
            author_user_id=actor.id,
        )
        self._check_duplicates(session, actor, matches, override, customer_id)
        return customer_id

    def _import_one(
        self,
        session: Session,
        actor: Viewer,
        index: int,
        draft: CustomerDraft,
        owner_user_id: int | None,
        override_names: bool,
    ) -> CreateOutcome:
        try:
            valid = validate_draft(draft, self.default_region)
            if owner_user_id is not None and valid.owner_user_id is None:
                valid = _with_owner(valid, owner_user_id)
            with session.begin_nested():
                customer_id = self._create_one(session, actor, valid, override_names)
        except InvalidCustomer as exc:
            return Invalid(index, exc.field, exc.message)
        except DuplicateCustomer as exc:
            return Duplicate(index, tuple(exc.matches))
        return Created(index, customer_id)

    def _check_duplicates(
        self,
        session: Session,
        actor: Viewer,
        matches: list[DuplicateMatch],
        override: bool,
        customer_id: int,
    ) -> None:
        """Raise DuplicateCustomer when the matches block; audit an allowed override."""
        if is_blocking(matches, actor.role, override):
            raise DuplicateCustomer(matches)
        if matches:
            record_audit(
                session,
                at=self._now(),
                actor_user_id=actor.id,
                action="customer.duplicate-override",
                data={"customer_id": customer_id, "matches": [m.customer_id for m in matches]},
            )

    def _audit(
        self, session: Session, viewer: Viewer, action: str, customer_id: int, department_id: int
    ) -> None:
        record_audit(
            session,
            at=self._now(),
            actor_user_id=viewer.id,
            action=action,
            data={"customer_id": customer_id, "department_id": department_id},
        )

    def _now(self) -> datetime:
        return to_datetime(self._clock.now())


def _detail(session: Session, customer_id: int) -> CustomerDetail:
    detail = load_detail(session, customer_id)
    if detail is None:
        raise CustomerNotFound(customer_id)
    return detail


def _check_visible(session: Session, viewer: Viewer, customer_id: int) -> None:
    query = select(Customer.id).where(Customer.id == customer_id, visible_customers_clause(viewer))
    if session.scalar(query) is None:
        raise CustomerNotFound(customer_id)


def _visible_row(session: Session, viewer: Viewer, customer_id: int) -> Customer:
    query = select(Customer).where(Customer.id == customer_id, visible_customers_clause(viewer))
    customer = session.scalar(query)
    if customer is None:
        raise CustomerNotFound(customer_id)
    return customer


def _check_may_manage(viewer: Viewer, customer: Customer) -> None:
    """Sharing and pooling are for the owner, supervisors (who see it) and admins."""
    if Role(viewer.role) is Role.AGENT and customer.owner_user_id != viewer.id:
        raise NotAllowed("only the owner, a supervisor or an admin may do this")


def _check_department(session: Session, department_id: int) -> None:
    if session.get(Department, department_id) is None:
        raise DepartmentNotFound(f"no department {department_id}")


def _check_owner(session: Session, actor: Viewer, owner_user_id: int | None) -> int:
    """The owner of a new customer: the actor, or whom the actor's role may assign it to."""
    owner_id = actor.id if owner_user_id is None else owner_user_id
    owner = session.get(User, owner_id)
    if owner is None or not owner.active:
        raise CustomerUserNotFound(f"no active user {owner_id}")
    role = Role(actor.role)
    if owner_id == actor.id or role is Role.ADMIN:
        return owner_id
    if role is Role.SUPERVISOR and session.scalar(
        select(User.id).where(User.id == owner_id, User.id.in_(team_of(actor.id)))
    ):
        return owner_id
    raise NotAllowed("you may only create customers for yourself (supervisors: for their team)")


def _with_owner(valid: ValidDraft, owner_user_id: int) -> ValidDraft:
    return replace(valid, owner_user_id=owner_user_id)
