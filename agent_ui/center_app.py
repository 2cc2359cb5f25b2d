"""The web app with a running center inside it (`hotline demo` and `hotline serve`).

Both wire the same pieces around their carrier: call records written off the event loop, the
housekeeping chores (auto-closing resolved tickets), the live desk (board, websocket hub,
screen-pops from the customer records, wallboard figures), and the app, with the services started
in that order and stopped in reverse (records last).
"""

from __future__ import annotations

from typing import Protocol

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock
from agent_ui.app import BackgroundService, create_app
from agent_ui.housekeeping import Housekeeping
from agent_ui.live_desk import CenterLink, LiveDesk
from agent_ui.screen_pop import CustomerScreenPops
from config.center import Center
from config.settings import Settings
from crm_core.record_writer import BackgroundRecordSink
from crm_core.tickets import TicketService
from crm_core.users import UserService


class RunningCenter(CenterLink, BackgroundService, Protocol):
    """A center the app runs: the desks' link, started and stopped with the app."""


def center_app(
    settings: Settings,
    *,
    sessions: sessionmaker[Session],
    clock: Clock,
    center: Center,
    running: RunningCenter,
    records: BackgroundRecordSink,
    user_service: UserService | None = None,
) -> FastAPI:
    """The app serving `center`, whose events `running` publishes and whose records go to
    `records` (which the app starts first and stops last)."""
    users = user_service if user_service is not None else UserService(sessions, clock)
    pops = CustomerScreenPops(sessions, center.center.default_region, users)
    live = LiveDesk(running, center, pops, records=(sessions, clock))
    chores = Housekeeping(TicketService(sessions, clock).close_resolved)
    return create_app(
        settings,
        sessions=sessions,
        clock=clock,
        user_service=users,
        center=center,
        services=[records, chores, live, running],
        live_desk=live,
    )
