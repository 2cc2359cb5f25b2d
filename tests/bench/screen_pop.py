"""Benchmark: screen-pop latency, from an agent's phone ringing to the desktop having the card.

Run: python tests/bench/screen_pop.py [--quick]

A server process runs the web app (uvicorn, SQLite) with a simulated center of 100 agents and
2,000 customers; callers arrive at 20 per second (Poisson), each a known customer. A client
process connects 100 agent desktops (REST login, one websocket each) and plays the agents: on
each ringing banner it answers, talks briefly and hangs up (no wrap-up). Latency is the time
from the ring (the `rang_at` the server stamps when it offers the call) to the moment the
client has the websocket message with the customer's card, measured on the same machine's
clock. Prints one JSON object as its last line: p50_ms, p99_ms, offered_per_s, agents, and
how many pops carried a customer card.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import secrets
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

AGENTS = 100
CUSTOMERS = 2_000
RATE_PER_S = 20.0
LINE = "4008001000"
PASSWORD = "bench password 2025"
TALK_S = (1.0, 3.0)


def customer_ani(n: int) -> str:
    """The phone number of customer `n`."""
    return f"+86139{n:08d}"


def bench_center() -> Any:
    """One queue served by 100 agents; no wrap-up, so agents are free again at once."""
    from config.center import AgentDef, Center, Destination, QueueDef

    agents = {
        f"a{i:03d}": AgentDef(name=f"Agent {i}", extension=str(1000 + i), skills={"s": 1})
        for i in range(AGENTS)
    }
    return Center(
        skills={"s": "S"},
        queues={"q": QueueDef(skills={"s": 1}, wrap_up_s=0, ring_timeout_s=30)},
        agents=agents,
        numbers={LINE: Destination(kind="queue", name="q")},
    )


def prepare(db_url: str) -> None:
    """Migrate, add the agents' users and the customers."""
    from web_support import cheap_hasher

    from acd.clock import RealClock
    from crm_core.customers import CustomerDraft, CustomerService
    from crm_core.db import create_db_engine, make_sessionmaker
    from crm_core.migrate import upgrade_database
    from crm_core.users import Role, UserService

    upgrade_database(db_url)
    sessions = make_sessionmaker(create_db_engine(db_url))
    users = UserService(sessions, RealClock(), cheap_hasher())
    owner = None
    for i in range(AGENTS):
        user, _ = users.create(f"a{i:03d}", Role.AGENT, password=PASSWORD, agent_id=f"a{i:03d}")
        owner = owner or user
    customers = CustomerService(sessions, RealClock())
    drafts = [
        CustomerDraft(name=f"Customer {n}", phones=(customer_ani(n),), shared_pool=True)
        for n in range(CUSTOMERS)
    ]
    assert owner is not None
    customers.create_many(owner, drafts)


def serve(db_url: str, port_out: Any, seconds: float, seed: int) -> None:
    """The server process: the app and the simulated center, until `seconds` of calls."""
    import uvicorn
    from web_support import cheap_hasher

    from acd.clock import RealClock
    from agent_ui.app import create_app
    from agent_ui.cli.server_cmd import run_loop
    from agent_ui.live_desk import LiveDesk
    from agent_ui.screen_pop import CustomerScreenPops
    from config.settings import load_settings
    from crm_core.db import create_db_engine, make_sessionmaker
    from crm_core.record_store import SqlRecordSink
    from crm_core.record_writer import BackgroundRecordSink
    from crm_core.users import UserService
    from telephony.sim.behaviour import CallerBehaviour, ScriptedCall, SimulationProfile
    from telephony.sim.center import SimulatedCenter

    clock, center = RealClock(), bench_center()
    sessions = make_sessionmaker(create_db_engine(db_url))
    profile = SimulationProfile(
        arrival_rate_per_s=0.0, prompt_s=0.0, agent_ids=(), callers=CallerBehaviour()
    )
    records = BackgroundRecordSink(SqlRecordSink(sessions))
    simulation = SimulatedCenter(center, clock, records, profile, seed)
    users = UserService(sessions, clock, cheap_hasher())
    live = LiveDesk(simulation, center, CustomerScreenPops(sessions, "CN", users))
    secret = secrets.token_urlsafe(48)
    settings = load_settings(data_dir=Path(tempfile.mkdtemp()), secret_key=secret)
    app = create_app(
        settings,
        sessions=sessions,
        clock=clock,
        user_service=users,
        center=center,
        services=[records, live, simulation],
        live_desk=live,
    )
    rng = random.Random(seed)

    @app.post("/bench/start")
    async def start_calls() -> dict[str, int]:
        at, calls = 0.5, []
        while at < seconds:
            ani = customer_ani(rng.randrange(CUSTOMERS))
            calls.append(ScriptedCall(after_s=at, dnis=LINE, ani=ani, patience_s=None))
            at += rng.expovariate(RATE_PER_S)
        simulation.schedule(calls)
        return {"calls": len(calls)}

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port_out.send(sock.getsockname()[1])
    config = uvicorn.Config(app, log_level="warning", ws_ping_interval=None)
    run_loop(uvicorn.Server(config).serve(sockets=[sock]))  # as hotline serve runs it


