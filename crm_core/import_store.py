"""The database side of a customer import: find stored duplicates of a batch, write a batch.

Reads are a few indexed `IN` queries per batch (phones, emails, name keys), never one per row.
Writes are SQLAlchemy Core executemany statements, the new customers' ids allocated up front
(`allocate_customer_ids`), all inside the caller's transaction: the import commits once per
batch, and on SQLite holds the write lock for the batch from its first statement.

What is written matches what `customer_store.insert_customer` writes for one customer (the
customer row, its tags, phones, emails and contact), so an imported customer cannot be told from
one typed in; a merge adds only phones, emails and tags the customer does not have yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import false, func, insert, select, text, update
from sqlalchemy.orm import Session

from crm_core.customer_models import (
    Contact,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerTag,
    TimelineEntry,
)
from crm_core.customer_rules import ValidDraft, ValidPhone
from crm_core.import_matching import Existing, KeyIndex, MatchOn, index_key

IN_CHUNK = 2_000  # parameters per IN list: far below SQLite's and PostgreSQL's limits


def _chunks(items: Iterable[str], size: int = IN_CHUNK) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def stored_matches(
    session: Session, phones: set[str], emails: set[str], name_keys: set[str]
) -> KeyIndex:
    """Stored customers (not merged away) holding any of these phones, emails or name keys.

    Customers merged away are skipped in Python, not in SQL: given `merged_into_id IS NULL`,
    SQLite without statistics picks that column's index (true for nearly every row) over the
    name-key index, and the query becomes a scan of every customer.
    """
    index = KeyIndex()
    queries: list[tuple[MatchOn, set[str], Any, Any]] = [
        ("phone", phones, select(CustomerPhone.e164, Customer.id, Customer.owner_user_id,
                                 Customer.merged_into_id)
         .join(Customer, Customer.id == CustomerPhone.customer_id), CustomerPhone.e164),
        ("email", emails, select(CustomerEmail.email, Customer.id, Customer.owner_user_id,
                                 Customer.merged_into_id)
         .join(Customer, Customer.id == CustomerEmail.customer_id), CustomerEmail.email),
        ("name", name_keys, select(Customer.name_key, Customer.id, Customer.owner_user_id,
                                   Customer.merged_into_id), Customer.name_key),
    ]  # fmt: skip
    for on, values, query, column in queries:
        for chunk in _chunks(values):
            for key, customer_id, owner, merged_into in session.execute(
                query.where(column.in_(chunk))
            ):
                if merged_into is None:
                    index.add(index_key(on, key), Existing(customer_id, owner))
    return index


@dataclass(slots=True)
class Additions:
    """What merged rows add to one customer: phones, emails, tags, and notes for the timeline."""

    phones: dict[tuple[str, str | None], ValidPhone] = field(default_factory=dict)
    emails: dict[str, None] = field(default_factory=dict)
    tags: dict[str, None] = field(default_factory=dict)
    notes: list[tuple[int, str]] = field(default_factory=list)

    def add(self, valid: ValidDraft, row: int, notes: str | None) -> None:
        """Take a merged row's phones (its contact's too), emails and tags; its notes."""
        for phone in (*valid.phones, *(p for c in valid.contacts for p in c.phones)):
            self.phones.setdefault((phone.e164, phone.extension), phone)
        for email in sorted(valid.all_emails):
            self.emails.setdefault(email)
        for tag in valid.tags:
            self.tags.setdefault(tag)
        if notes:
            self.notes.append((row, notes))


@dataclass(slots=True)
class NewRow:
    """A customer to create: the first row's draft, plus what later rows merged into it."""

    row: int
    valid: ValidDraft
    owner_user_id: int
    additions: Additions = field(default_factory=Additions)


@dataclass(frozen=True, slots=True)
class WriteContext:
    """When, by whom and from which file the batch is written (for timestamps and notes)."""

    now: datetime
    actor_user_id: int | None
    source: str


