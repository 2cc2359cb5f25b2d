"""Service desk and sales: SLA policies, tickets and their history, opportunities and their stage
changes, orders, pipeline stages, CRM settings.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model's types: a migration must not change when the models do later.
UTC_DATETIME = sa.DateTime(timezone=True)
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TICKET_STATUSES = "('new', 'open', 'pending', 'resolved', 'closed')"
TICKET_PRIORITIES = "('low', 'normal', 'high', 'urgent')"
TICKET_EVENT_KINDS = "('created', 'status', 'assigned', 'forwarded', 'comment')"

# Children after parents; dropped in reverse.
TABLES = (
    "sla_policies",
    "tickets",
    "ticket_history",
    "opportunities",
    "opportunity_stage_changes",
    "orders",
    "pipeline_stages",
    "crm_settings",
)


def upgrade() -> None:
    """Create the service-desk and sales tables and their indexes."""
    _create_sla_policies()
    _create_tickets()
    _create_ticket_history()
    _create_opportunities()
    _create_orders()
    _create_settings()


def downgrade() -> None:
    """Drop everything this revision created."""
    for table in reversed(TABLES):
        op.drop_table(table)


def _fk(column: str, table: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns))


def _check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _create_sla_policies() -> None:
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.Column("business_hours", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
    )
    op.create_index(
        "uq_sla_policies_category_priority", "sla_policies", ["category", "priority"], unique=True
    )


def _create_tickets() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("response_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.Column("business_hours", sa.Boolean(), nullable=False),
        sa.Column("response_due_at", UTC_DATETIME, nullable=True),
        sa.Column("first_response_at", UTC_DATETIME, nullable=True),
        sa.Column("resolution_due_at", UTC_DATETIME, nullable=True),
        sa.Column("resolved_at", UTC_DATETIME, nullable=True),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        _check("tickets", "status", f"status IN {TICKET_STATUSES}"),
        _check("tickets", "priority", f"priority IN {TICKET_PRIORITIES}"),
        _fk("customer_id", "tickets", "customers"),
        _fk("department_id", "tickets", "departments"),
        _fk("assignee_user_id", "tickets", "users"),
        _fk("created_by_user_id", "tickets", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    for column in ("assignee_user_id", "created_at", "customer_id", "department_id"):
        _index("tickets", column)
    _index("tickets", "status", "resolution_due_at")


def _create_ticket_history() -> None:
    op.create_table(
        "ticket_history",
        sa.Column("id", EVENT_ID, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        _check("ticket_history", "kind", f"kind IN {TICKET_EVENT_KINDS}"),
        _fk("ticket_id", "ticket_history", "tickets"),
        _fk("actor_user_id", "ticket_history", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_history")),
    )
    _index("ticket_history", "at")
    _index("ticket_history", "ticket_id", "at")


def _create_opportunities() -> None:
    op.create_table(
        "opportunities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("stage_changed_at", UTC_DATETIME, nullable=False),
        _check("opportunities", "stage", "stage BETWEEN 0 AND 9"),
        _check("opportunities", "amount_cents", "amount_cents >= 0"),
        _fk("customer_id", "opportunities", "customers"),
        _fk("owner_user_id", "opportunities", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunities")),
    )
    _index("opportunities", "customer_id")
    _index("opportunities", "owner_user_id")
    _index("opportunities", "stage", "stage_changed_at")
    op.create_table(
        "opportunity_stage_changes",
        sa.Column("id", EVENT_ID, nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("from_stage", sa.Integer(), nullable=True),
        sa.Column("to_stage", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _fk("opportunity_id", "opportunity_stage_changes", "opportunities"),
        _fk("actor_user_id", "opportunity_stage_changes", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_stage_changes")),
    )
    _index("opportunity_stage_changes", "opportunity_id", "at")


def _create_orders() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("ordered_on", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        _check("orders", "amount_cents", "amount_cents >= 0"),
        _fk("customer_id", "orders", "customers"),
        _fk("created_by_user_id", "orders", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("reference", name=op.f("uq_orders_reference")),
    )
    _index("orders", "ordered_on")
    _index("orders", "customer_id", "ordered_on")


def _create_settings() -> None:
    op.create_table(
        "pipeline_stages",
        sa.Column("stage", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        _check("pipeline_stages", "stage", "stage BETWEEN 0 AND 9"),
        _check("pipeline_stages", "probability", "probability BETWEEN 0 AND 100"),
        sa.PrimaryKeyConstraint("stage", name=op.f("pk_pipeline_stages")),
    )
    op.create_table(
        "crm_settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        _fk("updated_by_user_id", "crm_settings", "users"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_crm_settings")),
    )
