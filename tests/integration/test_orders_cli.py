"""`hotline orders import FILE` through Typer (CliRunner) on a temp SQLite database configured as
an operator would: JSON summary on stdout, dry run, a second import adding nothing, exit codes."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
import typer
from argon2 import PasswordHasher
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from acd.clock import RealClock
from agent_ui.cli import app as main_app
from agent_ui.cli import orders_cmd
from crm_core.customer_rules import CustomerDraft
from crm_core.customers import CustomerService
from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.migrate import upgrade_database
from crm_core.service_models import Order
from crm_core.users import Role, UserService

pytestmark = pytest.mark.integration


def _app() -> typer.Typer:
    """The `hotline` app, with `orders` added if the main app does not register it yet."""
    names = {group.name for group in main_app.registered_groups}
    if "orders" in names:
        return main_app
    app = typer.Typer()
    orders_cmd.register(app)
    return app


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    """Settings from the environment; a migrated database with one customer; its id."""
    for name in ("HOTLINE_CONFIG", "HOTLINE_DATABASE_URL", "HOTLINE_DEMO"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOTLINE_SECRET_KEY", secrets.token_urlsafe(48))
    url = f"sqlite:///{tmp_path / 'data' / 'hotline.db'}"
    upgrade_database(url)
    sessions = make_sessionmaker(create_db_engine(url))
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    alice, _ = UserService(sessions, RealClock(), cheap).create(
        "alice", Role.AGENT, password="correct horse battery"
    )
    customers = CustomerService(sessions, RealClock(), "CN")
    made = customers.create(alice, CustomerDraft(name="Acme", phones=("13800138000",)))
    return url, made.id


def run(*args: str) -> Result:
    return CliRunner().invoke(_app(), list(args))


def stored(url: str) -> int:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(Order)) or 0)
    finally:
        engine.dispose()


def test_import_prints_a_summary_and_a_second_import_adds_nothing(
    db: tuple[str, int], tmp_path: Path
) -> None:
    url, customer = db
    path = tmp_path / "订单.csv"
    path.write_text(
        "订单号,客户编号,电话,日期,金额\n"
        f"A1,{customer},,2025-01-05,100\n"
        'A2,,13800138000,2025-02-05,"1,200.50"\n'
        "A3,,13900000000,2025-02-06,5\n",
        encoding="gb18030",
    )
    args = ("orders", "import", str(path), "--region", "cn")
    dry = run(*args, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["imported"] == 2
    assert stored(url) == 0
    first = run(*args)
    assert json.loads(first.stdout) == {
        "imported": 2,
        "skipped": [],
        "rejected": [{"row": 4, "reason": "no customer with phone '13900000000'"}],
        "dry_run": False,
    }
    second = json.loads(run(*args).stdout)
    assert (second["imported"], second["skipped"]) == (0, [2, 3])
    assert stored(url) == 2


def test_a_file_without_an_amount_column_fails_with_status_1(
    db: tuple[str, int], tmp_path: Path
) -> None:
    path = tmp_path / "o.csv"
    path.write_text("phone,date\n13800138000,2025-01-01\n", encoding="utf-8")
    result = run("orders", "import", str(path), "--region", "CN")
    assert result.exit_code == 1
    assert "no amount column" in result.output


def test_a_missing_file_or_bad_region_is_refused(db: tuple[str, int], tmp_path: Path) -> None:
    missing = run("orders", "import", str(tmp_path / "nope.csv"), "--region", "CN")
    assert missing.exit_code == 1
    assert "no such file" in missing.output
    bad = run("orders", "import", str(tmp_path / "nope.csv"), "--region", "China")
    assert bad.exit_code == 2
    assert "two-letter" in bad.output