class AgentDesktop:
    """One agent's desktop: logged in, answering what rings."""

    def __init__(self, base: str, agent_id: str, latencies: list[float], cards: list[bool]):
        self.base, self.agent_id = base, agent_id
        self.latencies, self.cards = latencies, cards
        self._talks: set[asyncio.Task[None]] = set()

    async def run(
        self, ready: asyncio.Event, stop: asyncio.Event, logins: asyncio.Semaphore
    ) -> None:
        import httpx
        import websockets

        async with httpx.AsyncClient(base_url=self.base, timeout=30) as http:
            login = {"username": self.agent_id, "password": PASSWORD}
            async with logins:  # a center's agents do not all log in at the same instant
                (await http.post("/api/auth/login", json=login)).raise_for_status()
            cookie = "; ".join(f"{k}={v}" for k, v in http.cookies.items())
            url = self.base.replace("http", "ws") + "/ws"
            async with websockets.connect(url, additional_headers={"Cookie": cookie}) as ws:
                await ws.recv()  # hello
                (await http.post("/api/desk/login")).raise_for_status()
                ready.set()
                await self._answer_calls(ws, http, stop)

    async def _answer_calls(self, ws: Any, http: Any, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            message = json.loads(raw)
            if message["type"] != "ringing":
                continue
            self.latencies.append((time.time() - message["rang_at"]) * 1000)
            self.cards.append(message.get("customer") is not None)
            call = {"call_id": message["call"]["call_id"]}
            talk = asyncio.create_task(self._talk(http, call))
            self._talks.add(talk)
            talk.add_done_callback(self._talks.discard)

    async def _talk(self, http: Any, call: dict[str, str]) -> None:
        await http.post("/api/desk/answer", json=call)
        await asyncio.sleep(random.uniform(*TALK_S))
        await http.post("/api/desk/hangup", json=call)


async def drive(base: str, seconds: float) -> dict[str, Any]:
    """Connect the desktops, start the calls, and collect the latencies."""
    import httpx

    latencies: list[float] = []
    cards: list[bool] = []
    stop = asyncio.Event()
    readies = [asyncio.Event() for _ in range(AGENTS)]
    logins = asyncio.Semaphore(8)
    desks = [
        asyncio.create_task(AgentDesktop(base, f"a{i:03d}", latencies, cards).run(r, stop, logins))
        for i, r in enumerate(readies)
    ]
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 120)
    async with httpx.AsyncClient(base_url=base) as http:
        calls = (await http.post("/bench/start")).json()["calls"]
    await asyncio.sleep(seconds + 5)
    stop.set()
    await asyncio.gather(*desks, return_exceptions=True)
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(quantiles[98], 1),
        "offered_per_s": RATE_PER_S,
        "agents": AGENTS,
        "calls": calls,
        "pops": len(latencies),
        "pops_with_card": sum(cards),
        "seconds": seconds,
    }


def main(quick: bool) -> dict[str, Any]:
    """Prepare the database, start the server, drive the desktops."""
    seconds = 15.0 if quick else 60.0
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{tmp}/bench.db"
        prepare(db_url)
        context = multiprocessing.get_context("spawn")
        port_in, port_out = context.Pipe(duplex=False)
        server = context.Process(target=serve, args=(db_url, port_out, seconds, 7), daemon=True)
        server.start()
        try:
            port = port_in.recv()
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base)
            return asyncio.run(drive(base, seconds))
        finally:
            server.terminate()
            server.join(10)


def _wait_until_up(base: str) -> None:
    import httpx

    for _ in range(200):
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("the server did not come up")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="15 s of calls instead of 60 s")
    print(json.dumps(main(parser.parse_args().quick)))
