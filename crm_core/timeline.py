"""One timeline per customer: calls, messages, notes, tickets, opportunity and order changes.

Other parts of Hotline write entries with `append_entry` (and calls with `link_call`) inside
their own transaction. People read a timeline newest first through `TimelineService`, which
checks in the same query that the viewer may see the customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, bindparam, or_, select
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock, to_datetime
from crm_core.customer_errors import CustomerNotFound
from crm_core.customer_models import Customer, TimelineEntry
from crm_core.models import User
from crm_core.visibility import Viewer, customer_is_visible, visible_customers_clause

NOTE_MAX = 10_000
SUMMARY_MAX = 10_000
PAGE_MAX = 200


class TimelineKind(StrEnum):
    """What a timeline entry is about."""

    CALL = "call"
    NOTE = "note"
    MESSAGE = "message"
    TICKET = "ticket"
    OPPORTUNITY = "opportunity"
    ORDER = "order"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class TimelineItem:
    """One timeline entry as shown to people."""

    id: int
    customer_id: int
    at: datetime
    kind: TimelineKind
    summary: str
    author_user_id: int | None
    author_name: str | None
    ref: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TimelineCursor:
    """Where the next (older) page starts: entries strictly before (at, id)."""

    at: datetime
    id: int


@dataclass(frozen=True, slots=True)
class TimelinePage:
    """A page of entries, newest first; `next` is None on the last page."""

    items: tuple[TimelineItem, ...]
    next: TimelineCursor | None


def append_entry(
    session: Session,
    *,
    customer_id: int,
    kind: TimelineKind | str,
    at: datetime,
    summary: str,
    author_user_id: int | None = None,
    ref: str | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """Add an entry to a customer's timeline in the caller's transaction; returns its id."""
    entry = TimelineEntry(
        customer_id=customer_id,
        at=at,
        kind=TimelineKind(kind).value,
        author_user_id=author_user_id,
        summary=summary[:SUMMARY_MAX],
        ref=ref,
        data=dict(data or {}),
    )
    session.add(entry)
    session.flush()
    return entry.id


def link_call(session: Session, customer_id: int, call_id: str, at: datetime, summary: str) -> int:
    """Show a call (by its call_id) on the customer's timeline; linking twice adds nothing."""
    existing = session.scalar(
        select(TimelineEntry.id).where(
            TimelineEntry.ref == call_id,
            TimelineEntry.kind == TimelineKind.CALL.value,
            TimelineEntry.customer_id == customer_id,
        )
    )
    if existing is not None:
        return existing
    return append_entry(
        session,
        customer_id=customer_id,
        kind=TimelineKind.CALL,
        at=at,
        summary=summary,
        ref=call_id,
        data={"call_id": call_id},
    )


_COLUMNS = (
    TimelineEntry.id,
    TimelineEntry.customer_id,
    TimelineEntry.at,
    TimelineEntry.kind,
    TimelineEntry.summary,
    TimelineEntry.author_user_id,
    User.display_name,
    TimelineEntry.ref,
    TimelineEntry.data,
)
# Built once (plain columns, no ORM objects): the screen-pop reads this on every call.
_NEWEST = (
    select(*_COLUMNS)
    .outerjoin(User, User.id == TimelineEntry.author_user_id)
    .where(TimelineEntry.customer_id == bindparam("customer_id"))
    .order_by(TimelineEntry.at.desc(), TimelineEntry.id.desc())
    .limit(bindparam("limit"))
)


def recent_entries(
    session: Session | Connection,
    customer_id: int,
    limit: int,
    before: TimelineCursor | None = None,
) -> list[TimelineItem]:
    """The customer's newest entries (before the cursor); no visibility check, callers do it."""
    query = _NEWEST
    if before is not None:
        query = query.where(
            or_(
                TimelineEntry.at < before.at,
                and_(TimelineEntry.at == before.at, TimelineEntry.id < before.id),
            )
        )
    rows = session.execute(query, {"customer_id": customer_id, "limit": limit})
    return [_item_of(row) for row in rows]


class TimelineService:
    """Reading a customer's timeline and adding notes, for people (visibility applies)."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def read(
        self,
        viewer: Viewer,
        customer_id: int,
        *,
        limit: int = 50,
        before: TimelineCursor | None = None,
    ) -> TimelinePage:
        """A page of the customer's timeline, newest first; CustomerNotFound if not visible."""
        size = max(1, min(limit, PAGE_MAX))
        with self._sessions() as session:
            if not customer_is_visible(session, viewer, customer_id):
                raise CustomerNotFound(customer_id)
            items = recent_entries(session, customer_id, size + 1, before)
        page = tuple(items[:size])
        more = len(items) > size
        return TimelinePage(page, TimelineCursor(page[-1].at, page[-1].id) if more else None)

    def add_note(self, viewer: Viewer, customer_id: int, text: str) -> TimelineItem:
        """Add a note by `viewer`; ValueError for an empty or too long note."""
        note = text.strip()
        if not note:
            raise ValueError("the note is empty")
        if len(note) > NOTE_MAX:
            raise ValueError(f"the note is too long: use at most {NOTE_MAX} characters")
        with self._sessions.begin() as session:
            visible = select(Customer.id).where(
                Customer.id == customer_id, visible_customers_clause(viewer)
            )
            if session.scalar(visible) is None:
                raise CustomerNotFound(customer_id)
            entry_id = append_entry(
                session,
                customer_id=customer_id,
                kind=TimelineKind.NOTE,
                at=to_datetime(self._clock.now()),
                summary=note,
                author_user_id=viewer.id,
            )
            row = session.execute(
                select(*_COLUMNS)
                .outerjoin(User, User.id == TimelineEntry.author_user_id)
                .where(TimelineEntry.id == entry_id)
            ).one()
            return _item_of(row)


def _item_of(row: Sequence[Any]) -> TimelineItem:
    entry_id, customer_id, at, kind, summary, author_id, author_name, ref, data = row
    return TimelineItem(
        id=entry_id,
        customer_id=customer_id,
        at=at,
        kind=TimelineKind(kind),
        summary=summary,
        author_user_id=author_id,
        author_name=author_name,
        ref=ref,
        data=dict(data),
    )
