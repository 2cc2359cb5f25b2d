"""CRM core: departments, customers, contacts, phones, emails, tags, shares, timeline, audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the model's types: a migration must not change when the models do later.
UTC_DATETIME = sa.DateTime(timezone=True)
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMELINE_KINDS = "('call', 'note', 'message', 'ticket', 'opportunity', 'order', 'system')"

# Children after parents; dropped in reverse.
TABLES = (
    "departments",
    "department_members",
    "customers",
    "customer_tags",
    "customer_shares",
    "contacts",
    "customer_phones",
    "customer_emails",
    "timeline_entries",
    "audit_log",
)


def upgrade() -> None:
    """Create the CRM core tables and their indexes."""
    _create_departments()
    _create_customers()
    _create_customer_links()
    _create_contact_points()
    _create_timeline()
    _create_audit_log()


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


def _create_departments() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("name", name=op.f("uq_departments_name")),
    )
    op.create_table(
        "department_members",
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _fk("department_id", "department_members", "departments"),
        _fk("user_id", "department_members", "users"),
        sa.PrimaryKeyConstraint("department_id", "user_id", name=op.f("pk_department_members")),
    )
    _index("department_members", "user_id")


def _create_customers() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("vip_level", sa.Integer(), nullable=False),
        sa.Column("custom_fields", sa.JSON(), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=False),
        sa.Column("shared_pool", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('company', 'person')", name=op.f("ck_customers_kind")),
        sa.CheckConstraint("vip_level BETWEEN 0 AND 5", name=op.f("ck_customers_vip_level")),
        _fk("merged_into_id", "customers", "customers"),
        _fk("owner_user_id", "customers", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    for column in ("merged_into_id", "name_key", "owner_user_id", "shared_pool", "updated_at"):
        _index("customers", column)


def _create_customer_links() -> None:
    op.create_table(
        "customer_tags",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        _fk("customer_id", "customer_tags", "customers"),
        sa.PrimaryKeyConstraint("customer_id", "tag", name=op.f("pk_customer_tags")),
    )
    _index("customer_tags", "tag")
    op.create_table(
        "customer_shares",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("shared_at", UTC_DATETIME, nullable=False),
        _fk("customer_id", "customer_shares", "customers"),
        _fk("department_id", "customer_shares", "departments"),
        sa.PrimaryKeyConstraint("customer_id", "department_id", name=op.f("pk_customer_shares")),
    )
    _index("customer_shares", "department_id")


def _create_contact_points() -> None:
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        _fk("customer_id", "contacts", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    _index("contacts", "customer_id")
    op.create_table(
        "customer_phones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("e164", sa.String(length=16), nullable=False),
        sa.Column("extension", sa.String(length=20), nullable=True),
        sa.Column("raw", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=True),
        _fk("contact_id", "customer_phones", "contacts"),
        _fk("customer_id", "customer_phones", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_phones")),
    )
    for column in ("contact_id", "customer_id", "e164"):
        _index("customer_phones", column)
    op.create_table(
        "customer_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("label", sa.String(length=32), nullable=True),
        _fk("contact_id", "customer_emails", "contacts"),
        _fk("customer_id", "customer_emails", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_emails")),
    )
    for column in ("contact_id", "customer_id", "email"):
        _index("customer_emails", column)


def _create_timeline() -> None:
    op.create_table(
        "timeline_entries",
        sa.Column("id", EVENT_ID, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.CheckConstraint(f"kind IN {TIMELINE_KINDS}", name=op.f("ck_timeline_entries_kind")),
        _fk("author_user_id", "timeline_entries", "users"),
        _fk("customer_id", "timeline_entries", "customers"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_entries")),
    )
    op.create_index("ix_timeline_entries_customer_id_at", "timeline_entries", ["customer_id", "at"])
    _index("timeline_entries", "ref")


def _create_audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", EVENT_ID, nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        _fk("actor_user_id", "audit_log", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    for column in ("action", "actor_user_id", "at"):
        _index("audit_log", column)
