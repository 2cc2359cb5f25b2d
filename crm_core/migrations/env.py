"""Alembic environment: runs migrations on the connection `crm_core.migrate` hands over.

There is no alembic.ini: `crm_core.migrate.alembic_config` builds the configuration in code and
passes an open connection (made by `crm_core.db.create_db_engine`, so SQLite gets Hotline's
pragmas) in `config.attributes["connection"]`. Offline mode (`--sql`) uses `sqlalchemy.url`.
"""

from __future__ import annotations

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection

from crm_core.models import UTCDateTime
from crm_core.tables import metadata

# From `crm_core.tables`, which imports every model module: autogenerate sees every table.
target_metadata = metadata


def _render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write UTCDateTime as the plain type it stores, so migrations never import the models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure_online(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate over the connection given by the caller, or one made from `sqlalchemy.url`."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_online(connection)
        return
    from crm_core.db import create_db_engine

    engine = create_db_engine(context.config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as fresh:
            _configure_online(fresh)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    """Emit the migration as SQL text instead of running it."""
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
