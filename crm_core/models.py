"""The database tables of users, call records and call events (SQLAlchemy 2.x declarative models).

These models stay inside `crm_core`: services hand out plain dataclasses (`UserPublic`,
`CallRecordData`, `CallEventData`). Every change here needs an Alembic migration in
`crm_core/migrations/versions/`; a test checks that the migrated schema matches these models.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("admin", "supervisor", "agent")
LANGUAGES = ("en", "zh-CN")
USERNAME_MAX = 64
NAME_MAX = 200
KEY_MAX = 100
PASSWORD_HASH_MAX = 255


# 64-bit ids for the event log, which grows fastest; SQLite only auto-increments INTEGER keys.
EVENT_ID = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zones and hands back naive datetimes; this type refuses naive input and
    makes every value read back aware and in UTC, so callers never compare naive with aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store in UTC; a naive datetime is a bug in the caller, not a guess to make here."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware (UTC) datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as aware UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Base of every Hotline table; constraint names follow `NAMING_CONVENTION`."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class User(Base):
    """A person who signs in: an admin, a supervisor or an agent (linked to a center-file agent)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-case, so uniqueness is case-insensitive on every backend.
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    display_name: Mapped[str] = mapped_column(String(NAME_MAX))
    role: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(KEY_MAX), index=True)
    password_hash: Mapped[str] = mapped_column(String(PASSWORD_HASH_MAX))
    must_change_password: Mapped[bool]
    active: Mapped[bool]
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")

    __table_args__ = (
        CheckConstraint(f"role IN {ROLES!r}", name="role"),
        CheckConstraint(f"language IN {LANGUAGES!r}", name="language"),
    )


class CallRecord(Base):
    """One row per call (the CDR); the fields of `crm_core.call_records.CallRecordData`.

    Text columns of records and events have no length limit: on PostgreSQL a longer value than
    expected would otherwise reject the whole record, and records must never be lost.
    """

    __tablename__ = "call_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(unique=True)
    direction: Mapped[str]
    ani: Mapped[str]
    dnis: Mapped[str]
    queue: Mapped[str | None]
    agent_id: Mapped[str | None] = mapped_column(index=True)
    arrived_at: Mapped[datetime] = mapped_column(index=True)
    queued_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    wrap_up_ended_at: Mapped[datetime | None]
    outcome: Mapped[str]
    ended_by: Mapped[str | None]

    # Reports ask "this queue, this period"; the index also serves lookups by queue alone.
    __table_args__ = (Index("ix_call_records_queue_arrived_at", "queue", "arrived_at"),)


class CallEvent(Base):
    """One entry of the ordered call-event log; `call_id` is NULL for agent-only events."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(EVENT_ID, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    call_id: Mapped[str | None] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(index=True)
    queue: Mapped[str | None]
    agent_id: Mapped[str | None] = mapped_column(index=True)
    data: Mapped[dict[str, Any]]

    # Covers the reports' read of queue events (reporting.db_read.queue_event_sql, which names the
    # kinds in this order so the database can match it): answered from the index alone.
    __table_args__ = (
        Index(
            "ix_call_events_queue_report",
            "kind",
            "at",
            "seq",
            "call_id",
            "queue",
            sqlite_where=text(
                "kind IN ('ENTERQUEUE', 'CONNECT', 'ABANDON', "
                "'EXITWITHTIMEOUT', 'EXITFULL', 'EXITEMPTY')"
            ),
            postgresql_where=text(
                "kind IN ('ENTERQUEUE', 'CONNECT', 'ABANDON', "
                "'EXITWITHTIMEOUT', 'EXITFULL', 'EXITEMPTY')"
            ),
        ),
    )
