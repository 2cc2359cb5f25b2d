"""Orders (minimal): a day and an amount per customer, added one by one or imported from a file,
and the key-account alert when a big customer's monthly volume keeps falling.

An order is visible exactly when its customer is. Each order goes on the customer's timeline.
Key accounts are ranked over every customer's orders (being a key account is a fact about the
business, not about who looks), but a viewer gets alerts only for customers they can see.

An order stands on the timeline at the start of its day in the center's time zone.

Imports (`import_file`, `import_rows`) take CSV or XLSX files as read by `crm_core.import_source`
and find the customer by Hotline id or by phone (`crm_core.phones.lookup_keys`; a phone matching
several customers is refused, not guessed). Rows with an order number already imported, in the
database or earlier in the file, are skipped, so importing a file twice adds nothing. Good rows
are imported in one transaction; bad rows are listed with their row number and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock, to_datetime
from crm_core.customer_errors import CustomerNotFound
from crm_core.customer_models import Customer, CustomerPhone
from crm_core.import_source import SourceRow, open_source
from crm_core.key_accounts import KeyAccountAlert, OrderFact, key_account_alerts
from crm_core.money import from_cents, to_cents
from crm_core.order_rows import (
    REFERENCE_MAX,
    OrderColumns,
    OrderRow,
    RowProblem,
    map_order_columns,
    parse_order_row,
)
from crm_core.phones import lookup_keys
from crm_core.service_models import Order
from crm_core.service_settings import load_key_account_config
from crm_core.timeline import TimelineKind, append_entry
from crm_core.visibility import Viewer, customer_is_visible, visible_customers_clause

PAGE_MAX = 500


class DuplicateOrder(ValueError):
    """An order with that order number exists already."""


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """A new order."""

    customer_id: int
    ordered_on: date
    amount: Decimal
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as the rest of Hotline sees it."""

    id: int
    customer_id: int
    ordered_on: date
    amount: Decimal
    reference: str | None
    created_at: datetime
    created_by_user_id: int | None


