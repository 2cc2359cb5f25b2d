"""Helpers for the service-desk and sales tests: a small CRM world with the ticket, opportunity
and order services on one database and one step clock.

The world: sales = {sup_sales, alice, bob}; support = {sup_support, carol}; root is an admin.
Customers: one private to each of alice, bob and carol, and one in the shared pool (owned by bob).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_support import Crm
from sqlalchemy.orm import Session, sessionmaker

from crm_core.business_time import BusinessCalendar
from crm_core.customer_rules import CustomerDraft
from crm_core.opportunities import OpportunityService
from crm_core.orders import OrderService
from crm_core.service_settings import ServiceSettingsService
from crm_core.tickets import ALWAYS_OPEN, TicketService
from crm_core.users import Role, UserPublic


@dataclass
class World:
    """The services, the people by username, department and customer ids by name."""

    crm: Crm
    calendar: BusinessCalendar = ALWAYS_OPEN
    departments: dict[str, int] = field(default_factory=dict)
    customers: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sessions, clock = self.crm.sessions, self.crm.clock
        self.tickets = TicketService(sessions, clock, self.calendar)
        self.opportunities = OpportunityService(sessions, clock)
        self.orders = OrderService(sessions, clock, "CN")
        self.settings = ServiceSettingsService(sessions, clock)

    @property
    def people(self) -> dict[str, UserPublic]:
        """Users by username."""
        return self.crm.people

    def advance(self, seconds: float) -> None:
        """Move the clock on."""
        self.crm.clock.advance(seconds)


def make_world(sessions: sessionmaker[Session], calendar: BusinessCalendar = ALWAYS_OPEN) -> World:
    """The world described in the module docstring, on `sessions`."""
    crm = Crm(sessions)
    world = World(crm, calendar)
    for name in ("alice", "bob", "carol"):
        crm.user(name)
    for name in ("sup_sales", "sup_support"):
        crm.user(name, Role.SUPERVISOR)
    crm.user("root", Role.ADMIN)
    p = crm.people
    world.departments["sales"] = crm.team("sales", p["sup_sales"], p["alice"], p["bob"])
    world.departments["support"] = crm.team("support", p["sup_support"], p["carol"])
    for owner in ("alice", "bob", "carol"):
        made = crm.customers.create(p[owner], CustomerDraft(name=f"{owner}-private"))
        world.customers[f"{owner}-private"] = made.id
    pool = crm.customers.create(
        p["bob"], CustomerDraft(name="pool", shared_pool=True, phones=("13800138000",))
    )
    world.customers["pool"] = pool.id
    return world
