"""The report routes over HTTP: supervisors and admins download CSV or XLSX and read the live
figures; agents may not; unusable parameters are a 422 that says why."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from web_support import ManualClock, WebHarness, web_settings

from agent_ui.routes import reports
from config.center_file import load_center, sample_center_path
from crm_core.call_records import CallEventData, CallRecordData
from crm_core.record_bulk import insert_events, insert_records
from crm_core.users import Role

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

CENTER = load_center(sample_center_path())
TZ = ZoneInfo(CENTER.center.timezone)
T9 = datetime(2026, 1, 5, 9, 0, tzinfo=TZ).timestamp()
NOW = T9 + 3600


@pytest.fixture
def web(tmp_path, sqlite_sessions) -> WebHarness:
    harness = WebHarness(web_settings(tmp_path), sqlite_sessions, ManualClock(NOW), center=CENTER)
    insert_records(
        sqlite_sessions,
        [
            CallRecordData(
                call_id="c1", direction="inbound", ani="=1+1", dnis="4008001001",
                arrived_at=T9 + 10, queue="support", agent_id="1003", queued_at=T9 + 12,
                answered_at=T9 + 20, ended_at=T9 + 200, wrap_up_ended_at=T9 + 230,
                outcome="answered", ended_by="caller",
            )
        ],
    )  # fmt: skip
    insert_events(
        sqlite_sessions,
        [
            CallEventData(1, T9, "", "AGENTLOGIN", agent_id="1003"),
            CallEventData(2, T9 + 12, "c1", "ENTERQUEUE", "support"),
            CallEventData(3, T9 + 20, "c1", "CONNECT", "support", "1003"),
            CallEventData(4, T9 + 3000, "c2", "ENTERQUEUE", "sales"),
        ],
    )
    return harness


async def test_given_a_supervisor_when_downloading_csv_then_a_bom_csv_attachment(web):
    async with web.logged_in(Role.SUPERVISOR) as client:
        response = await client.get(
            "/api/reports/export",
            params={"from": "2026-01-05", "to": "2026-01-05", "by": "queue", "format": "csv"},
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="hotline-report-2026-01-05_2026-01-05.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = {
        r["queue"]: r for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    }
    assert rows["support"]["answered"] == "1"
    assert rows["sales"]["still_waiting"] == "1"


async def test_given_an_admin_when_downloading_the_detail_then_caller_ids_are_neutralised(web):
    async with web.logged_in(Role.ADMIN) as client:
        response = await client.get(
            "/api/reports/export",
            params={"from": "2026-01-05", "to": "2026-01-05", "format": "csv", "detail": "true"},
        )
    assert response.status_code == 200, response.text
    assert "'=1+1" in response.content.decode("utf-8-sig")


async def test_given_a_supervisor_when_downloading_xlsx_then_a_workbook(web, tmp_path):
    async with web.logged_in(Role.SUPERVISOR) as client:
        response = await client.get(
            "/api/reports/export", params={"from": "2026-01-05", "to": "2026-01-06"}
        )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == reports.XLSX_TYPE
    assert "hotline-report-2026-01-05_2026-01-06.xlsx" in response.headers["content-disposition"]
    path = tmp_path / "download.xlsx"
    path.write_bytes(response.content)
    book = load_workbook(path)
    assert book.sheetnames[:4] == ["Summary", "By queue", "By agent", "By interval"]


async def test_the_live_figures_are_today_so_far(web):
    async with web.logged_in(Role.SUPERVISOR) as client:
        response = await client.get("/api/reports/live")
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["date"] == "2026-01-05"
    assert figures["as_of"] == "2026-01-05T10:00:00+08:00"
    assert (figures["center"]["offered"], figures["center"]["answered"]) == (2, 1)
    assert figures["center"]["oldest_wait_s"] == pytest.approx(600)
    queues = {q["queue"]: q for q in figures["queues"]}
    assert queues["sales"]["still_waiting"] == 1


@pytest.mark.parametrize(
    "path", ["/api/reports/live", "/api/reports/export?from=2026-01-05&to=2026-01-05"]
)
async def test_agents_may_not_read_reports(web, path):
    async with web.logged_in(Role.AGENT) as client:
        response = await client.get(path)
    assert response.status_code == 403


async def test_without_a_session_reports_are_401(web):
    async with web.client() as client:
        response = await client.get("/api/reports/live")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "2026-01-06", "to": "2026-01-05"}, "must be after"),
        ({"from": "soon", "to": "2026-01-05"}, "is not a date"),
        ({"from": "2026-01-05", "to": "2026-01-05", "interval": "7m"}, "is not one of"),
        ({"from": "2026-01-05", "to": "2026-01-05", "by": "agent,dnis"}, "by interval only"),
        ({"from": "2026-01-05", "to": "2026-01-05", "by": "campaign"}, "no campaign yet"),
    ],
)
async def test_unusable_parameters_are_422_with_the_reason(web, params, message):
    async with web.logged_in(Role.SUPERVISOR) as client:
        response = await client.get("/api/reports/export", params=params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


async def test_an_unknown_format_is_422(web):
    async with web.logged_in(Role.SUPERVISOR) as client:
        response = await client.get(
            "/api/reports/export",
            params={"from": "2026-01-05", "to": "2026-01-05", "format": "pdf"},
        )
    assert response.status_code == 422
