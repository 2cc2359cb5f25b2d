"""A Hotline site for the browser tests: the web app with a simulated center, served by uvicorn.

`HotlineSite` owns what survives a restart: a SQLite database (users, one known customer with
some history), the secret key (so sessions stay valid) and the port. Each `start()` builds a
fresh app with a fresh simulated center (nobody at a desktop answers for an agent until they log
in from one) and serves it on 127.0.0.1 in a thread with its own event loop; `stop()` shuts it
down as a restart would, closing every websocket. Scripted calls are placed on that loop.

Used by `tests/e2e/conftest.py` and by `tools/screenshots.py`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from argon2 import PasswordHasher

from acd.clock import RealClock
from agent_ui.app import create_app
from agent_ui.live_desk import LiveDesk
from agent_ui.screen_pop import CustomerScreenPops
from config.center import AgentDef, Center, CenterInfo, Destination, QueueDef
from config.settings import load_settings
from crm_core.customer_rules import CustomerDraft
from crm_core.customers import CustomerService
from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.migrate import upgrade_database
from crm_core.record_store import SqlRecordSink, next_event_seq
from crm_core.timeline import TimelineService
from crm_core.users import Role, UserPublic, UserService
from telephony.sim.behaviour import (
    AgentBehaviour,
    CallerBehaviour,
    Duration,
    ScriptedCall,
    SimulationProfile,
)
from telephony.sim.center import SimulatedCenter

SECRET = "e2e-only-secret-Jx8q2Lw9ZmR4tV7bN3cK5yH6pD1fG0sA"
PASSWORD = "correct horse battery"
SALES_LINE = "4008001000"
SUPPORT_LINE = "4008002000"
CUSTOMER_ANI = "+8613800138000"
CUSTOMER_NAME = "Hangzhou Tea Co."
UNKNOWN_ANI = "+8613999999999"
DISPOSITIONS = ["sale", "no sale", "call back"]
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 20.0


def site_center() -> Center:
    """Two queues; li (a person at the desktop) serves both, the others one each."""
    return Center(
        center=CenterInfo(name="Hotline e2e", timezone="Asia/Shanghai"),
        skills={"sales": "Sales", "support": "Support"},
        queues={
            "sales": QueueDef(
                skills={"sales": 1}, wrap_up_s=60, ring_timeout_s=60, dispositions=DISPOSITIONS
            ),
            "support": QueueDef(
                skills={"support": 1}, wrap_up_s=30, ring_timeout_s=60, dispositions=["solved"]
            ),
        },
        agents={
            "li": AgentDef(name="Li Na", extension="1001", skills={"sales": 3, "support": 2}),
            "wang": AgentDef(name="Wang Wei", extension="1002", skills={"sales": 3}),
            "zhang": AgentDef(name="Zhang Min", extension="1003", skills={"support": 3}),
        },
        numbers={
            SALES_LINE: Destination(kind="queue", name="sales"),
            SUPPORT_LINE: Destination(kind="queue", name="support"),
        },
    )


@dataclass(frozen=True, slots=True)
class Load:
    """Simulated callers and agents, for a busy wallboard (screenshots); none in the tests."""

    arrival_rate_per_s: float = 0.0
    agent_ids: tuple[str, ...] = ()
    handle_s: float = 60.0


class HotlineSite:
    """The database, users and port that outlive a restart, and the server now running."""

    def __init__(
        self, data_dir: Path, load: Load | None = None, center: Center | None = None
    ) -> None:
        self.data_dir = data_dir
        self.load = load or Load()
        self.center = center or site_center()
        self.clock = RealClock()
        url = f"sqlite:///{data_dir / 'hotline.db'}"
        upgrade_database(url)
        self.engine = create_db_engine(url)
        self.sessions = make_sessionmaker(self.engine)
        # argon2 at its smallest cost: the tests check pages, not hashing strength.
        hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        self.users = UserService(self.sessions, self.clock, hasher)
        self.li = self._add_user("li", Role.AGENT, "Li Na", "li")
        self._add_user("wang", Role.AGENT, "Wang Wei", "wang")
        self._add_user("zhang", Role.AGENT, "Zhang Min", "zhang")
        self._add_user("boss", Role.SUPERVISOR, "Chen Jie", None)
        self._add_customer()
        self.port = 0
        self.server: _Server | None = None

    def _add_user(self, name: str, role: Role, shown: str, agent_id: str | None) -> UserPublic:
        user, _ = self.users.create(
            name, role, password=PASSWORD, display_name=shown, agent_id=agent_id
        )
        return user

    def _add_customer(self) -> None:
        draft = CustomerDraft(
            name=CUSTOMER_NAME, kind="company", phones=(CUSTOMER_ANI,), city="Hangzhou", vip_level=3
        )
        customer = CustomerService(self.sessions, self.clock).create(self.li, draft)
        timeline = TimelineService(self.sessions, self.clock)
        timeline.add_note(self.li, customer.id, "Asked for the spring price list")
        timeline.add_note(self.li, customer.id, "Prefers calls after 2 pm")

    @property
    def url(self) -> str:
        """The site's address (valid while it runs)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Serve a fresh app on the site's port (a free one the first time)."""
        simulation = self._simulation()
        live = LiveDesk(
            simulation, self.center, CustomerScreenPops(self.sessions, "CN", self.users)
        )
        settings = load_settings(data_dir=self.data_dir, secret_key=SECRET)
        app = create_app(
            settings,
            sessions=self.sessions,
            clock=self.clock,
            user_service=self.users,
            center=self.center,
            services=[live, simulation],
            live_desk=live,
        )
        self.server = _Server(uvicorn.Config(app, log_level="warning"), simulation)
        self.port = self.server.start(self.port)

    def _simulation(self) -> SimulatedCenter:
        load = self.load
        profile = SimulationProfile(
            arrival_rate_per_s=load.arrival_rate_per_s,
            prompt_s=0.0,
            agent_ids=load.agent_ids,
            callers=CallerBehaviour(patience=Duration(90.0)),
            agents=AgentBehaviour(ring_delay=Duration(2.0), handle=Duration(load.handle_s)),
        )
        return SimulatedCenter(
            self.center,
            self.clock,
            SqlRecordSink(self.sessions),
            profile,
            seed=7,
            first_seq=next_event_seq(self.sessions),
        )

    def stop(self) -> None:
        """Shut the server down (websockets close, the simulated center stops)."""
        if self.server is not None:
            self.server.stop()
            self.server = None

    def restart(self) -> None:
        """Stop, then serve again on the same port with the same database."""
        self.stop()
        self.start()

    def call_in(
        self, ani: str = CUSTOMER_ANI, line: str = SALES_LINE, after_s: float = 0.2
    ) -> None:
        """A caller dials `line` shortly (patient, and staying on until the agent hangs up)."""
        assert self.server is not None, "the site is not running"
        script = ScriptedCall(after_s=after_s, dnis=line, ani=ani, patience_s=600, talk_s=600)
        simulation = self.server.simulation
        self.server.call_soon(lambda: simulation.schedule([script]))

    def close(self) -> None:
        """Stop serving and release the database."""
        self.stop()
        self.engine.dispose()


class _Server:
    """uvicorn in a thread with its own loop, on a socket we bind (port 0 the first time)."""

    def __init__(self, config: uvicorn.Config, simulation: SimulatedCenter) -> None:
        config.timeout_graceful_shutdown = 5
        self.uvicorn = uvicorn.Server(config)
        self.simulation = simulation
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="uvicorn-e2e", daemon=True)
        self.sock: socket.socket | None = None
        self.failed: BaseException | None = None

    def start(self, port: int) -> int:
        """Bind 127.0.0.1:`port`, serve, and return the port once the app has started."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # The same port again after a restart, though the old connections are in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        self.sock = sock
        self.thread.start()
        deadline = threading.Event()
        timer = threading.Timer(START_TIMEOUT_S, deadline.set)
        timer.start()
        try:
            # uvicorn offers no "started" callback: look every 20 ms (it starts in ~100 ms).
            while not self.uvicorn.started:
                if self.failed is not None or not self.thread.is_alive() or deadline.is_set():
                    raise RuntimeError(f"the server did not start: {self.failed!r}")
                deadline.wait(0.02)
        finally:
            timer.cancel()
        return int(sock.getsockname()[1])

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            assert self.sock is not None
            self.loop.run_until_complete(self.uvicorn.serve(sockets=[self.sock]))
        except BaseException as exc:  # reported by start() or stop()
            self.failed = exc
        finally:
            self.loop.close()

    def call_soon(self, callback: Callable[[], object]) -> None:
        """Run `callback()` on the server's loop."""
        self.loop.call_soon_threadsafe(callback)

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for it (and the app's services) to finish."""
        self.uvicorn.should_exit = True
        self.thread.join(STOP_TIMEOUT_S)
        if self.thread.is_alive():
            raise RuntimeError("the server did not stop")
        if self.sock is not None:
            self.sock.close()
