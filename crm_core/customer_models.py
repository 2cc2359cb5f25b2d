"""The CRM core's tables: departments, customers with their contacts, phones, emails and tags,
shares, the customer timeline and the audit log (SQLAlchemy 2.x declarative models).

Services in `crm_core` are the only code touching these models; they hand out frozen dataclasses.
Every change here needs an Alembic migration (this module was created by revision 0002) and the
module must be imported by `crm_core.tables`, so that `Base.metadata` is complete wherever it is
used (migrations, the schema test).

Visibility rule (see `crm_core.visibility`): a supervisor's team is every user who belongs to at
least one department the supervisor belongs to; department membership is `department_members`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models import EVENT_ID, NAME_MAX, Base

CUSTOMER_KINDS = ("company", "person")
TIMELINE_KINDS = ("call", "note", "message", "ticket", "opportunity", "order", "system")
VIP_MIN = 0
VIP_MAX = 5
PLACE_MAX = 100  # city, region
TAG_MAX = 64
E164_MAX = 16  # "+" and at most 15 digits (ITU-T E.164)
EXTENSION_MAX = 20
RAW_PHONE_MAX = 100
LABEL_MAX = 32
EMAIL_MAX = 254  # RFC 5321 path limit
REF_MAX = 100
ACTION_MAX = 64
TITLE_MAX = 100


def _customer_fk() -> ForeignKey:
    return ForeignKey("customers.id")


class Department(Base):
    """A group of users (sales, support, ...); customers may be shared with one."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    created_at: Mapped[datetime]


class DepartmentMember(Base):
    """A user's membership of a department (a user may belong to several)."""

    __tablename__ = "department_members"

    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    # Indexed alone as well: "which departments is this user in" is asked on every query.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class Customer(Base):
    """A company or a person the center serves; owned by one user, never deleted (merged)."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    # The name folded for duplicate matching (see `crm_core.duplicates.name_key`).
    name_key: Mapped[str] = mapped_column(String(NAME_MAX), index=True)
    city: Mapped[str | None] = mapped_column(String(PLACE_MAX))
    region: Mapped[str | None] = mapped_column(String(PLACE_MAX))
    vip_level: Mapped[int]
    custom_fields: Mapped[dict[str, Any]]
    owner_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    shared_pool: Mapped[bool] = mapped_column(index=True)
    created_at: Mapped[datetime]
    # Lists show the most recently updated first; the index serves that order.
    updated_at: Mapped[datetime] = mapped_column(index=True)
    merged_into_id: Mapped[int | None] = mapped_column(_customer_fk(), index=True)

    __table_args__ = (
        CheckConstraint(f"kind IN {CUSTOMER_KINDS!r}", name="kind"),
        CheckConstraint(f"vip_level BETWEEN {VIP_MIN} AND {VIP_MAX}", name="vip_level"),
    )


class CustomerTag(Base):
    """One tag of a customer (stored trimmed and lower-cased); indexed for search by tag."""

    __tablename__ = "customer_tags"

    customer_id: Mapped[int] = mapped_column(_customer_fk(), primary_key=True)
    tag: Mapped[str] = mapped_column(String(TAG_MAX), primary_key=True, index=True)


class CustomerShare(Base):
    """A customer shared with a department: its members see the customer."""

    __tablename__ = "customer_shares"

    customer_id: Mapped[int] = mapped_column(_customer_fk(), primary_key=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("departments.id"), primary_key=True, index=True
    )
    shared_at: Mapped[datetime]


class Contact(Base):
    """A contact person at a (company) customer, with their own phones and emails."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(_customer_fk(), index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    title: Mapped[str | None] = mapped_column(String(TITLE_MAX))
    created_at: Mapped[datetime]


class CustomerPhone(Base):
    """A phone number of a customer (or of one of its contacts), normalised to E.164.

    `e164` is indexed, not unique: "create anyway" may knowingly keep two customers with one
    number. Caller lookup is one indexed equality query on it.
    """

    __tablename__ = "customer_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(_customer_fk(), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    e164: Mapped[str] = mapped_column(String(E164_MAX), index=True)
    extension: Mapped[str | None] = mapped_column(String(EXTENSION_MAX))
    raw: Mapped[str] = mapped_column(String(RAW_PHONE_MAX))
    label: Mapped[str | None] = mapped_column(String(LABEL_MAX))


class CustomerEmail(Base):
    """An email address of a customer (or contact), stored lower-cased and indexed."""

    __tablename__ = "customer_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(_customer_fk(), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), index=True)
    label: Mapped[str | None] = mapped_column(String(LABEL_MAX))


class TimelineEntry(Base):
    """One thing that happened with a customer: a call, a note, a ticket change, ...

    Read newest first per customer, hence the (customer_id, at) index. `ref` names the source
    (a call_id, a ticket id) so a source can find its entry again.
    """

    __tablename__ = "timeline_entries"

    id: Mapped[int] = mapped_column(EVENT_ID, primary_key=True)
    customer_id: Mapped[int] = mapped_column(_customer_fk())
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    summary: Mapped[str] = mapped_column(Text)
    ref: Mapped[str | None] = mapped_column(String(REF_MAX), index=True)
    data: Mapped[dict[str, Any]]

    __table_args__ = (
        CheckConstraint(f"kind IN {TIMELINE_KINDS!r}", name="kind"),
        Index("ix_timeline_entries_customer_id_at", "customer_id", "at"),
    )


class AuditEntry(Base):
    """Who did what, when: transfers, merges, shares, overrides of duplicate warnings."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(EVENT_ID, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(ACTION_MAX), index=True)
    data: Mapped[dict[str, Any]]
