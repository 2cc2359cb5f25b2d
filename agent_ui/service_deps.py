"""FastAPI dependencies of the service-desk and sales routes: the services on the app's database,
clock and center, and one mapping of their domain errors to HTTP answers.

    404  not found, or not visible to the user (the two are never told apart)
    403  the user's role or relation to the record does not allow the change
    409  the change conflicts with the record's state (closed ticket, order number taken)
    422  a value is not acceptable (the message says which and why)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, status

from agent_ui.deps import ContextDep, WebContext
from crm_core.business_time import BusinessCalendar
from crm_core.customer_errors import CustomerNotFound, CustomerUserNotFound, DepartmentNotFound
from crm_core.opportunities import OpportunityNotFound, OpportunityService
from crm_core.orders import DuplicateOrder, OrderService
from crm_core.service_errors import NotPermitted
from crm_core.service_settings import ServiceSettingsService, SlaPolicyNotFound
from crm_core.ticket_rules import TransitionNotAllowed
from crm_core.ticket_views import TicketNotFound
from crm_core.tickets import ALWAYS_OPEN, TicketService

UNPROCESSABLE = 422  # by number: Starlette renamed its constant across versions
_NOT_FOUND = (
    TicketNotFound,
    OpportunityNotFound,
    CustomerNotFound,
    DepartmentNotFound,
    SlaPolicyNotFound,
)
_CONFLICT = (TransitionNotAllowed, DuplicateOrder)


def center_calendar(context: WebContext) -> BusinessCalendar:
    """The center's business hours for SLA clocks (always open if the center has none)."""
    center = context.center
    try:
        return BusinessCalendar(center.hours, center.center.timezone)
    except ValueError:
        return ALWAYS_OPEN


def center_today(context: WebContext) -> date:
    """Today's date in the center's time zone."""
    zone = ZoneInfo(context.center.center.timezone)
    return datetime.fromtimestamp(context.clock.now(), zone).date()


def ticket_service(context: ContextDep) -> TicketService:
    """Tickets on the app's database, with the center's business hours."""
    return TicketService(context.sessions, context.clock, center_calendar(context))


def opportunity_service(context: ContextDep) -> OpportunityService:
    """Opportunities on the app's database."""
    return OpportunityService(context.sessions, context.clock)


def order_service(context: ContextDep) -> OrderService:
    """Orders on the app's database, with the center's phone region and time zone."""
    info = context.center.center
    return OrderService(context.sessions, context.clock, info.default_region, info.timezone)


def settings_service(context: ContextDep) -> ServiceSettingsService:
    """Service-desk and sales settings on the app's database."""
    return ServiceSettingsService(context.sessions, context.clock)


Tickets = Annotated[TicketService, Depends(ticket_service)]
Opportunities = Annotated[OpportunityService, Depends(opportunity_service)]
Orders = Annotated[OrderService, Depends(order_service)]
CrmSettings = Annotated[ServiceSettingsService, Depends(settings_service)]


@contextmanager
def service_errors() -> Iterator[None]:
    """Turn the services' domain errors into HTTP answers (see the module docstring)."""
    try:
        yield
    except _NOT_FOUND as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc
    except NotPermitted as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=str(exc)) from exc
    except _CONFLICT as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from exc
    except (ValueError, CustomerUserNotFound) as exc:
        raise HTTPException(UNPROCESSABLE, detail=str(exc)) from exc
