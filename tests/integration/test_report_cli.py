"""`hotline report` end to end: a simulated morning in a real database, exported as CSV and XLSX;
bad arguments exit 2 with a message that says what to do."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import typer
from openpyxl import load_workbook
from typer.testing import CliRunner

from acd.clock import VirtualClock, run_virtual
from agent_ui.cli import report_cmd
from config.center_file import load_center, sample_center_path
from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.record_bulk import BulkRecordSink
from telephony.sim.behaviour import AgentBehaviour, CallerBehaviour, Duration, SimulationProfile
from telephony.sim.center import SimulatedCenter

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

CENTER = load_center(sample_center_path())
TZ = ZoneInfo(CENTER.center.timezone)
MORNING = datetime(2026, 1, 5, 9, 0, tzinfo=TZ).timestamp()


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """The hotline CLI, with only the report command."""

    report_cmd.register(app)
    return app


@pytest.fixture
def db_with_a_morning(migrated_db_url: str) -> str:
    engine = create_db_engine(migrated_db_url)
    profile = SimulationProfile(
        arrival_rate_per_s=0.03,
        callers=CallerBehaviour(patience=Duration(100.0)),
        agents=AgentBehaviour(ring_delay=Duration(0.0, fixed=True), handle=Duration(150.0)),
    )
    with BulkRecordSink(make_sessionmaker(engine)) as sink:

        async def main(clock: VirtualClock) -> None:
            sim = SimulatedCenter(CENTER, clock, sink, profile, seed=11)
            await sim.start(until=MORNING + 3600)
            await clock.sleep(3600)
            await sim.settle()
            await sim.stop()

        run_virtual(main, MORNING)
    engine.dispose()
    return migrated_db_url


def run(args: list[str], db_url: str = "sqlite:///unused.db") -> tuple[int, str]:
    env = {
        "HOTLINE_DEMO": "1",
        "HOTLINE_DATABASE_URL": db_url,
        "HOTLINE_CENTER_FILE": str(sample_center_path()),
        "HOTLINE_CONFIG": "",
    }
    result = CliRunner().invoke(cli(), ["report", *args], env=env)
    return result.exit_code, result.output


def test_given_a_morning_when_exporting_xlsx_then_the_workbook_has_every_sheet(
    db_with_a_morning, tmp_path
):
    out = tmp_path / "monday.xlsx"
    code, output = run(
        ["--from", "2026-01-05", "--to", "2026-01-05", "--format", "xlsx", "--out", str(out)],
        db_with_a_morning,
    )
    assert code == 0, output
    assert "sheets Summary, By queue, By agent, By interval, Detail" in output
    book = load_workbook(out)
    assert book.sheetnames == ["Summary", "By queue", "By agent", "By interval", "Detail"]
    assert book["Detail"].max_row > 50
    assert book["By interval"].max_row == 1 + 48  # half hours of the day


def test_given_a_morning_when_exporting_csv_by_queue_and_hour_then_rows_add_up(
    db_with_a_morning, tmp_path
):
    out = tmp_path / "queues.csv"
    args = ["--from", "2026-01-05", "--to", "2026-01-05", "--by", "queue,interval"]
    code, output = run([*args, "--interval", "1h", "--out", str(out)], db_with_a_morning)
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 4 * 24  # four queues, 24 hours
    assert rows[0]["interval_start"] == "2026-01-05T00:00:00.000+08:00"
    assert sum(int(r["offered"]) for r in rows) > 50
    for r in rows:
        parts = ("answered", "abandoned", "overflowed_out", "still_waiting")
        assert int(r["offered"]) == sum(int(r[p]) for p in parts)


def test_detail_csv_lists_every_call(db_with_a_morning, tmp_path):
    out = tmp_path / "calls.csv"
    window = ["--from", "2026-01-05T09:00", "--to", "2026-01-05T10:00"]
    code, output = run([*window, "--detail", "--out", str(out)], db_with_a_morning)
    assert code == 0, output
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("call_id,arrived_at,direction,ani")
    assert f"{len(lines) - 1:,} calls" in output


def test_daily_writes_the_named_file(db_with_a_morning, tmp_path):
    code, output = run(["daily", "--out-dir", str(tmp_path), "--date", "2026-01-05"],
                       db_with_a_morning)  # fmt: skip
    assert code == 0, output
    path = tmp_path / "hotline-report-2026-01-05.xlsx"
    assert output.strip() == str(path)
    assert load_workbook(path)["Summary"]["B2"].value == CENTER.center.name
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --from, --to and --out"),
        (["--from", "2026-01-05", "--to", "2026-01-06", "--out", "r.pdf"], "--format must be"),
        (["--from", "2026-01-05", "--to", "x", "--out", "r.csv"], "--to 'x' is not a date"),
        (["--from", "2026-01-06", "--to", "2026-01-05", "--out", "r.csv"], "must be after"),
        (["--from", "2026-01-05", "--to", "2026-01-05", "--out", "r.csv", "--interval", "7m"],
         "interval '7m' is not one of"),
        (["--from", "2026-01-05", "--to", "2026-01-05", "--out", "r.csv", "--by", "agent,queue"],
         "agent figures can be split by interval only"),
        (["--from", "2026-01-05", "--to", "2026-01-05", "--out", "r.csv", "--by", "colour"],
         "cannot group by colour"),
        (["--from", "2026-01-05", "--to", "2026-01-05", "--out", "no/such/dir/r.csv"],
         "the folder no/such/dir does not exist"),
        (["--from", "2026-01-05", "--to", "2026-01-05", "--out", "r.xlsx", "--detail-limit", "-1"],
         "--detail-limit must be 0 or more"),
        (["daily", "--out-dir", "out", "--date", "Monday"], "--date must look like 2026-01-05"),
    ],
)  # fmt: skip
def test_bad_arguments_exit_2_and_say_what_to_do(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, output = run(args)
    assert code == 2, output
    assert message in output
    assert not list(tmp_path.glob("r.*"))


def test_campaign_grouping_exits_2_explaining_there_are_no_campaigns(db_with_a_morning, tmp_path):
    out = tmp_path / "c.csv"
    window = ["--from", "2026-01-05", "--to", "2026-01-05"]
    code, output = run([*window, "--by", "campaign", "--out", str(out)], db_with_a_morning)
    assert code == 2
    assert "no campaign yet" in output
    assert not out.exists()


def test_a_database_without_the_schema_exits_1_and_says_to_upgrade(tmp_path):
    window = ["--from", "2026-01-05", "--to", "2026-01-05"]
    code, output = run([*window, "--out", str(tmp_path / "r.csv")], f"sqlite:///{tmp_path}/x.db")
    assert code == 1
    assert "hotline db upgrade" in output
