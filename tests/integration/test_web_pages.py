"""The page, its static files, health, today's figures and recent calls, over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker
from web_support import ManualClock, WebHarness, web_settings

from agent_ui.app import create_app
from agent_ui.routes.stats import center_threshold_s, day_window
from config.center import Center, CenterInfo, QueueDef
from crm_core.call_records import CallRecordData
from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.record_store import SqlRecordSink
from crm_core.users import Role

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2025-06-15 23:30 in Shanghai (15:30 UTC): today there began at 2025-06-14 16:00 UTC.
NOW = datetime(2025, 6, 15, 23, 30, tzinfo=SHANGHAI).timestamp()
CENTER = Center(
    center=CenterInfo(name="Test", timezone="Asia/Shanghai", short_abandon_s=5.0),
    queues={"sales": QueueDef(service_level_s=20.0), "vip": QueueDef(service_level_s=30.0)},
)


def local(hour: int, minute: int = 0, day: int = 15) -> float:
    return datetime(2025, 6, day, hour, minute, tzinfo=SHANGHAI).timestamp()


def answered(call_id: str, at: float, wait_s: float) -> CallRecordData:
    return CallRecordData(
        call_id=call_id,
        direction="inbound",
        ani="+8613800000001",
        dnis="4000",
        arrived_at=at,
        queue="sales",
        agent_id="1001",
        queued_at=at,
        answered_at=at + wait_s,
        ended_at=at + wait_s + 60,
        outcome="answered",
        ended_by="caller",
    )


def abandoned(call_id: str, at: float, wait_s: float) -> CallRecordData:
    return CallRecordData(
        call_id=call_id,
        direction="inbound",
        ani="+8613800000002",
        dnis="4000",
        arrived_at=at,
        queue="sales",
        queued_at=at,
        ended_at=at + wait_s,
        outcome="abandoned",
        ended_by="caller",
    )


@pytest.fixture
def web(tmp_path, db_sessions: sessionmaker[Session]) -> WebHarness:
    return WebHarness(web_settings(tmp_path), db_sessions, ManualClock(NOW), CENTER)


async def test_the_page_and_its_files_are_served_with_a_strict_policy(web):
    async with web.client() as client:
        page = await client.get("/")
        script = await client.get("/static/app.js")
        style = await client.get("/static/app.css")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="login-form"' in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "/api/stats/today" in script.text
    assert style.status_code == 200


async def test_healthz_needs_no_login_and_checks_the_database(web):
    async with web.client() as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_given_database_unreachable_then_healthz_is_503(tmp_path):
    engine = create_db_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    try:
        web = WebHarness(web_settings(tmp_path), make_sessionmaker(engine), ManualClock())
        async with web.client() as client:
            response = await client.get("/healthz")
    finally:
        engine.dispose()
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": "unreachable"}


async def test_today_counts_only_calls_of_the_local_day(web):
    sink = SqlRecordSink(web.sessions)
    for record in (
        answered("in-window-fast", local(9), wait_s=10),
        answered("in-window-slow", local(10), wait_s=30),
        abandoned("in-window-abandon", local(11), wait_s=60),
        abandoned("in-window-short", local(0, 5), wait_s=3),
        answered("yesterday-local", local(23, 59, day=14), wait_s=1),
        answered("tomorrow-local", local(0, 1, day=16), wait_s=1),
    ):
        sink.write_record(record)
    async with web.logged_in(Role.SUPERVISOR) as client:
        response = await client.get("/api/stats/today")
    assert response.status_code == 200
    stats = response.json()
    assert stats["date"] == "2025-06-15"
    assert stats["timezone"] == "Asia/Shanghai"
    assert stats["threshold_s"] == 20.0
    assert (stats["offered"], stats["answered"], stats["abandoned"]) == (4, 2, 2)
    assert stats["short_abandoned"] == 1
    # SL = answered within 20 s / (answered + abandoned after 5 s) = 1 / 3
    assert stats["service_level"] == pytest.approx(1 / 3)
    assert stats["asa_s"] == pytest.approx(20.0)


async def test_today_with_no_calls_shows_no_data_not_zero(web):
    async with web.logged_in(Role.ADMIN) as client:
        stats = (await client.get("/api/stats/today")).json()
    assert stats["offered"] == 0
    assert stats["service_level"] is None
    assert stats["asa_s"] is None


async def test_agents_may_not_see_todays_figures(web):
    async with web.logged_in(Role.AGENT) as client:
        response = await client.get("/api/stats/today")
    assert response.status_code == 403
    assert response.json() == {"detail": "your role may not do this"}


async def test_recent_calls_are_the_newest_twenty_newest_first(web):
    sink = SqlRecordSink(web.sessions)
    for i in range(25):
        sink.write_record(answered(f"call-{i:02d}", local(8) + 60 * i, wait_s=5))
    async with web.logged_in(Role.AGENT) as client:
        response = await client.get("/api/calls/recent")
        three = await client.get("/api/calls/recent", params={"limit": 3})
        too_many = await client.get("/api/calls/recent", params={"limit": 10_000})
        zero = await client.get("/api/calls/recent", params={"limit": 0})
    calls = response.json()
    assert [c["call_id"] for c in calls] == [f"call-{i:02d}" for i in range(24, 4, -1)]
    first = calls[0]
    assert first["wait_s"] == pytest.approx(5.0)
    assert first["talk_s"] == pytest.approx(60.0)
    assert datetime.fromisoformat(first["arrived_at"]) == datetime.fromtimestamp(
        local(8) + 60 * 24, UTC
    )
    assert len(three.json()) == 3
    assert too_many.status_code == 422
    assert zero.status_code == 422


def test_day_window_spans_a_daylight_saving_change():
    berlin = ZoneInfo("Europe/Berlin")
    spring_forward = datetime(2025, 3, 30, 12, 0, tzinfo=berlin).timestamp()
    window = day_window(spring_forward, berlin)
    assert window.start == datetime(2025, 3, 30, 0, 0, tzinfo=berlin)
    assert (window.end.timestamp() - window.start.timestamp()) == 23 * 3600


def test_center_threshold_is_the_strictest_queue_or_the_default():
    assert center_threshold_s(CENTER) == 20.0
    assert center_threshold_s(Center()) == QueueDef().service_level_s


class RecordingService:
    """A background service that notes when it starts and stops, and can fail to start."""

    def __init__(self, name: str, log: list[str], *, fail: bool = False) -> None:
        self.name, self.log, self.fail = name, log, fail

    async def start(self) -> None:
        if self.fail:
            raise RuntimeError(f"{self.name} cannot start")
        self.log.append(f"start {self.name}")

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")


@pytest.fixture
def unused_db() -> sessionmaker[Session]:
    """Sessions the app is given but these tests never use."""
    return make_sessionmaker(create_db_engine("sqlite://"))


async def test_services_start_in_order_and_stop_in_reverse(tmp_path, unused_db):
    log: list[str] = []
    services = [RecordingService("a", log), RecordingService("b", log)]
    app = create_app(
        web_settings(tmp_path), sessions=unused_db, clock=ManualClock(), services=services
    )
    async with app.router.lifespan_context(app):
        assert log == ["start a", "start b"]
    assert log == ["start a", "start b", "stop b", "stop a"]


async def test_when_a_service_fails_to_start_then_the_ones_started_are_stopped(tmp_path, unused_db):
    log: list[str] = []
    services = [RecordingService("a", log), RecordingService("b", log, fail=True)]
    app = create_app(
        web_settings(tmp_path), sessions=unused_db, clock=ManualClock(), services=services
    )
    with pytest.raises(RuntimeError, match="b cannot start"):
        async with app.router.lifespan_context(app):
            pytest.fail("the app must not run without its services")
    assert log == ["start a", "stop a"]
