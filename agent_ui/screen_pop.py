"""Screen-pops from the customer records: the caller's card, as the ringing agent may see it.

The customer is looked up once per call, as the system (routing wants the owner whoever takes
the call). The card an agent is shown follows the customer visibility rules: an agent who may
see the customer gets the whole card (owner, open tickets, last interactions); one who may not
gets only what a receptionist would be told (the name, VIP level and who looks after them).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from crm_core.caller_lookup import ScreenPop, lookup_caller
from crm_core.ticket_store import open_tickets_of
from crm_core.users import UserService
from crm_core.visibility import customer_is_visible

Card = dict[str, Any]


class CustomerScreenPops:
    """Finds callers in the customer records and makes each agent's card."""

    def __init__(
        self, sessions: sessionmaker[Session], default_region: str, users: UserService
    ) -> None:
        self._sessions = sessions
        self._region = default_region
        self._users = users

    async def find(self, ani: str) -> ScreenPop | None:
        """The caller's customer, as the system sees it (in a worker thread)."""
        return await asyncio.to_thread(
            lookup_caller, self._sessions, ani, self._region, open_tickets=open_tickets_of
        )

    async def card(self, found: Any, agent_id: str) -> Card | None:
        """The card for the agent `agent_id`; None for an unknown caller."""
        if not isinstance(found, ScreenPop):
            return None
        if found.owner_agent_id == agent_id:  # the owner (the usual case): no query needed
            return full_card(found)
        return await asyncio.to_thread(self._card, found, agent_id)

    def _card(self, pop: ScreenPop, agent_id: str) -> Card:
        viewer = self._users.by_agent(agent_id)
        with self._sessions() as session:
            if viewer is not None and customer_is_visible(session, viewer, pop.customer_id):
                return full_card(pop)
        return restricted_card(pop)


def full_card(pop: ScreenPop) -> Card:
    """Everything the screen-pop knows, JSON-ready."""
    card = {k: v for k, v in asdict(pop).items() if k not in ("open_tickets", "last_interactions")}
    card["open_tickets"] = [_plain(ticket) for ticket in pop.open_tickets]
    card["last_interactions"] = [
        {
            "at": item.at.isoformat(),
            "kind": str(item.kind),
            "summary": item.summary,
            "author_name": item.author_name,
        }
        for item in pop.last_interactions
    ]
    card["restricted"] = False
    return card


def restricted_card(pop: ScreenPop) -> Card:
    """Who the caller is and who looks after them; nothing of their history."""
    return {
        "customer_id": None,
        "name": pop.name,
        "vip_level": pop.vip_level,
        "owner_name": pop.owner_name,
        "restricted": True,
    }


def _plain(value: Any) -> Any:
    """A ticket (or anything) as JSON-ready values: times as ISO text."""
    try:
        fields = asdict(value)
    except TypeError:
        return str(value)
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in fields.items()}
