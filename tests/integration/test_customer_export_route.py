"""`GET /api/customers/export` over HTTP: CSV (BOM, formula-safe, streamed) and XLSX, each holding
exactly what the signed-in user may see; refused without a session or with a bad format."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from web_support import PASSWORD, ManualClock, WebHarness, login, web_settings

from agent_ui.routes import customer_export
from crm_core.customer_rules import CustomerDraft
from crm_core.customers import CustomerService
from crm_core.users import Role

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

EXPORT = "/api/customers/export"


@pytest.fixture
def web(tmp_path: Path, sqlite_sessions) -> WebHarness:
    harness = WebHarness(web_settings(tmp_path), sqlite_sessions, ManualClock())
    if not any(getattr(r, "path", "") == EXPORT for r in harness.app.routes):
        harness.app.include_router(customer_export.router)  # until app.py registers it
    alice = harness.add_user("alice")
    bob = harness.add_user("bob")
    harness.add_user("root", Role.ADMIN)
    customers = CustomerService(sqlite_sessions, harness.clock, "CN")
    customers.create(alice, CustomerDraft(name="=cmd|' /C calc'!A0", phones=("13800138000",)))
    customers.create(bob, CustomerDraft(name="bob-private", phones=("13900139000",)))
    return harness


@asynccontextmanager
async def as_user(web: WebHarness, name: str) -> AsyncIterator[httpx.AsyncClient]:
    async with web.client() as client:
        response = await login(client, name, PASSWORD)
        assert response.status_code == 200, response.text
        yield client


async def test_given_agent_when_exporting_csv_then_own_customers_only_and_formula_safe(web):
    async with as_user(web, "alice") as alice:
        response = await alice.get(EXPORT, params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="hotline-customers.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["name"] for r in rows] == ["'=cmd|' /C calc'!A0"]
    assert rows[0]["phone"] == "'+8613800138000"


async def test_given_admin_when_exporting_xlsx_then_everything_as_strings(web):
    async with as_user(web, "root") as root:
        response = await root.get(EXPORT, params={"format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    names = [row[1].value for row in sheet.iter_rows(min_row=2)]
    assert sorted(names) == ["=cmd|' /C calc'!A0", "bob-private"]
    assert {row[1].data_type for row in sheet.iter_rows(min_row=2)} == {"s"}


async def test_given_no_session_when_exporting_then_401(web):
    async with web.client() as anonymous:
        assert (await anonymous.get(EXPORT)).status_code == 401


async def test_given_unknown_format_when_exporting_then_422(web):
    async with as_user(web, "bob") as bob:
        assert (await bob.get(EXPORT, params={"format": "pdf"})).status_code == 422
