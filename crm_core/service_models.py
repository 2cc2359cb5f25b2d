"""The service-desk and sales tables: tickets and their history, SLA policies, opportunities and
their stage changes, orders, pipeline stages and CRM settings (SQLAlchemy 2.x declarative models).

Only the services in `crm_core` (`tickets`, `opportunities`, `orders`, `service_settings`) touch
these models; they hand out frozen dataclasses. Created by migration 0003; the module is imported
by `crm_core.tables`. Money is stored as integer cents (exact on SQLite and PostgreSQL alike).
No UNIQUE constraint involves a `customer_id`: merging customers re-points those columns.

A ticket keeps a snapshot of the SLA targets it was created with (`resolution_minutes`, ...), so
editing a policy later never rewrites the due times, or the overdue figures, of older tickets.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_core.models import EVENT_ID, NAME_MAX, Base

TICKET_STATUSES = ("new", "open", "pending", "resolved", "closed")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")
TICKET_EVENT_KINDS = ("created", "status", "assigned", "forwarded", "comment")
CATEGORY_MAX = 64
PRIORITY_MAX = 16
STATUS_MAX = 16
KIND_MAX = 16
REFERENCE_MAX = 100
SETTING_KEY_MAX = 64
SETTING_VALUE_MAX = 200
STAGE_NAME_MAX = 64


def _user_fk() -> ForeignKey:
    return ForeignKey("users.id")


class SlaPolicyRow(Base):
    """Targets for tickets of one category and priority ('*' matches any)."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(CATEGORY_MAX))
    priority: Mapped[str] = mapped_column(String(PRIORITY_MAX))
    response_minutes: Mapped[int | None]
    resolution_minutes: Mapped[int]
    business_hours: Mapped[bool]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("uq_sla_policies_category_priority", "category", "priority", unique=True),
    )


class Ticket(Base):
    """A service request of a customer, with its SLA snapshot and current due times."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    subject: Mapped[str] = mapped_column(String(NAME_MAX))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(CATEGORY_MAX))
    priority: Mapped[str] = mapped_column(String(PRIORITY_MAX))
    status: Mapped[str] = mapped_column(String(STATUS_MAX))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    assignee_user_id: Mapped[int | None] = mapped_column(_user_fk(), index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(_user_fk())
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    response_minutes: Mapped[int | None]
    resolution_minutes: Mapped[int]
    business_hours: Mapped[bool]
    response_due_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    # NULL while the clock is stopped (pending, resolved) short of the target.
    resolution_due_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(f"status IN {TICKET_STATUSES!r}", name="status"),
        CheckConstraint(f"priority IN {TICKET_PRIORITIES!r}", name="priority"),
        # "Overdue now" is: active status and a due time in the past.
        Index("ix_tickets_status_resolution_due_at", "status", "resolution_due_at"),
    )


class TicketEvent(Base):
    """One entry of a ticket's history: created, status change, assignment, forward, comment.

    `status` is the ticket's status after the entry, set on `created` and `status` entries only,
    so the status at any instant is that of the newest such entry before it.
    """

    __tablename__ = "ticket_history"

    id: Mapped[int] = mapped_column(EVENT_ID, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[datetime] = mapped_column(index=True)
    actor_user_id: Mapped[int | None] = mapped_column(_user_fk())
    kind: Mapped[str] = mapped_column(String(KIND_MAX))
    status: Mapped[str | None] = mapped_column(String(STATUS_MAX))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]]

    __table_args__ = (
        CheckConstraint(f"kind IN {TICKET_EVENT_KINDS!r}", name="kind"),
        Index("ix_ticket_history_ticket_id_at", "ticket_id", "at"),
    )


class Opportunity(Base):
    """A possible sale to a customer: amount, stage 0-9, who owns it, when the stage last moved."""

    __tablename__ = "opportunities"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    owner_user_id: Mapped[int] = mapped_column(_user_fk(), index=True)
    title: Mapped[str] = mapped_column(String(NAME_MAX))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    stage: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    stage_changed_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("stage BETWEEN 0 AND 9", name="stage"),
        CheckConstraint("amount_cents >= 0", name="amount_cents"),
        # Stall alerts ask "open stage, unchanged since before X".
        Index("ix_opportunities_stage_stage_changed_at", "stage", "stage_changed_at"),
    )


class OpportunityStageChange(Base):
    """One move of an opportunity's stage (`from_stage` NULL: its creation)."""

    __tablename__ = "opportunity_stage_changes"

    id: Mapped[int] = mapped_column(EVENT_ID, primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id"))
    at: Mapped[datetime]
    actor_user_id: Mapped[int | None] = mapped_column(_user_fk())
    from_stage: Mapped[int | None]
    to_stage: Mapped[int]
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_opportunity_stage_changes_opportunity_id_at", "opportunity_id", "at"),
    )


class Order(Base):
    """An order of a customer: a day and an amount; `reference` (the order number) is unique."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    ordered_on: Mapped[date] = mapped_column(index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str | None] = mapped_column(String(REFERENCE_MAX), unique=True)
    created_at: Mapped[datetime]
    created_by_user_id: Mapped[int | None] = mapped_column(_user_fk())

    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_cents"),
        Index("ix_orders_customer_id_ordered_on", "customer_id", "ordered_on"),
    )


class PipelineStageRow(Base):
    """An admin's name and win probability for one stage; stages without a row use defaults."""

    __tablename__ = "pipeline_stages"

    stage: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(STAGE_NAME_MAX))
    probability: Mapped[int]

    __table_args__ = (
        CheckConstraint("stage BETWEEN 0 AND 9", name="stage"),
        CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
    )


class CrmSetting(Base):
    """One admin setting of the service desk and sales (stall weeks, key-account rules, ...)."""

    __tablename__ = "crm_settings"

    key: Mapped[str] = mapped_column(String(SETTING_KEY_MAX), primary_key=True)
    value: Mapped[str] = mapped_column(String(SETTING_VALUE_MAX))
    updated_at: Mapped[datetime]
    updated_by_user_id: Mapped[int | None] = mapped_column(_user_fk())
