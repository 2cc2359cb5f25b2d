"""`hotline demo` and `hotline serve`: run the web application with uvicorn.

`demo` is everything on one machine: SQLite in a data directory, simulated callers and agents on
the real clock, demo users. `serve` is the production server, configured by settings.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from alembic.util.exc import CommandError
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from acd.clock import RealClock
from acd.store_redis import RedisStateStore
from agent_ui.center_app import center_app
from agent_ui.cli.db_cmd import ConfigOption, fail, open_database_url, shown_url
from agent_ui.cli.log_setup import configure_logging
from agent_ui.demo import Demo, DemoAccount, DemoError, build_demo, demo_settings
from config.center import Center
from config.center_file import CenterFileError, load_center
from config.settings import Settings, SettingsError, load_settings
from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.record_store import SqlRecordSink, next_event_seq
from crm_core.record_writer import BackgroundRecordSink
from telephony.carrier.center import SipCenter
from telephony.carrier.secrets import SecretsError

EXIT_STARTUP_FAILED = 1
ANY_ADDRESSES = ("0.0.0.0", "::", "")

ReadyCallback = Callable[[str], None]


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that reports its URL (with the real port, even for port 0) once up."""

    def __init__(self, config: uvicorn.Config, on_ready: ReadyCallback) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start as uvicorn does, then announce where it listens."""
        await super().startup(sockets)
        if self.started:
            port = self.servers[0].sockets[0].getsockname()[1]
            self._on_ready(server_url(self.config.host, port))


def server_url(host: str, port: int) -> str:
    """The URL to open in a browser for a server bound to `host`:`port`."""
    shown = "127.0.0.1" if host in ANY_ADDRESSES else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run the server's event loop: uvloop where it is installed (it carried the RTP relay of
    200 legs on a sixth less CPU than the standard loop), else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


def run_server(
    app: FastAPI, host: str, port: int, on_ready: ReadyCallback, log_level: str = "INFO"
) -> None:
    """Serve `app` until interrupted (Ctrl-C or SIGTERM), shutting down cleanly."""
    config = uvicorn.Config(
        app, host=host, port=port, log_level=log_level.lower(), proxy_headers=True
    )
    server = _AnnouncingServer(config, on_ready)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the handler
    # it found. Make SIGTERM raise KeyboardInterrupt too, so both end here and not mid-cleanup.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        run_loop(server.serve())
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not server.started:
        raise typer.Exit(EXIT_STARTUP_FAILED)


def demo(
    data_dir: Annotated[
        Path, typer.Option(help="Where the demo keeps its database and secret key.")
    ] = Path("hotline-data"),
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free).")] = 8080,
    arrival_rate: Annotated[
        float, typer.Option(min=0.0, help="Simulated calls per second, over all numbers.")
    ] = 0.05,
    keep_hours: Annotated[
        bool, typer.Option(help="Honour the center's business hours (default: always open).")
    ] = False,
) -> None:
    """Run a demo center: simulated callers and agents, the web app, demo users."""
    try:
        settings = demo_settings(data_dir, host, port)
    except (DemoError, SettingsError) as exc:
        fail(str(exc))
    configure_logging(settings.log_level)
    the_demo = _build_demo(settings, arrival_rate, keep_hours)
    for line in account_lines(the_demo.accounts, settings):
        typer.echo(line)
    _announce_center(the_demo)
    try:
        run_server(
            the_demo.app,
            settings.http_host,
            settings.http_port,
            lambda where: typer.echo(f"Hotline demo running at {where} (Ctrl-C to stop)"),
            settings.log_level,
        )
    finally:
        the_demo.engine.dispose()
    typer.echo("Hotline demo stopped.")


def _build_demo(settings: Settings, arrival_rate: float, keep_hours: bool) -> Demo:
    try:
        return build_demo(
            settings, RealClock(), arrival_rate_per_s=arrival_rate, keep_hours=keep_hours
        )
    except CenterFileError as exc:
        fail(f"the center file cannot be used:\n{exc}")
    except CommandError as exc:  # e.g. the database is newer than this code
        fail(f"cannot upgrade {shown_url(settings.db_url)}: {exc}")
    except SQLAlchemyError as exc:
        fail(
            f"cannot use the database {shown_url(settings.db_url)}: {exc.__class__.__name__}: {exc}"
        )


def _announce_center(the_demo: Demo) -> None:
    center = the_demo.center
    typer.echo(
        f"Center {center.center.name!r}: {len(center.queues)} queues, "
        f"{len(the_demo.simulation.agent_ids)} simulated agents, "
        f"{the_demo.simulation.profile.arrival_rate_per_s:g} calls/s "
        f"(center file: {the_demo.settings.center_path})."
    )
    if the_demo.center.hours.is_always_open():
        typer.echo("Business hours are set aside so calls flow at any hour (--keep-hours).")


def account_lines(accounts: list[DemoAccount], settings: Settings) -> list[str]:
    """What to tell the person starting the demo about its users (passwords only when new)."""
    created = [a for a in accounts if a.password is not None]
    existing = [a.username for a in accounts if a.password is None]
    lines = []
    if created:
        lines.append("Demo users created. Note these passwords now; they are not shown again:")
        width = max(len(a.username) for a in created)
        lines += [f"  {a.username:<{width}}  {a.role.value:<10}  {a.password}" for a in created]
    if existing:
        env = f"HOTLINE_DEMO=1 HOTLINE_DATA_DIR={settings.data_dir}"
        database = shown_url(settings.db_url)
        lines.append(f"Demo users already exist: {', '.join(existing)}.")
        lines.append("  Their passwords were shown once, when they were created.")
        lines.append(f"  List them: {env} hotline user list")
        lines.append(
            f"  New passwords: stop the demo and delete its database {database} "
            "(its call records go too); the next start creates the users afresh."
        )
    return lines


def serve(config: ConfigOption = None) -> None:
    """Run the production server from settings: the web app and the SIP carrier set up by the
    center file's telephony section (agents' phones register, trunks call in).

    Needs a real secret key and an up-to-date database (run `hotline db upgrade` first), and the
    SIP passwords in the secrets file or environment (see config/telephony.py).
    """
    url = open_database_url(config)  # exits, saying why, unless settings and schema are fine
    settings = load_settings(config)
    configure_logging(settings.log_level)
    try:
        center = load_center(settings.center_path)
    except CenterFileError as exc:
        fail(f"the center file cannot be used:\n{exc}")
    engine = create_db_engine(url)
    try:
        app = _production_app(settings, center, engine)
    except SecretsError as exc:
        engine.dispose()
        fail(str(exc))
    try:
        run_server(
            app,
            settings.http_host,
            settings.http_port,
            lambda where: typer.echo(f"Hotline serving at {where} (Ctrl-C to stop)"),
            settings.log_level,
        )
    finally:
        engine.dispose()


def _production_app(settings: Settings, center: Center, engine: Engine) -> FastAPI:
    """The web app with the SIP center running inside it."""
    clock = RealClock()
    sessions = make_sessionmaker(engine)
    records = BackgroundRecordSink(SqlRecordSink(sessions))
    store = RedisStateStore.from_url(settings.redis_url) if settings.redis_url else None
    sip = SipCenter(
        center, center.telephony, clock, records, first_seq=next_event_seq(sessions), store=store
    )
    return center_app(
        settings, sessions=sessions, clock=clock, center=center, running=sip, records=records
    )


def register(app: typer.Typer) -> None:
    """Add `demo` and `serve`."""
    app.command("demo")(demo)
    app.command("serve")(serve)
