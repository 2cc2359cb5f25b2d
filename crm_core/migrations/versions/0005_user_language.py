"""Users' language: the pages are shown in English or Simplified Chinese, per user.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LANGUAGES = "language IN ('en', 'zh-CN')"  # frozen copy of the model's check


def upgrade() -> None:
    """Every existing user keeps English until they choose."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("language", sa.String(length=16), server_default="en", nullable=False)
        )
        batch.create_check_constraint(op.f("ck_users_language"), LANGUAGES)


def downgrade() -> None:
    """Drop the language."""
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("ck_users_language"), type_="check")
        batch.drop_column("language")