def lock_for_writing(session: Session) -> None:
    """Start the batch's transaction holding the write lock (SQLite; PostgreSQL locks rows).

    In WAL mode a transaction that read first and writes later fails at once ("database is
    locked") if anyone else wrote in between, and a live center writes call records all the
    time; a no-op UPDATE as the first statement takes the lock up front, so other writers wait
    for the batch (within their busy timeout) instead.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection().execute(update(Customer).where(false()).values(id=Customer.id))


def allocate_customer_ids(session: Session, count: int) -> list[int]:
    """Ids for `count` new customers, so a batch inserts them with one plain executemany.

    (`INSERT ... RETURNING` with ids in parameter order is sent one row per statement on SQLite.)
    PostgreSQL: taken from the table's sequence, safe beside other writers. SQLite: after the
    highest id, which is safe because the batch holds the write lock (`lock_for_writing`).
    """
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        sequence = session.scalar(text("SELECT pg_get_serial_sequence('customers', 'id')"))
        query = text("SELECT nextval(:sequence) FROM generate_series(1, :count)")
        return sorted(session.scalars(query, {"sequence": sequence, "count": count}))
    highest = session.scalar(select(func.max(Customer.id))) or 0
    return list(range(highest + 1, highest + 1 + count))


def insert_new(session: Session, rows: Sequence[NewRow], context: WriteContext) -> list[int]:
    """Create the customers with their tags, phones, emails, contact and notes; their ids."""
    if not rows:
        return []
    ids = allocate_customer_ids(session, len(rows))
    values = [_customer_values(r, context.now) | {"id": i} for r, i in zip(rows, ids, strict=True)]
    _insert_all(session, (Customer, values))
    children: dict[type[Any], list[dict[str, Any]]] = {
        Contact: [], CustomerPhone: [], CustomerEmail: [], CustomerTag: [], TimelineEntry: []
    }  # fmt: skip
    for customer_id, new in zip(ids, rows, strict=True):
        for model, made in _children(customer_id, new, context).items():
            children[model] += made
    _insert_all(session, *children.items())
    return ids


def _children(
    customer_id: int, new: NewRow, context: WriteContext
) -> dict[type[Any], list[dict[str, Any]]]:
    """The rows of a new customer's tables: its own data plus what later rows merged in."""
    combined = Additions()
    combined.add(new.valid, new.row, None)
    later = new.additions
    combined.phones |= {k: p for k, p in later.phones.items() if k not in combined.phones}
    combined.emails |= later.emails
    combined.tags |= later.tags
    return {
        Contact: [
            {"customer_id": customer_id, "name": c.name, "title": c.title,
             "created_at": context.now}
            for c in new.valid.contacts
        ],
        CustomerPhone: _phone_values(customer_id, combined.phones.values()),
        CustomerEmail: [{"customer_id": customer_id, "email": e} for e in combined.emails],
        CustomerTag: [{"customer_id": customer_id, "tag": t} for t in combined.tags],
        TimelineEntry: _note_values(customer_id, later.notes, context),
    }  # fmt: skip


def _customer_values(new: NewRow, now: datetime) -> dict[str, Any]:
    valid = new.valid
    return {
        "kind": valid.kind.value,
        "name": valid.name,
        "name_key": valid.name_key,
        "city": valid.city,
        "region": valid.region,
        "vip_level": valid.vip_level,
        "custom_fields": valid.custom_fields,
        "owner_user_id": new.owner_user_id,
        "shared_pool": valid.shared_pool,
        "created_at": now,
        "updated_at": now,
    }


def _phone_values(customer_id: int, phones: Iterable[ValidPhone]) -> list[dict[str, Any]]:
    return [
        {"customer_id": customer_id, "contact_id": None, "e164": p.e164,
         "extension": p.extension, "raw": p.raw, "label": p.label}
        for p in phones
    ]  # fmt: skip


def _note_values(
    customer_id: int, notes: Sequence[tuple[int, str]], context: WriteContext
) -> list[dict[str, Any]]:
    return [
        {"customer_id": customer_id, "at": context.now, "kind": "note",
         "author_user_id": context.actor_user_id, "summary": text, "ref": None,
         "data": {"source": "import", "file": context.source, "row": row}}
        for row, text in notes
    ]  # fmt: skip


def _insert_all(session: Session, *tables: tuple[type[Any], list[dict[str, Any]]]) -> None:
    """Core executemany on the tables (not the ORM's bulk path: no per-row ORM work)."""
    connection = session.connection()
    for model, values in tables:
        if values:
            connection.execute(insert(model), values)


def add_to_existing(session: Session, merges: dict[int, Additions], context: WriteContext) -> None:
    """Add merged rows' phones, emails, tags and notes to stored customers (what is new only)."""
    if not merges:
        return
    ids = list(merges)
    have_phones, have_emails, have_tags = _held(session, ids)
    phones, emails, tags, notes = [], [], [], []
    for customer_id, additions in merges.items():
        fresh = [p for k, p in additions.phones.items() if k not in have_phones[customer_id]]
        phones += _phone_values(customer_id, fresh)
        emails += [
            {"customer_id": customer_id, "email": e}
            for e in additions.emails
            if e not in have_emails[customer_id]
        ]
        tags += [
            {"customer_id": customer_id, "tag": t}
            for t in additions.tags
            if t not in have_tags[customer_id]
        ]
        notes += _note_values(customer_id, additions.notes, context)
    _insert_all(session, (CustomerPhone, phones), (CustomerEmail, emails))
    _insert_all(session, (CustomerTag, tags), (TimelineEntry, notes))
    session.execute(update(Customer).where(Customer.id.in_(ids)).values(updated_at=context.now))


def _held(
    session: Session, ids: list[int]
) -> tuple[dict[int, set[tuple[str, str | None]]], dict[int, set[str]], dict[int, set[str]]]:
    """The phones, emails and tags these customers already have."""
    phones: dict[int, set[tuple[str, str | None]]] = defaultdict(set)
    emails: dict[int, set[str]] = defaultdict(set)
    tags: dict[int, set[str]] = defaultdict(set)
    for start in range(0, len(ids), IN_CHUNK):
        chunk = ids[start : start + IN_CHUNK]
        for cid, e164, extension in session.execute(
            select(CustomerPhone.customer_id, CustomerPhone.e164, CustomerPhone.extension).where(
                CustomerPhone.customer_id.in_(chunk)
            )
        ):
            phones[cid].add((e164, extension))
        for cid, email in session.execute(
            select(CustomerEmail.customer_id, CustomerEmail.email).where(
                CustomerEmail.customer_id.in_(chunk)
            )
        ):
            emails[cid].add(email)
        for cid, tag in session.execute(
            select(CustomerTag.customer_id, CustomerTag.tag).where(
                CustomerTag.customer_id.in_(chunk)
            )
        ):
            tags[cid].add(tag)
    return phones, emails, tags
