"""Who may call what: every REST route, by role, from one table.

Each route of the app is listed with the least it needs: `public` (nobody need be logged in),
`user` (anyone logged in), `desk` (a user who works as a center agent), `supervisor`
(supervisors and admins) or `admin`. The test calls every route as nobody, an agent, a
supervisor and an admin: a caller below the need gets 401 (not logged in) or 403; a caller at or
above it gets past the checks (any other answer: 200, 404 for the made-up ids, 422 for the empty
bodies...). A route missing from the table fails the test, so a new route must say who may call it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from web_support import ManualClock, WebHarness, login, web_settings

from acd.bus import EventBus
from acd.events import AgentLogoutRequested, AgentPauseRequested, AgentStateChanged, Event
from acd.presence import AgentPresence
from agent_ui.live_desk import LiveDesk
from config.center import AgentDef, Center, QueueDef
from crm_core.users import Role

pytestmark = pytest.mark.integration

NEEDS: dict[str, str] = {
    "POST /api/auth/login": "public",
    "POST /api/auth/logout": "public",
    "GET /healthz": "public",
    "GET /api/me": "user",
    "PUT /api/me/language": "user",
    "POST /api/auth/password": "user",
    "GET /api/calls/recent": "user",
    "GET /api/stats/today": "supervisor",
    "GET /api/reports/export": "supervisor",
    "GET /api/reports/live": "supervisor",
    "GET /metrics": "admin",
    # customers
    "GET /api/customers/export": "user",
    "GET /api/customers": "user",
    "POST /api/customers": "user",
    "GET /api/customers/by-number/{ani}": "user",
    "POST /api/customers/transfer": "supervisor",
    "POST /api/customers/merge": "supervisor",
    "GET /api/customers/{customer_id}": "user",
    "PATCH /api/customers/{customer_id}": "user",
    "POST /api/customers/{customer_id}/shares": "user",
    "DELETE /api/customers/{customer_id}/shares/{department_id}": "user",
    "GET /api/customers/{customer_id}/timeline": "user",
    "POST /api/customers/{customer_id}/notes": "user",
    "GET /api/departments": "user",
    "POST /api/departments": "admin",
    "POST /api/departments/{department_id}/members": "admin",
    "DELETE /api/departments/{department_id}/members/{user_id}": "admin",
    # service desk and sales
    "GET /api/tickets": "user",
    "POST /api/tickets": "user",
    "GET /api/tickets/figures": "user",
    "GET /api/tickets/backlog": "user",
    "GET /api/tickets/{ticket_id}": "user",
    "GET /api/tickets/{ticket_id}/history": "user",
    "POST /api/tickets/{ticket_id}/status": "user",
    "POST /api/tickets/{ticket_id}/assign": "user",
    "POST /api/tickets/{ticket_id}/forward": "user",
    "POST /api/tickets/{ticket_id}/comments": "user",
    "GET /api/sla-policies": "user",
    "PUT /api/sla-policies/{category}/{priority}": "admin",
    "DELETE /api/sla-policies/{category}/{priority}": "admin",
    "GET /api/opportunities": "user",
    "POST /api/opportunities": "user",
    "GET /api/opportunities/stalled": "user",
    "GET /api/opportunities/pipeline": "user",
    "GET /api/opportunities/{opportunity_id}": "user",
    "PATCH /api/opportunities/{opportunity_id}": "user",
    "POST /api/opportunities/{opportunity_id}/stage": "user",
    "GET /api/opportunities/{opportunity_id}/history": "user",
    "GET /api/pipeline": "user",
    "PUT /api/pipeline": "admin",
    "GET /api/orders": "user",
    "POST /api/orders": "user",
    "POST /api/orders/import": "supervisor",
    "GET /api/orders/key-account-alerts": "user",
    "GET /api/key-accounts/settings": "user",
    "PUT /api/key-accounts/settings": "admin",
    # the agent desktop and the wallboard
    "GET /api/desk": "desk",
    "POST /api/desk/login": "desk",
    "POST /api/desk/logout": "desk",
    "POST /api/desk/ready": "desk",
    "POST /api/desk/pause": "desk",
    "POST /api/desk/answer": "desk",
    "POST /api/desk/decline": "desk",
    "POST /api/desk/hangup": "desk",
    "POST /api/desk/wrap-up/extend": "desk",
    "POST /api/desk/disposition": "desk",
    "POST /api/supervisor/agents/{agent_id}/pause": "supervisor",
    "POST /api/supervisor/agents/{agent_id}/logout": "supervisor",
    "GET /api/board": "supervisor",
}

# Who passes each need.
ALLOWED = {
    "public": {"nobody", "agent", "supervisor", "admin"},
    "user": {"agent", "supervisor", "admin"},
    "desk": {"agent"},
    "supervisor": {"supervisor", "admin"},
    "admin": {"admin"},
}
CALLERS = ("nobody", "agent", "supervisor", "admin")


@dataclass
class QuietLink:
    """A center link that only records what the desk submits."""

    bus: EventBus = field(default_factory=EventBus)
    submitted: list[Event] = field(default_factory=list)

    def submit(self, event: Event) -> None:
        self.submitted.append(event)

    def staff_desk(self, agent_id: str) -> None:
        pass

    def hang_up(self, call_id: str, agent_id: str) -> bool:
        return False

    async def presences(self) -> list[AgentPresence]:
        return []

    def ready_refusal(self, agent_id: str) -> str | None:
        return None


@pytest.fixture
def harness(tmp_path, sqlite_sessions) -> WebHarness:
    center = Center(
        skills={"s": "S"},
        queues={"q": QueueDef(skills={"s": 1})},
        agents={"li": AgentDef(name="Li Na", extension="1001", skills={"s": 1})},
    )
    web = WebHarness(web_settings(tmp_path), sqlite_sessions, ManualClock(), center)
    web.app.state.hotline = _with_live(web, center)
    web.users.create("agent", Role.AGENT, password="correct horse battery", agent_id="li")
    web.add_user("supervisor", Role.SUPERVISOR)
    web.add_user("admin", Role.ADMIN)
    return web


def _with_live(web: WebHarness, center: Center) -> object:
    from dataclasses import replace

    return replace(web.app.state.hotline, live=LiveDesk(QuietLink(), center))


def _concrete(path: str) -> str:
    return (
        path.replace("{ani}", "+8613800138000")
        .replace("{category}", "complaint")
        .replace("{priority}", "high")
        .replace("{customer_id}", "999")
        .replace("{department_id}", "999")
        .replace("{user_id}", "999")
        .replace("{ticket_id}", "999")
        .replace("{opportunity_id}", "999")
        .replace("{agent_id}", "li")
    )


def test_every_route_is_in_the_table(harness):
    routes = {
        f"{method.upper()} {path}"
        for path, operations in harness.app.openapi()["paths"].items()
        for method in operations
    }
    assert routes - NEEDS.keys() == set(), "say who may call these routes"
    assert NEEDS.keys() - routes == set(), "these routes are gone: drop them from the table"


@pytest.mark.parametrize("caller", CALLERS)
async def test_every_route_refuses_whoever_is_below_its_need(harness, caller):
    wrong = []
    async with harness.client() as client:
        if caller != "nobody":
            assert (await login(client, caller)).status_code == 200
        for route, need in NEEDS.items():
            if route == "POST /api/auth/logout":
                continue  # would end the session the rest of the loop uses
            method, path = route.split(" ", 1)
            body = {} if method in ("POST", "PUT", "PATCH") else None
            response = await client.request(method, _concrete(path), json=body)
            allowed = caller in ALLOWED[need]
            refused = response.status_code in (401, 403)
            if refused == allowed:
                wrong.append(f"{route}: {caller} got {response.status_code}")
    assert wrong == []


async def test_given_an_agent_whose_phone_is_not_registered_then_ready_is_refused(harness):
    link = harness.app.state.hotline.live.link
    link.ready_refusal = lambda agent_id: f"phone of {agent_id} is not registered"
    async with harness.client() as client:
        await login(client, "agent")
        for action in ("login", "ready"):
            response = await client.post(f"/api/desk/{action}")
            assert response.status_code == 409
            assert response.json()["detail"] == "phone of li is not registered"
    assert link.submitted == []


def _logged_in(harness, agent_id: str = "li") -> None:
    harness.app.state.hotline.live.board.apply(
        AgentStateChanged(at=1.0, agent_id=agent_id, state="available", previous="logged_out")
    )


async def test_given_supervisor_when_forcing_pause_and_logout_then_events_for_that_agent(harness):
    _logged_in(harness)
    link = harness.app.state.hotline.live.link
    async with harness.client() as client:
        await login(client, "supervisor")
        paused = await client.post("/api/supervisor/agents/li/pause", json={"reason": "break"})
        out = await client.post("/api/supervisor/agents/li/logout")
    assert (paused.status_code, out.status_code) == (202, 202)
    pause, logout = link.submitted
    assert isinstance(pause, AgentPauseRequested)
    assert (pause.agent_id, pause.reason) == ("li", "break")
    assert isinstance(logout, AgentLogoutRequested)
    assert logout.agent_id == "li"


async def test_given_bad_targets_when_supervisor_acts_then_404_409_422_and_nothing_submitted(
    harness,
):
    link = harness.app.state.hotline.live.link
    async with harness.client() as client:
        await login(client, "supervisor")
        unknown = await client.post("/api/supervisor/agents/zz/logout")
        logged_out = await client.post("/api/supervisor/agents/li/logout")
        _logged_in(harness)
        bad_reason = await client.post("/api/supervisor/agents/li/pause", json={"reason": "nap"})
    assert unknown.status_code == 404
    assert logged_out.status_code == 409
    assert logged_out.json()["detail"] == "that agent is not logged in"
    assert bad_reason.status_code == 422
    assert "unknown pause reason 'nap'" in bad_reason.json()["detail"]
    assert link.submitted == []