@dataclass(frozen=True, slots=True)
class OrderPage:
    """A page of orders (newest first), how many match and their total amount."""

    items: tuple[OrderView, ...]
    total: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did: orders created, rows skipped as already imported, rows refused."""

    created: int = 0
    skipped: tuple[int, ...] = ()
    problems: tuple[RowProblem, ...] = ()


@dataclass
class _Batch:
    created: int = 0
    skipped: list[int] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    references: set[str] = field(default_factory=set)


def _view(row: Order) -> OrderView:
    return OrderView(
        id=row.id,
        customer_id=row.customer_id,
        ordered_on=row.ordered_on,
        amount=from_cents(row.amount_cents),
        reference=row.reference,
        created_at=row.created_at,
        created_by_user_id=row.created_by_user_id,
    )


def _visible(viewer: Viewer | None) -> Select[Order]:
    query = select(Order)
    if viewer is None:
        return query
    return query.join(Customer, Customer.id == Order.customer_id).where(
        visible_customers_clause(viewer)
    )


class OrderService:
    """Adds, imports and lists orders; key-account alerts."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        default_region: str,
        timezone: str = "UTC",
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._region = default_region
        self._zone = ZoneInfo(timezone)

    def add(self, actor: Viewer | None, draft: OrderDraft) -> OrderView:
        """Add an order for a customer `actor` can see (None: the system, e.g. an import job)."""
        cents = to_cents(draft.amount)
        reference = _clean_reference(draft.reference)
        with self._sessions.begin() as session:
            if actor is not None and not customer_is_visible(session, actor, draft.customer_id):
                raise CustomerNotFound(draft.customer_id)
            if actor is None and session.get(Customer, draft.customer_id) is None:
                raise CustomerNotFound(draft.customer_id)
            if reference is not None and _reference_taken(session, reference):
                raise DuplicateOrder(f"order {reference!r} exists already")
            row = self._insert(
                session, actor, draft.customer_id, draft.ordered_on, cents, reference
            )
            return _view(row)

    def list_orders(
        self,
        viewer: Viewer,
        *,
        customer_id: int | None = None,
        first: date | None = None,
        last: date | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> OrderPage:
        """Visible orders (of one customer, between two days), newest first, with their sum."""
        selected = _visible(viewer)
        if customer_id is not None:
            selected = selected.where(Order.customer_id == customer_id)
        if first is not None:
            selected = selected.where(Order.ordered_on >= first)
        if last is not None:
            selected = selected.where(Order.ordered_on <= last)
        with self._sessions() as session:
            sub = selected.subquery()
            total, cents = session.execute(
                select(func.count(), func.coalesce(func.sum(sub.c.amount_cents), 0))
            ).one()
            rows = session.scalars(
                selected.order_by(Order.ordered_on.desc(), Order.id.desc())
                .offset(max(0, offset))
                .limit(max(1, min(limit, PAGE_MAX)))
            )
            return OrderPage(tuple(_view(row) for row in rows), total, from_cents(int(cents)))

    def key_account_alerts(self, viewer: Viewer | None, today: date) -> list[KeyAccountAlert]:
        """Alerts as of `today` (a local date), for the customers `viewer` can see."""
        with self._sessions() as session:
            config = load_key_account_config(session)
            facts = [
                OrderFact(customer_id, ordered_on, from_cents(cents))
                for customer_id, ordered_on, cents in session.execute(
                    select(Order.customer_id, Order.ordered_on, Order.amount_cents)
                )
            ]
            alerts = key_account_alerts(facts, today, config)
            if viewer is None or not alerts:
                return alerts
            ids = [alert.customer_id for alert in alerts]
            visible = set(
                session.scalars(
                    select(Customer.id).where(
                        Customer.id.in_(ids), visible_customers_clause(viewer)
                    )
                )
            )
            return [alert for alert in alerts if alert.customer_id in visible]

    def import_file(
        self,
        actor: Viewer | None,
        path: Path,
        *,
        sheet: str | None = None,
        encoding: str | None = None,
        dry_run: bool = False,
    ) -> ImportReport:
        """Import a CSV or XLSX file of orders (ImportSourceError, OrderFileError if unusable)."""
        with open_source(path, sheet=sheet, encoding=encoding) as source:
            return self.import_rows(actor, source.header, source.rows, dry_run=dry_run)

    def import_rows(
        self,
        actor: Viewer | None,
        header: Sequence[str],
        rows: Iterable[SourceRow],
        *,
        dry_run: bool = False,
    ) -> ImportReport:
        """Import parsed file rows; the good ones in one transaction, the bad ones reported.

        With `dry_run` everything is checked and counted, then rolled back.
        """
        columns = map_order_columns(header)
        batch = _Batch()
        with self._sessions() as session:
            self._import_all(session, actor, rows, columns, batch)
            if dry_run:
                session.rollback()
            else:
                session.commit()
        return ImportReport(batch.created, tuple(batch.skipped), tuple(batch.problems))

    def _import_all(
        self,
        session: Session,
        actor: Viewer | None,
        rows: Iterable[SourceRow],
        columns: OrderColumns,
        batch: _Batch,
    ) -> None:
        for row in rows:
            if row.error is not None:
                batch.problems.append(RowProblem(row.number, row.error))
                continue
            if not any(cell.strip() for cell in row.cells):
                continue  # blank line
            parsed = parse_order_row(row.number, row.cells, columns)
            if isinstance(parsed, RowProblem):
                batch.problems.append(parsed)
            else:
                self._import_one(session, actor, parsed, batch)

    def _import_one(
        self, session: Session, actor: Viewer | None, row: OrderRow, batch: _Batch
    ) -> None:
        if row.reference is not None and (
            row.reference in batch.references or _reference_taken(session, row.reference)
        ):
            batch.skipped.append(row.number)
            return
        found = self._customer_for(session, actor, row)
        if isinstance(found, str):
            batch.problems.append(RowProblem(row.number, found))
            return
        self._insert(session, actor, found, row.ordered_on, to_cents(row.amount), row.reference)
        if row.reference is not None:
            batch.references.add(row.reference)
        batch.created += 1

    def _customer_for(self, session: Session, actor: Viewer | None, row: OrderRow) -> int | str:
        """The customer's id, or why there is none."""
        query = select(Customer.id, Customer.merged_into_id)
        if actor is not None:
            query = query.where(visible_customers_clause(actor))
        if row.customer_id is not None:
            found = session.execute(query.where(Customer.id == row.customer_id)).first()
            if found is None:
                return f"no customer {row.customer_id}"
            # A merged-away customer's orders belong to the one it was merged into.
            kept: int = found.merged_into_id or found.id
            return kept
        keys = lookup_keys(row.phone or "", self._region)
        if not keys:
            return f"not a phone number: {row.phone!r}"
        matches = session.scalars(
            query.with_only_columns(Customer.id)
            .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
            .where(CustomerPhone.e164.in_(keys), Customer.merged_into_id.is_(None))
            .distinct()
        ).all()
        if len(matches) != 1:
            which = "no customer" if not matches else f"{len(matches)} customers"
            return f"{which} with phone {row.phone!r}"
        return matches[0]

    def _insert(
        self,
        session: Session,
        actor: Viewer | None,
        customer_id: int,
        ordered_on: date,
        cents: int,
        reference: str | None,
    ) -> Order:
        now = to_datetime(self._clock.now())
        author = None if actor is None else actor.id
        row = Order(
            customer_id=customer_id,
            ordered_on=ordered_on,
            amount_cents=cents,
            reference=reference,
            created_at=now,
            created_by_user_id=author,
        )
        session.add(row)
        session.flush()
        label = f" {reference}" if reference else ""
        # On the timeline an order stands at the start of its day, among that day's calls.
        day_start = datetime.combine(ordered_on, time(0), tzinfo=self._zone).astimezone(UTC)
        append_entry(
            session,
            customer_id=customer_id,
            kind=TimelineKind.ORDER,
            at=day_start,
            summary=f"Order{label} of {ordered_on.isoformat()}: {from_cents(cents)}",
            author_user_id=author,
            ref=str(row.id),
            data={
                "order_id": row.id,
                "ordered_on": ordered_on.isoformat(),
                "amount": str(from_cents(cents)),
                "reference": reference,
            },
        )
        return row


def _clean_reference(reference: str | None) -> str | None:
    clean = (reference or "").strip()
    if len(clean) > REFERENCE_MAX:
        raise ValueError(f"the order number is over {REFERENCE_MAX} characters")
    return clean or None


def _reference_taken(session: Session, reference: str) -> bool:
    return session.scalar(select(Order.id).where(Order.reference == reference)) is not None
