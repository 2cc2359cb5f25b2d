"""The web application factory: REST API (OpenAPI at /docs), the single page, health and metrics.

`create_app` takes everything from outside (settings, database sessions, clock, services to run
alongside) so the same app runs in tests, in `hotline demo` and in `hotline serve`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Protocol

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.routing import BaseRoute

from acd.clock import Clock
from agent_ui import security
from agent_ui.auth import LoginThrottle, SessionCodec, ThrottleStore
from agent_ui.deps import WebContext
from agent_ui.live_desk import LiveDesk
from agent_ui.metrics import WebMetrics
from agent_ui.routes import (
    auth,
    calls,
    customer_export,
    customers,
    departments,
    desk,
    health,
    live,
    opportunities,
    orders,
    pages,
    reports,
    stats,
    supervise,
    tickets,
)
from config.center import Center
from config.settings import Settings
from crm_core.users import UserService

UNMATCHED_ROUTE = "<unmatched>"  # one label for every 404, so scanners cannot add label values


class BackgroundService(Protocol):
    """Something that runs while the app serves (the simulated center, a telephony adapter)."""

    async def start(self) -> None:
        """Begin work; return once running."""

    async def stop(self) -> None:
        """End work and release resources."""


def create_app(
    settings: Settings,
    *,
    sessions: sessionmaker[Session],
    clock: Clock,
    user_service: UserService | None = None,
    center: Center | None = None,
    services: Sequence[BackgroundService] = (),
    throttle_store: ThrottleStore | None = None,
    live_desk: LiveDesk | None = None,
) -> FastAPI:
    """The Hotline web app; `services` start with the app and stop, in reverse order, with it."""
    context = WebContext(
        settings=settings,
        clock=clock,
        sessions=sessions,
        users=user_service if user_service is not None else UserService(sessions, clock),
        center=center if center is not None else Center(),
        codec=SessionCodec(
            settings.secret_key.get_secret_value(), clock, settings.session_max_age_s
        ),
        throttle=LoginThrottle(
            clock, settings.login_max_failures, settings.login_lockout_s, throttle_store
        ),
        metrics=WebMetrics(),
        live=live_desk,
    )
    app = FastAPI(
        title="Hotline",
        version=_version(),
        description="Call-center CTI and customer service: REST API.",
        lifespan=_lifespan(services),
    )
    app.state.hotline = context
    crm = (customer_export, customers, departments, tickets, opportunities, orders)
    for module in (auth, calls, stats, reports, *crm, desk, supervise, live, health, pages):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC_DIR), name="static")
    app.middleware("http")(_count_requests(context.metrics))
    app.middleware("http")(security.guard)
    return app


def _version() -> str:
    try:
        return version("hotline")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _lifespan(
    services: Sequence[BackgroundService],
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for service in services:
                await service.start()
                # Registered only once started: a failed start stops just the ones before it.
                stack.push_async_callback(service.stop)
            yield

    return lifespan


Endpoint = Callable[[Request], Awaitable[Response]]


def _count_requests(
    metrics: WebMetrics,
) -> Callable[[Request, Endpoint], Awaitable[Response]]:
    async def count(request: Request, call_next: Endpoint) -> Response:
        # A duration, not a moment in time: the monotonic counter is right, not the Clock.
        started = time.perf_counter()
        response = await call_next(request)
        route = _route_template(request)
        metrics.latency.labels(route=route).observe(time.perf_counter() - started)
        metrics.requests.labels(
            method=request.method, route=route, status=str(response.status_code)
        ).inc()
        return response

    return count


def _route_template(request: Request) -> str:
    route: BaseRoute | None = request.scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE
