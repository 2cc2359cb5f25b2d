"""The agent desktop's live loop, end to end in one process: REST actions in, websocket news out.

A simulated center (no simulated agents: a person at the desktop answers) runs inside the web
app on the real clock; a scripted call from a known customer rings the agent, whose websocket
gets the ringing banner with the customer's card; the agent answers, hangs up, picks a
disposition, and is ready again. The records and call events land in the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from web_support import PASSWORD, cheap_hasher, web_settings

from acd.clock import RealClock
from agent_ui.app import create_app
from agent_ui.live_desk import LiveDesk
from agent_ui.screen_pop import CustomerScreenPops
from config.center import AgentDef, Center, Destination, QueueDef
from crm_core.customers import CustomerDraft, CustomerService
from crm_core.record_store import SqlRecordSink, load_events
from crm_core.users import Role, UserService
from telephony.sim.behaviour import CallerBehaviour, ScriptedCall, SimulationProfile
from telephony.sim.center import SimulatedCenter

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

LINE = "4008001000"
CUSTOMER_ANI = "+8613800138000"
DISPOSITIONS = ["sale", "no sale"]


def desk_center() -> Center:
    return Center(
        skills={"sales": "Sales"},
        queues={
            "sales": QueueDef(
                skills={"sales": 1}, wrap_up_s=60, ring_timeout_s=30, dispositions=DISPOSITIONS
            )
        },
        agents={
            "li": AgentDef(name="Li Na", extension="1001", skills={"sales": 3}),
            "wang": AgentDef(name="Wang Wei", extension="1002", skills={"sales": 3}),
        },
        numbers={LINE: Destination(kind="queue", name="sales")},
    )


class Desk:
    """The app with its simulated center, users, and a client per user."""

    def __init__(self, tmp_path: Path, sessions: sessionmaker[Session]) -> None:
        clock = RealClock()
        self.center = desk_center()
        self.sessions = sessions
        self.users = UserService(sessions, clock, cheap_hasher())
        self.li, _ = self.users.create("li", Role.AGENT, password=PASSWORD, agent_id="li")
        self.users.create("wang", Role.AGENT, password=PASSWORD, agent_id="wang")
        self.users.create("boss", Role.SUPERVISOR, password=PASSWORD)
        profile = SimulationProfile(
            arrival_rate_per_s=0.0, prompt_s=0.0, agent_ids=(), callers=CallerBehaviour()
        )
        self.simulation = SimulatedCenter(self.center, clock, SqlRecordSink(sessions), profile, 1)
        pops = CustomerScreenPops(sessions, "CN", self.users)
        self.live = LiveDesk(self.simulation, self.center, pops, records=(sessions, clock))
        self.app = create_app(
            web_settings(tmp_path),
            sessions=sessions,
            clock=clock,
            user_service=self.users,
            center=self.center,
            services=[self.live, self.simulation],
            live_desk=self.live,
        )
        CustomerService(sessions, clock).create(
            self.li, CustomerDraft(name="Hangzhou Tea Co.", kind="company", phones=(CUSTOMER_ANI,))
        )

    @contextmanager
    def client(self, username: str) -> Iterator[TestClient]:
        """The app running (lifespan and all), with `username` logged in."""
        with TestClient(self.app, base_url="http://testserver") as client:
            log_in(client, username)
            yield client

    @contextmanager
    def acting_as(self, client: TestClient, username: str) -> Iterator[TestClient]:
        """The same running app, as another user for a while (open websockets stay)."""
        kept = dict(client.cookies)
        client.cookies.clear()
        log_in(client, username)
        try:
            yield client
        finally:
            client.cookies.clear()
            client.cookies.update(kept)

    def call_in(self, client: TestClient, after_s: float = 0.05) -> None:
        script = ScriptedCall(after_s=after_s, dnis=LINE, ani=CUSTOMER_ANI, patience_s=120)
        assert client.portal is not None
        client.portal.call(self.simulation.schedule, [script])


def log_in(client: TestClient, username: str) -> None:
    response = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text


def next_of(ws: Any, kind: str, **fields: Any) -> dict[str, Any]:
    """The next message of `kind` (with these field values), skipping others."""
    while True:
        message = ws.receive_json()
        if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
            return message


@pytest.fixture
def desk(tmp_path: Path, db_sessions: sessionmaker[Session]) -> Desk:
    return Desk(tmp_path, db_sessions)


def test_given_an_agent_at_the_desktop_when_a_customer_calls_then_the_whole_loop_works(desk):
    with desk.client("li") as li, li.websocket_connect("/ws") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello"
        assert hello["desk"]["agent"]["state"] == "logged-out"
        assert li.post("/api/desk/login").status_code == 202
        assert next_of(ws, "agent")["state"] == "available"

        desk.call_in(li)
        ringing = next_of(ws, "ringing")
        call_id = ringing["call"]["call_id"]
        assert ringing["call"]["ani"] == CUSTOMER_ANI
        assert ringing["queue"] == "sales"
        assert ringing["customer"]["name"] == "Hangzhou Tea Co."
        assert ringing["customer"]["restricted"] is False

        assert li.post("/api/desk/answer", json={"call_id": call_id}).status_code == 202
        assert next_of(ws, "connected")["call"]["call_id"] == call_id
        with li.websocket_connect("/ws") as second_tab:  # a reload mid-call keeps the card
            desk_now = second_tab.receive_json()["desk"]
            assert desk_now["call"]["call_id"] == call_id
            assert desk_now["customer"]["name"] == "Hangzhou Tea Co."
        assert li.post("/api/desk/hangup", json={"call_id": call_id}).status_code == 202
        wrap = next_of(ws, "agent", state="wrap-up")
        assert wrap["dispositions"] == DISPOSITIONS
        assert wrap["wrap_up_ends_at"] == pytest.approx(wrap["since"] + 60)

        chosen = {"call_id": call_id, "disposition": "sale"}
        assert li.post("/api/desk/disposition", json=chosen).status_code == 202
        assert li.post("/api/desk/ready").status_code == 202
        assert next_of(ws, "call-finished")["call_id"] == call_id
        assert next_of(ws, "agent", state="available")["call_id"] == ""
    kinds = [e.kind for e in load_events(desk.sessions, call_id=call_id)]
    assert "CONNECT" in kinds
    assert "DISPOSITION" in kinds


def test_given_a_ringing_call_then_another_agent_cannot_answer_it(desk):
    with desk.client("li") as li, li.websocket_connect("/ws") as ws:
        ws.receive_json()
        li.post("/api/desk/login")
        desk.call_in(li)
        call_id = next_of(ws, "ringing")["call"]["call_id"]
        with desk.acting_as(li, "wang") as wang:
            response = wang.post("/api/desk/answer", json={"call_id": call_id})
        assert response.status_code == 409
        assert response.json()["detail"] == "that call is not ringing for you"


def test_given_an_agent_who_may_not_see_the_customer_then_the_card_is_restricted(desk):
    with desk.client("wang") as wang, wang.websocket_connect("/ws") as ws:
        ws.receive_json()
        wang.post("/api/desk/login")
        next_of(ws, "agent", state="available")
        desk.call_in(wang)
        card = next_of(ws, "ringing")["customer"]
    assert card == {
        "customer_id": None,
        "name": "Hangzhou Tea Co.",
        "vip_level": 0,
        "owner_name": "li",
        "restricted": True,
    }


def test_given_a_supervisor_then_the_board_follows_agents_and_queues(desk):
    with desk.client("boss") as boss, boss.websocket_connect("/ws") as ws:
        hello = ws.receive_json()
        assert {a["agent_id"] for a in hello["board"]["agents"]} == {"li", "wang"}
        assert hello["board"]["queues"] == [
            {"queue": "sales", "waiting": 0, "longest_wait_s": None}
        ]
        desk.call_in(boss)
        assert next_of(ws, "queue")["waiting"] == 1  # nobody logged in: the caller waits
        with desk.acting_as(boss, "li") as li:
            li.post("/api/desk/login")
        assert next_of(ws, "agent", agent_id="li")["state"] == "available"
        assert next_of(ws, "agent", agent_id="li")["state"] == "reserved"


def test_given_bad_requests_then_each_gets_a_clear_refusal(desk):
    with desk.client("li") as li:
        li.post("/api/desk/login")
        assert li.post("/api/desk/pause", json={"reason": "nap"}).status_code == 422
        assert li.post("/api/desk/hangup", json={"call_id": "nope"}).status_code == 409
        bad = {"call_id": "nope", "disposition": "sale"}
        assert li.post("/api/desk/disposition", json=bad).status_code == 409
        assert li.get("/api/board").status_code == 403
        with desk.acting_as(li, "boss") as boss:
            refused = boss.post("/api/desk/login").json()["detail"]
            assert refused == "your user is not linked to an agent"
            assert boss.get("/api/board").status_code == 200


def test_given_no_session_or_another_site_then_the_websocket_is_refused(desk):
    with TestClient(desk.app) as anonymous:
        with pytest.raises(WebSocketDisconnect) as refused, anonymous.websocket_connect("/ws"):
            pass
        assert refused.value.code == 4401
    with desk.client("li") as li:
        evil = {"origin": "https://evil.example"}
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            li.websocket_connect("/ws", headers=evil),
        ):
            pass
        assert refused.value.code == 1008


def test_given_a_supervisor_watching_then_todays_figures_come_with_gauges_and_advice(desk):
    with desk.client("boss") as boss, boss.websocket_connect("/ws") as ws:
        ws.receive_json()
        assert boss.portal is not None
        assert desk.live.figures is not None
        boss.portal.call(desk.live.figures.push_now)
        figures = next_of(ws, "figures")
    [sales] = figures["queues"]
    assert sales["queue"] == "sales"
    assert sales["gauge"] == "grey"  # no calls yet today
    assert sales["staffing"]["needed"] == 0
    assert sales["staffing"]["staffed"] == 0
