"""Caller lookup for screen-pops: an incoming caller ID to the customer, its owner and history.

Built for speed at millions of customers: the ANI is read in every common form (`lookup_keys`),
then one indexed query on `customer_phones.e164` finds the candidates, and a few primary-key and
index reads fetch the owner, the contact person, open tickets and the last interactions. No table
is scanned. With a viewer (the REST route) visibility applies; without one (call routing, which
wants the owner to prefer) the system sees every customer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.customer_models import Contact, Customer, CustomerPhone
from crm_core.models import User
from crm_core.phones import lookup_keys
from crm_core.timeline import TimelineItem, recent_entries
from crm_core.visibility import Viewer, visible_customers_clause

INTERACTIONS = 5
CANDIDATES_MAX = 20  # one number shared by more customers than this is a switchboard

OpenTickets = Callable[[Connection, int], Sequence[Any]]


@dataclass(frozen=True, slots=True)
class ScreenPop:
    """What an agent's screen shows when the call rings."""

    customer_id: int
    name: str
    kind: str
    vip_level: int
    owner_user_id: int
    owner_name: str
    owner_agent_id: str | None
    e164: str
    contact_id: int | None
    contact_name: str | None
    open_tickets: tuple[Any, ...]
    last_interactions: tuple[TimelineItem, ...]
    other_matches: int  # further customers with this number (visible to the viewer)


# Built once: per lookup only the parameters change (SQLAlchemy caches the compiled SQL too).
_CANDIDATES = (
    select(
        CustomerPhone.customer_id,
        CustomerPhone.e164,
        CustomerPhone.contact_id,
        Contact.name,
        Customer.name,
        Customer.kind,
        Customer.vip_level,
        User.id,
        User.display_name,
        User.agent_id,
    )
    .join(Customer, Customer.id == CustomerPhone.customer_id)
    .join(User, User.id == Customer.owner_user_id)
    .outerjoin(Contact, Contact.id == CustomerPhone.contact_id)
    .where(
        CustomerPhone.e164.in_(bindparam("keys", expanding=True)),
        Customer.merged_into_id.is_(None),
    )
    .limit(CANDIDATES_MAX)
)


def lookup_caller(
    sessions: sessionmaker[Session],
    ani: str,
    default_region: str,
    *,
    viewer: Viewer | None = None,
    open_tickets: OpenTickets | None = None,
) -> ScreenPop | None:
    """The screen-pop for a caller ID, or None when no (visible) customer has that number."""
    keys = lookup_keys(ani, default_region)
    if not keys:
        return None
    query = _CANDIDATES if viewer is None else _CANDIDATES.where(visible_customers_clause(viewer))
    # A plain connection, not an ORM session: only column reads happen here, so the session's
    # bookkeeping would be pure overhead on every call. Autocommit spares BEGIN and ROLLBACK on
    # PostgreSQL.
    with _engine_of(sessions).connect() as plain:
        connection = plain.execution_options(isolation_level="AUTOCOMMIT")
        rows = connection.execute(query, {"keys": list(keys)}).all()
        if not rows:
            return None
        rank = {key: i for i, key in enumerate(keys)}
        # Ranking a handful of rows the database already filtered: the likeliest reading of
        # the number first, then the higher VIP level, then the oldest customer.
        ordered = sorted(rows, key=lambda r: (rank[r[1]], -r[6], r[0], r[2] is not None))
        others = len({row[0] for row in rows}) - 1
        return _screen_pop(connection, ordered[0], others, open_tickets)


def _engine_of(sessions: sessionmaker[Session]) -> Engine:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine):
        raise TypeError("caller lookup needs a sessionmaker bound to an engine")
    return bind


def _screen_pop(
    connection: Connection, row: Sequence[Any], others: int, open_tickets: OpenTickets | None
) -> ScreenPop:
    (
        customer_id,
        e164,
        contact_id,
        contact_name,
        name,
        kind,
        vip_level,
        owner_id,
        owner_name,
        owner_agent_id,
    ) = row
    tickets = tuple(open_tickets(connection, customer_id)) if open_tickets is not None else ()
    return ScreenPop(
        customer_id=customer_id,
        name=name,
        kind=kind,
        vip_level=vip_level,
        owner_user_id=owner_id,
        owner_name=owner_name,
        owner_agent_id=owner_agent_id,
        e164=e164,
        contact_id=contact_id,
        contact_name=contact_name,
        open_tickets=tickets,
        last_interactions=tuple(recent_entries(connection, customer_id, INTERACTIONS)),
        other_matches=others,
    )
