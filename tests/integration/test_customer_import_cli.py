"""`hotline import customers` and `hotline export customers` through the Typer app (CliRunner), on a
temp SQLite database found the way an operator configures it: JSON summary on stdout, rejects
file, dry run, exit codes and messages for unusable files, options and databases."""

from __future__ import annotations

import csv
import json
import secrets
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner, Result

from acd.clock import RealClock
from agent_ui.cli import app
from crm_core.customer_rules import CustomerDraft
from crm_core.customers import CustomerService
from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.migrate import upgrade_database
from crm_core.users import Role, UserService

pytestmark = pytest.mark.integration

FILE = (
    "客户名称,手机,邮箱,负责人\r\n"
    "北京甲科技有限公司,13800138000,a@jia.cn,alice\r\n"
    "乙公司,12ab,,bob\r\n"
    "\r\n"
    "甲分部,13800138000,,\r\n"
)


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Settings from the environment; a migrated database with two agents and an admin."""
    for name in ("HOTLINE_CONFIG", "HOTLINE_DATABASE_URL", "HOTLINE_DEMO"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOTLINE_SECRET_KEY", secrets.token_urlsafe(48))
    url = f"sqlite:///{tmp_path / 'data' / 'hotline.db'}"
    upgrade_database(url)
    users = UserService(
        make_sessionmaker(create_db_engine(url)),
        RealClock(),
        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )
    for name, role in (("alice", Role.AGENT), ("bob", Role.AGENT), ("root", Role.ADMIN)):
        users.create(name, role, password="correct horse battery")
    return url


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def summary_of(result: Result) -> dict[str, object]:
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return data


def source(tmp_path: Path, text: str = FILE) -> Path:
    path = tmp_path / "客户.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_given_file_when_imported_then_json_summary_and_rejects_file(
    db_url: str, tmp_path: Path
) -> None:
    path = source(tmp_path)
    summary = summary_of(run("import", "customers", str(path)))
    assert {k: summary[k] for k in ("rows", "imported", "merged", "flagged", "rejected")} == {
        "rows": 4, "imported": 1, "merged": 1, "flagged": 0, "rejected": 2,
    }  # fmt: skip
    rejects = tmp_path / "客户.rejects.csv"
    assert summary["rejects_file"] == str(rejects)
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        rows = {r["import_row"]: r["import_reason"] for r in csv.DictReader(handle)}
    assert rows["3"].startswith("phone '12ab'")
    assert rows["4"] == "blank row"


def test_given_dry_run_and_default_owner_when_imported_then_nothing_stored(
    db_url: str, tmp_path: Path
) -> None:
    path = source(tmp_path, "name,phone\r\nA,13800138000\r\nB,13900139000\r\n")
    rejects = tmp_path / "out" / "r.csv"
    rejects.parent.mkdir()
    args = ["--dry-run", "--owner", "alice", "--rejects", str(rejects)]
    summary = summary_of(run("import", "customers", str(path), *args))
    assert (summary["imported"], summary["dry_run"]) == (2, True)
    assert rejects.exists()
    again = summary_of(run("import", "customers", str(path), "--owner", "alice"))
    assert again["imported"] == 2  # the dry run stored nothing


def test_given_mapping_file_when_imported_then_columns_follow_it(
    db_url: str, tmp_path: Path
) -> None:
    path = source(tmp_path, "Firma,Rufnummer,Kundennummer\r\nACME GmbH,13800138000,K-1\r\n")
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\nFirma = "name"\nRufnummer = "phone"\nKundennummer = "ignore"\n')
    args = ["--mapping", str(mapping), "--owner", "bob"]
    summary = summary_of(run("import", "customers", str(path), *args))
    assert summary["imported"] == 1
    assert summary["ignored_columns"] == ["Kundennummer"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("电话,邮箱\r\n1,2\r\n", "no customer-name column"),
        ("", "the first row is empty"),
    ],
)
def test_given_unusable_file_when_imported_then_exit_1_and_nothing_imported(
    db_url: str, tmp_path: Path, text: str, message: str
) -> None:
    result = run("import", "customers", str(source(tmp_path, text)))
    assert result.exit_code == 1
    assert message in result.stderr
    assert "nothing was imported" in result.stderr
    assert result.stdout == ""


def test_given_gbk_like_bytes_that_are_not_gb18030_when_imported_then_refused(
    db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"name\r\n\x81\x20broken\r\n")
    result = run("import", "customers", str(path))
    assert result.exit_code == 1
    assert "neither UTF-8" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--owner", "nobody"], "--owner: owner 'nobody' is not a Hotline user"),
        (["--batch-size", "0"], "--batch-size must be at least 1"),
    ],
)
def test_given_bad_option_when_imported_then_exit_2(
    db_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    result = run("import", "customers", str(source(tmp_path)), *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_given_missing_file_when_imported_then_usage_error(db_url: str, tmp_path: Path) -> None:
    result = run("import", "customers", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2


def test_given_database_url_option_when_imported_then_that_database_is_used(
    db_url: str, tmp_path: Path
) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    result = run("import", "customers", str(source(tmp_path)), "--database-url", other)
    assert result.exit_code == 1
    assert "run `hotline db upgrade` first" in result.stderr
    upgrade_database(other)
    summary = summary_of(run("import", "customers", str(source(tmp_path)), "--database-url", other))
    assert summary["rejected"] == 4  # no users there: every owner is unknown, or missing


def test_given_customers_when_exported_as_agent_then_only_what_they_see(
    db_url: str, tmp_path: Path
) -> None:
    sessions = make_sessionmaker(create_db_engine(db_url))
    users = UserService(sessions, RealClock())
    service = CustomerService(sessions, RealClock(), "CN")
    alice, bob = users.by_username("alice"), users.by_username("bob")
    assert alice is not None
    assert bob is not None
    service.create(alice, CustomerDraft(name="alice-private", phones=("13800138000",)))
    service.create(bob, CustomerDraft(name="bob-private", phones=("13900139000",)))
    out = tmp_path / "mine.csv"
    result = run("export", "customers", "--out", str(out), "--as", "alice")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{out}: 1 customers"
    text = out.read_text(encoding="utf-8-sig")
    assert "alice-private" in text
    assert "bob-private" not in text
    assert "'+8613800138000" in text
    everything = tmp_path / "all.xlsx"
    result = run("export", "customers", "--out", str(everything))
    assert result.stdout.strip() == f"{everything}: 2 customers"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "x.pdf"], "--format must be csv or xlsx"),
        (["--out", "x.csv", "--as", "nobody"], "--as: no user named 'nobody'"),
        (["--out", "missing/x.csv"], "does not exist"),
    ],
)
def test_given_bad_export_option_when_exported_then_exit_2(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("export", "customers", *args)
    assert result.exit_code == 2
    assert message in result.stderr
