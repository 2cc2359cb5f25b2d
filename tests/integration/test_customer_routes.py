"""The customer REST API over HTTP: create, 409 on duplicates, search, read, update, share,
timeline and notes, lookup by number, transfer, merge, departments, and the visibility acceptance:
an agent cannot read or list another agent's private customer through any route.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from web_support import PASSWORD, ManualClock, WebHarness, login, web_settings

from crm_core.departments import DepartmentService
from crm_core.users import Role

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

MOBILE = "+8613800138000"


@pytest.fixture
def web(tmp_path, sqlite_sessions) -> WebHarness:
    return WebHarness(web_settings(tmp_path), sqlite_sessions, ManualClock())


@asynccontextmanager
async def _logged_in(
    web: WebHarness, name: str, role: Role = Role.AGENT
) -> AsyncIterator[httpx.AsyncClient]:
    if web.users.by_username(name) is None:
        web.add_user(name, role)
    async with web.client() as client:
        response = await login(client, name, PASSWORD)
        assert response.status_code == 200, response.text
        yield client


async def _create(client: httpx.AsyncClient, **body: object) -> dict:
    response = await client.post("/api/customers", json={"name": "Acme", **body})
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_then_read_list_and_search(web):
    async with _logged_in(web, "alice") as alice:
        made = await _create(
            alice,
            phones=["138 0013 8000", {"raw": "010-12345678 转 8", "label": "office"}],
            emails=["Info@Acme.cn"],
            tags=["VIP"],
            vip_level=2,
            kind="company",
        )
        assert [p["e164"] for p in made["phones"]] == [MOBILE, "+861012345678"]
        assert made["phones"][1]["extension"] == "8"
        assert made["owner_name"] == "alice"
        got = await alice.get(f"/api/customers/{made['id']}")
        assert got.json() == made
        for query in ("q=acme", "phone=%2B86%20138%200013%208000", "email=INFO@acme.cn", "tag=vip"):
            listed = (await alice.get(f"/api/customers?{query}")).json()
            assert [c["id"] for c in listed["items"]] == [made["id"]], query
            assert listed["total"] == 1


async def test_duplicate_is_409_naming_the_owner_and_nothing_else(web):
    async with _logged_in(web, "alice") as alice, _logged_in(web, "bob") as bob:
        made = await _create(alice, name="Secret Corp", phones=["13800138000"], city="Xi'an")
        response = await bob.post(
            "/api/customers", json={"name": "Other", "phones": ["+8613800138000"]}
        )
        assert response.status_code == 409
        body = response.json()
        assert body["matches"] == [
            {
                "customer_id": made["id"],
                "owner_user_id": made["owner_user_id"],
                "owner_name": "alice",
                "matched_on": ["phone"],
            }
        ]
        assert "Secret Corp" not in response.text
        assert "Xi'an" not in response.text
        forced = await bob.post(
            "/api/customers",
            json={"name": "Other", "phones": ["13800138000"], "override_duplicates": True},
        )
        assert forced.status_code == 409


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"name": "x", "phones": ["12345"]}, 422, "phones"),
        ({"name": "x", "emails": ["no"]}, 422, "emails"),
        ({"name": "x", "vip_level": 9}, 422, "vip_level"),
        ({"name": "x", "kind": "robot"}, 422, "kind"),
        ({"name": "x", "surprise": 1}, 422, "surprise"),
        ({"name": "x", "owner_user_id": 4242}, 422, "4242"),
    ],
)
async def test_bad_create_bodies_are_422_and_say_why(web, body, status, needle):
    async with _logged_in(web, "root", Role.ADMIN) as root:
        response = await root.post("/api/customers", json=body)
    assert response.status_code == status
    assert needle in response.text


async def test_update_share_timeline_and_notes(web):
    sales_id = DepartmentService(web.sessions, web.clock).create("sales").id
    async with _logged_in(web, "alice") as alice:
        made = await _create(alice)
        web.clock.advance(5)
        patched = await alice.patch(
            f"/api/customers/{made['id']}", json={"vip_level": 5, "city": "Chengdu"}
        )
        assert patched.status_code == 200
        assert (patched.json()["vip_level"], patched.json()["city"]) == (5, "Chengdu")
        shared = await alice.post(
            f"/api/customers/{made['id']}/shares", json={"department_id": sales_id}
        )
        assert shared.json()["shared_with"] == [sales_id]
        note = await alice.post(f"/api/customers/{made['id']}/notes", json={"text": "hello"})
        assert note.status_code == 201
        assert note.json()["author_name"] == "alice"
        first = (await alice.get(f"/api/customers/{made['id']}/timeline?limit=2")).json()
        assert [i["kind"] for i in first["items"]] == ["note", "system"]
        rest = await alice.get(f"/api/customers/{made['id']}/timeline?before={first['next']}")
        assert [i["summary"] for i in rest.json()["items"]] == ["customer created"]
        bad = await alice.get(f"/api/customers/{made['id']}/timeline?before=yesterday")
        assert bad.status_code == 422
        unshared = await alice.delete(f"/api/customers/{made['id']}/shares/{sales_id}")
        assert unshared.json()["shared_with"] == []


async def test_lookup_by_number_in_any_format(web):
    async with _logged_in(web, "alice") as alice:
        made = await _create(alice, phones=["13800138000"], vip_level=3)
        for ani in ("13800138000", "+8613800138000", "008613800138000", "86 138 0013 8000"):
            response = await alice.get(f"/api/customers/by-number/{ani}")
            assert response.status_code == 200, ani
            assert response.json()["customer_id"] == made["id"]
            assert response.json()["vip_level"] == 3
        missing = await alice.get("/api/customers/by-number/13900000000")
        assert missing.status_code == 404


async def test_agent_cannot_reach_another_agents_private_customer_through_any_route(web):
    async with _logged_in(web, "alice") as alice, _logged_in(web, "bob") as bob:
        private = await _create(
            alice,
            name="Alice Private",
            phones=["13800138000"],
            emails=["p@alice.cn"],
            tags=["mine"],
        )
        pooled = await _create(alice, name="Pool Co", shared_pool=True)
        cid = private["id"]
        for path in (
            f"/api/customers/{cid}",
            f"/api/customers/{cid}/timeline",
            "/api/customers/by-number/13800138000",
        ):
            response = await bob.get(path)
            assert response.status_code == 404, path
            assert "Alice Private" not in response.text
        for query in (
            "",
            "?q=alice",
            "?name=private",
            "?phone=13800138000",
            "?email=p@alice.cn",
            "?tag=mine",
        ):
            listed = (await bob.get(f"/api/customers{query}")).json()
            assert cid not in [c["id"] for c in listed["items"]], query
        listed = (await bob.get("/api/customers")).json()
        assert [c["id"] for c in listed["items"]] == [pooled["id"]]
        for method, path, body in (
            ("PATCH", f"/api/customers/{cid}", {"vip_level": 1}),
            ("POST", f"/api/customers/{cid}/notes", {"text": "x"}),
            ("POST", f"/api/customers/{cid}/shares", {"department_id": 1}),
        ):
            response = await bob.request(method, path, json=body)
            assert response.status_code == 404, path
        export = await bob.get("/api/customers/export?format=csv")
        assert export.status_code == 200
        assert "Alice Private" not in export.text
        assert "Pool Co" in export.text


async def test_transfer_and_merge_are_for_supervisors_and_admins(web):
    async with (
        _logged_in(web, "alice") as alice,
        _logged_in(web, "root", Role.ADMIN) as root,
    ):
        bob = web.add_user("bob")
        first = await _create(alice, name="First", phones=["13800138000"])
        second = await _create(alice, name="Second")
        refused = await alice.post(
            "/api/customers/transfer",
            json={"from_user_id": first["owner_user_id"], "to_user_id": bob.id},
        )
        assert refused.status_code == 403
        assert (
            await alice.post(
                "/api/customers/merge", json={"keep_id": first["id"], "merge_id": second["id"]}
            )
        ).status_code == 403
        merged = await root.post(
            "/api/customers/merge", json={"keep_id": first["id"], "merge_id": second["id"]}
        )
        assert merged.status_code == 200
        assert merged.json()["kept"]["id"] == first["id"]
        moved = await root.post(
            "/api/customers/transfer",
            json={
                "from_user_id": first["owner_user_id"],
                "to_user_id": bob.id,
                "customer_ids": [first["id"]],
            },
        )
        assert moved.status_code == 200
        assert moved.json()["customer_ids"] == [first["id"]]
        again = await root.post(
            "/api/customers/transfer",
            json={
                "from_user_id": first["owner_user_id"],
                "to_user_id": bob.id,
                "customer_ids": [first["id"]],
            },
        )
        assert again.status_code == 422
        assert (await alice.get(f"/api/customers/{first['id']}")).status_code == 404


async def test_departments_are_managed_by_admins(web):
    async with (
        _logged_in(web, "alice") as alice,
        _logged_in(web, "root", Role.ADMIN) as root,
    ):
        assert (await alice.post("/api/departments", json={"name": "x"})).status_code == 403
        made = await root.post("/api/departments", json={"name": "Sales"})
        assert made.status_code == 201
        dept = made.json()["id"]
        assert (await root.post("/api/departments", json={"name": "Sales"})).status_code == 409
        alice_id = web.users.by_username("alice").id
        added = await root.post(f"/api/departments/{dept}/members", json={"user_id": alice_id})
        assert added.json()["member_ids"] == [alice_id]
        assert (await alice.get("/api/departments")).json()[0]["name"] == "Sales"
        missing = await root.post("/api/departments/999/members", json={"user_id": alice_id})
        assert missing.status_code == 404
        removed = await root.delete(f"/api/departments/{dept}/members/{alice_id}")
        assert removed.json()["member_ids"] == []


async def test_customer_routes_need_a_login(web):
    async with web.client() as anonymous:
        for path in ("/api/customers", "/api/customers/1", "/api/customers/by-number/1380013"):
            assert (await anonymous.get(path)).status_code == 401
