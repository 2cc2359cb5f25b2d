"""The service-desk and sales REST API over HTTP: tickets, SLA policies, opportunities, the
pipeline, orders and key accounts; role checks; and the visibility acceptance: an agent cannot
read, list or change the tickets, opportunities or orders of another agent's private customer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from web_support import PASSWORD, ManualClock, WebHarness, login, web_settings

from agent_ui.routes import opportunities, orders, tickets
from crm_core.customer_rules import CustomerDraft
from crm_core.customers import CustomerService
from crm_core.departments import DepartmentService
from crm_core.users import Role

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ROUTERS = (tickets, opportunities, orders)


@pytest.fixture
def web(tmp_path: Path, sqlite_sessions: sessionmaker[Session]) -> WebHarness:
    harness = WebHarness(web_settings(tmp_path), sqlite_sessions, ManualClock())
    paths = {getattr(route, "path", None) for route in harness.app.routes}
    for module in ROUTERS:  # until app.py registers them
        if "/api/tickets" not in paths:
            harness.app.include_router(module.router)
    for name in ("alice", "bob"):
        harness.add_user(name)
    harness.add_user("boss", Role.SUPERVISOR)
    harness.add_user("root", Role.ADMIN)
    return harness


def _customer(web: WebHarness, owner: str, name: str, **kw: object) -> int:
    service = CustomerService(web.sessions, web.clock, "CN")
    user = web.users.by_username(owner)
    assert user is not None
    return service.create(user, CustomerDraft(name=name, **kw)).id  # type: ignore[arg-type]


@asynccontextmanager
async def _as(web: WebHarness, name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with web.client() as client:
        response = await login(client, name, PASSWORD)
        assert response.status_code == 200, response.text
        yield client


# --- tickets ------------------------------------------------------------------------------------


async def test_ticket_life_over_http(web: WebHarness) -> None:
    customer = _customer(web, "alice", "Acme")
    async with _as(web, "alice") as alice:
        made = await alice.post("/api/tickets", json={"customer_id": customer, "subject": "Down"})
        assert made.status_code == 201, made.text
        ticket = made.json()
        assert (ticket["status"], ticket["priority"], ticket["overdue"]) == ("new", "normal", False)
        tid = ticket["id"]
        opened = await alice.post(f"/api/tickets/{tid}/status", json={"status": "open"})
        assert opened.json()["assignee_user_id"] == ticket["created_by_user_id"]
        comment = await alice.post(f"/api/tickets/{tid}/comments", json={"text": "on it"})
        assert comment.status_code == 201
        wrong = await alice.post(f"/api/tickets/{tid}/status", json={"status": "closed"})
        assert wrong.status_code == 409  # open → closed is not a step of the state machine
        unknown = await alice.post(f"/api/tickets/{tid}/status", json={"status": "done"})
        assert unknown.status_code == 422
        listed = (await alice.get("/api/tickets?mine=true&status=open")).json()
        assert [t["id"] for t in listed["items"]] == [tid]
        resolved = await alice.post(f"/api/tickets/{tid}/status", json={"status": "resolved"})
        assert resolved.json()["resolved_at"] is not None
        closing = await alice.post(f"/api/tickets/{tid}/status", json={"status": "closed"})
        assert closing.status_code == 403  # agents do not close
        history = (await alice.get(f"/api/tickets/{tid}/history")).json()
        kinds = ["created", "status", "assigned", "comment", "status"]
        assert [e["kind"] for e in history] == kinds
        figures = (await alice.get("/api/tickets/figures")).json()
        assert (figures["backlog"], figures["overdue"]) == (0, 0)
        backlog = await alice.get("/api/tickets/backlog?from=2025-06-15&to=2025-06-15")
        assert backlog.json()[0]["created"] == 1


async def test_forward_to_a_department_over_http(web: WebHarness) -> None:
    departments = DepartmentService(web.sessions, web.clock)
    support = departments.create("support")
    bob = web.users.by_username("bob")
    assert bob is not None
    departments.add_member(support.id, bob.id)
    customer = _customer(web, "alice", "Acme")
    async with _as(web, "alice") as alice, _as(web, "bob") as bob_client:
        tid = (
            await alice.post("/api/tickets", json={"customer_id": customer, "subject": "x"})
        ).json()["id"]
        assert (await bob_client.get(f"/api/tickets/{tid}")).status_code == 404
        sent = await alice.post(f"/api/tickets/{tid}/forward", json={"department_id": support.id})
        assert sent.json()["department_id"] == support.id
        assert (await bob_client.get(f"/api/tickets/{tid}")).status_code == 200
        missing = await alice.post(f"/api/tickets/{tid}/forward", json={"department_id": 999})
        assert missing.status_code == 404


async def test_figures_refuse_a_time_without_offset(web: WebHarness) -> None:
    async with _as(web, "alice") as alice:
        response = await alice.get("/api/tickets/figures?at=2025-06-15T10:00:00")
        assert response.status_code == 422
        ok = await alice.get("/api/tickets/figures?at=2025-06-15T10:00:00%2B08:00")
        assert ok.status_code == 200


async def test_only_admins_edit_sla_policies(web: WebHarness) -> None:
    body = {"resolution_minutes": 240, "response_minutes": 30, "business_hours": True}
    async with _as(web, "boss") as boss, _as(web, "root") as root:
        assert (await boss.put("/api/sla-policies/billing/urgent", json=body)).status_code == 403
        put = await root.put("/api/sla-policies/Billing/urgent", json=body)
        assert put.status_code == 200, put.text
        assert put.json() == {"category": "billing", "priority": "urgent", **body}
        assert (await boss.get("/api/sla-policies")).json() == [put.json()]
        bad = await root.put("/api/sla-policies/billing/asap", json=body)
        assert bad.status_code == 422
        late = {"resolution_minutes": 10, "response_minutes": 30}
        assert (await root.put("/api/sla-policies/*/*", json=late)).status_code == 422
        assert (await root.delete("/api/sla-policies/billing/urgent")).status_code == 204
        assert (await root.delete("/api/sla-policies/billing/urgent")).status_code == 404


# --- opportunities and the pipeline -------------------------------------------------------------


async def test_opportunity_over_http(web: WebHarness) -> None:
    customer = _customer(web, "alice", "Acme")
    async with _as(web, "alice") as alice:
        made = await alice.post(
            "/api/opportunities",
            json={"customer_id": customer, "title": "Renewal", "amount": "2500.00", "stage": 2},
        )
        assert made.status_code == 201, made.text
        opp = made.json()
        assert (opp["stage_name"], opp["expected_value"]) == ("qualified", "500.00")
        moved = await alice.post(f"/api/opportunities/{opp['id']}/stage", json={"stage": 5})
        assert moved.json()["expected_value"] == "1250.00"
        same = await alice.post(f"/api/opportunities/{opp['id']}/stage", json={"stage": 5})
        assert same.status_code == 422
        patched = await alice.patch(f"/api/opportunities/{opp['id']}", json={"amount": "100"})
        assert patched.json()["amount"] == "100.00"
        history = (await alice.get(f"/api/opportunities/{opp['id']}/history")).json()
        assert [(h["from_stage"], h["to_stage"]) for h in history] == [(None, 2), (2, 5)]
        pipeline = (await alice.get("/api/opportunities/pipeline")).json()
        assert pipeline[0]["expected"] == "50.00"
        assert (await alice.get("/api/opportunities/stalled")).json() == []


async def test_only_admins_edit_the_pipeline(web: WebHarness) -> None:
    async with _as(web, "boss") as boss, _as(web, "root") as root:
        current = (await boss.get("/api/pipeline")).json()
        assert current["stall_weeks"] == 2
        assert [s["probability"] for s in current["stages"]][:3] == [0, 10, 20]
        changed = {**current, "stall_weeks": 3}
        assert (await boss.put("/api/pipeline", json=changed)).status_code == 403
        assert (await root.put("/api/pipeline", json=changed)).json()["stall_weeks"] == 3
        broken = {**current, "stages": current["stages"][:9]}
        assert (await root.put("/api/pipeline", json=broken)).status_code == 422


# --- orders -------------------------------------------------------------------------------------


async def test_orders_over_http_with_import(web: WebHarness, tmp_path: Path) -> None:
    customer = _customer(web, "alice", "Acme", phones=("13800138000",))
    async with _as(web, "alice") as alice, _as(web, "boss") as boss:
        body = {
            "customer_id": customer,
            "ordered_on": "2025-05-01",
            "amount": "10",
            "reference": "R1",
        }
        made = await alice.post("/api/orders", json=body)
        assert made.status_code == 201, made.text
        assert (await alice.post("/api/orders", json=body)).status_code == 409
        csv = "电话,日期,金额,订单号\n13800138000,2025-05-02,20,R2\nx,2025-05-03,1,R3\n"
        files = {"file": ("orders.csv", csv.encode(), "text/csv")}
        assert (await alice.post("/api/orders/import", files=files)).status_code == 403
        report = await boss.post("/api/orders/import", files=files)
        assert report.status_code == 200, report.text
        # boss is not in alice's team (no departments): the phone finds no visible customer.
        assert report.json()["created"] == 0
        bad = {"file": ("orders.pdf", b"%PDF", "application/pdf")}
        assert (await boss.post("/api/orders/import", files=bad)).status_code == 422
        no_amount = {"file": ("o.csv", b"phone,date\n1,2025-01-01\n", "text/csv")}
        assert (await boss.post("/api/orders/import", files=no_amount)).status_code == 422
        page = (await alice.get("/api/orders")).json()
        assert (page["total"], page["amount"]) == (1, "10.00")
        assert (await alice.get("/api/orders/key-account-alerts")).json() == []


async def test_only_admins_edit_key_account_settings(web: WebHarness) -> None:
    async with _as(web, "boss") as boss, _as(web, "root") as root:
        current = (await boss.get("/api/key-accounts/settings")).json()
        assert current == {"falling_months": 3, "top_share": "0.2", "min_volume": None,
                           "trailing_months": 12}  # fmt: skip
        changed = {**current, "falling_months": 2, "min_volume": "10000"}
        assert (await boss.put("/api/key-accounts/settings", json=changed)).status_code == 403
        stored = (await root.put("/api/key-accounts/settings", json=changed)).json()
        assert (stored["falling_months"], stored["min_volume"]) == (2, "10000")
        bad = {**current, "top_share": "1.5"}
        assert (await root.put("/api/key-accounts/settings", json=bad)).status_code == 422


# --- visibility acceptance ----------------------------------------------------------------------


async def test_an_agent_cannot_see_or_touch_another_agents_private_customer_records(
    web: WebHarness,
) -> None:
    private = _customer(web, "alice", "Alice Private")
    async with _as(web, "alice") as alice, _as(web, "bob") as bob:
        tid = (
            await alice.post("/api/tickets", json={"customer_id": private, "subject": "s"})
        ).json()["id"]
        deal = {"customer_id": private, "title": "t", "amount": "1"}
        oid = (await alice.post("/api/opportunities", json=deal)).json()["id"]
        body = {"customer_id": private, "ordered_on": "2025-05-01", "amount": "5"}
        assert (await alice.post("/api/orders", json=body)).status_code == 201
        for path in (f"/api/tickets/{tid}", f"/api/tickets/{tid}/history",
                     f"/api/opportunities/{oid}", f"/api/opportunities/{oid}/history"):  # fmt: skip
            assert (await bob.get(path)).status_code == 404, path
        assert (await bob.get("/api/tickets")).json() == {"items": [], "total": 0}
        assert (await bob.get(f"/api/tickets?customer_id={private}")).json()["total"] == 0
        assert (await bob.get("/api/opportunities")).json()["total"] == 0
        assert (await bob.get("/api/orders")).json()["total"] == 0
        assert (await bob.get(f"/api/orders?customer_id={private}")).json()["amount"] == "0.00"
        assert (await bob.get("/api/opportunities/pipeline")).json() == []
        figures = (await bob.get("/api/tickets/figures")).json()
        assert (figures["backlog"], figures["overdue"]) == (0, 0)
        writes = [
            ("post", f"/api/tickets/{tid}/status", {"status": "open"}),
            ("post", f"/api/tickets/{tid}/comments", {"text": "peek"}),
            ("post", f"/api/tickets/{tid}/assign", {"assignee_user_id": None}),
            ("post", f"/api/opportunities/{oid}/stage", {"stage": 3}),
            ("patch", f"/api/opportunities/{oid}", {"title": "mine now"}),
            ("post", "/api/tickets", {"customer_id": private, "subject": "s"}),
            ("post", "/api/opportunities", {"customer_id": private, "title": "t", "amount": "1"}),
            ("post", "/api/orders", body),
        ]
        for method, path, payload in writes:
            response = await getattr(bob, method)(path, json=payload)
            assert response.status_code == 404, (path, response.text)
