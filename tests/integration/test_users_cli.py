"""`hotline db upgrade|status` and `hotline user add|list` on a temp SQLite database.

Settings come from the environment (`HOTLINE_DATA_DIR`, `HOTLINE_DATABASE_URL`) or a --config file,
as an operator would give them.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner, Result

from acd.clock import RealClock
from agent_ui.cli import app
from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.migrate import current_revision, head_revision, upgrade_database
from crm_core.users import AuthError, UserPublic, UserService

pytestmark = pytest.mark.integration

GOOD = "correct horse battery"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings from the environment: a data dir, a real secret key, no config file."""
    for name in ("HOTLINE_CONFIG", "HOTLINE_DATABASE_URL", "HOTLINE_DEMO"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HOTLINE_SECRET_KEY", secrets.token_urlsafe(48))
    return tmp_path / "data"


@pytest.fixture
def db_url(data_dir: Path) -> str:
    """The data dir's database, migrated."""
    url = f"sqlite:///{data_dir / 'hotline.db'}"
    upgrade_database(url)
    return url


def _run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin)


def _service(url: str) -> UserService:
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return UserService(make_sessionmaker(create_db_engine(url)), RealClock(), cheap)


def _user(url: str, name: str) -> UserPublic | None:
    return _service(url).by_username(name)


# --- db -----------------------------------------------------------------------------------------


def test_given_empty_data_dir_when_db_upgrade_then_database_is_created_at_head(
    data_dir: Path,
) -> None:
    result = _run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"to schema {head_revision()}" in result.output
    assert current_revision(f"sqlite:///{data_dir / 'hotline.db'}") == head_revision()
    again = _run("db", "upgrade")
    assert again.exit_code == 0
    assert "already at schema" in again.output


def test_db_upgrade_uses_database_url_from_the_environment(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere" / "records.db"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{elsewhere}")
    assert _run("db", "upgrade").exit_code == 0
    assert current_revision(f"sqlite:///{elsewhere}") == head_revision()
    assert not (data_dir / "hotline.db").exists()


def test_db_upgrade_reads_a_config_file(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOTLINE_DATA_DIR")  # the environment would beat the file
    other = tmp_path / "from-file"
    config = tmp_path / "hotline.toml"
    config.write_text(f'data_dir = "{other}"\n')
    result = _run("db", "upgrade", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert (other / "hotline.db").exists()


def test_db_upgrade_with_unusable_settings_says_what_to_fix(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOTLINE_SECRET_KEY")
    result = _run("db", "upgrade")
    assert result.exit_code == 1
    assert "HOTLINE_SECRET_KEY" in result.output
    assert not data_dir.exists()


def test_db_status_before_and_after_upgrade(data_dir: Path) -> None:
    before = _run("db", "status")
    assert before.exit_code == 0
    assert "hotline db upgrade" in before.output
    assert not (data_dir / "hotline.db").exists()
    _run("db", "upgrade")
    assert "up to date" in _run("db", "status").output


def test_db_upgrade_refuses_a_database_from_a_newer_hotline(db_url: str) -> None:
    engine = create_db_engine(db_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    engine.dispose()
    result = _run("db", "upgrade")
    assert result.exit_code == 1
    assert "newer Hotline" in result.output


# --- user add -----------------------------------------------------------------------------------


def test_user_add_before_db_upgrade_says_to_upgrade(data_dir: Path) -> None:
    result = _run("user", "add", "alice", "--role", "admin", "--generate")
    assert result.exit_code == 1
    assert "hotline db upgrade" in result.output


def test_given_generate_when_user_added_then_password_printed_once_and_must_change(
    db_url: str,
) -> None:
    result = _run("user", "add", "Alice", "--role", "admin", "--generate")
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1].rsplit(" ", 1)[-1]
    assert result.output.count(password) == 1
    user = _service(db_url).authenticate("alice", password)
    assert user.must_change_password
    assert user.role == "admin"


def test_given_prompted_password_when_user_added_then_it_authenticates(db_url: str) -> None:
    result = _run("user", "add", "bob", "--role", "AGENT", "--agent-id", "a7",
                  "--display-name", "Bob B.", stdin=f"{GOOD}\n{GOOD}\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert GOOD not in result.output
    user = _service(db_url).authenticate("bob", GOOD)
    assert (user.role, user.agent_id, user.display_name) == ("agent", "a7", "Bob B.")
    assert not user.must_change_password


def test_weak_password_exits_1_and_saves_nothing(db_url: str) -> None:
    result = _run("user", "add", "bob", "--role", "agent", stdin="short\nshort\n")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert _user(db_url, "bob") is None


def test_mismatched_confirmation_saves_nothing(db_url: str) -> None:
    result = _run("user", "add", "bob", "--role", "agent", stdin=f"{GOOD}\n{GOOD}x\n")
    assert result.exit_code != 0
    assert _user(db_url, "bob") is None


def test_existing_user_exits_1_without_asking_for_a_password(db_url: str) -> None:
    _service(db_url).create("alice", "admin", password=GOOD)
    result = _run("user", "add", "ALICE", "--role", "agent", stdin=f"{GOOD}2\n{GOOD}2\n")
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert "Password" not in result.output
    with pytest.raises(AuthError):
        _service(db_url).authenticate("alice", f"{GOOD}2")


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["bad name", "--role", "agent", "--generate"], 1),
        (["bob", "--role", "owner", "--generate"], 2),
        (["bob", "--generate"], 2),
    ],
)
def test_bad_arguments_are_refused_and_save_nothing(
    db_url: str, args: list[str], code: int
) -> None:
    result = _run("user", "add", *args)
    assert result.exit_code == code
    assert _service(db_url).list_users() == []


# --- user list ----------------------------------------------------------------------------------


def test_user_list_when_empty_says_how_to_add(db_url: str) -> None:
    result = _run("user", "list")
    assert result.exit_code == 0
    assert "hotline user add" in result.output


def test_user_list_shows_every_user_with_role_agent_and_status(db_url: str) -> None:
    service = _service(db_url)
    service.create("carol", "supervisor", password=GOOD, display_name="Carol C.")
    agent, _ = service.create("dave", "agent", agent_id="a3")
    service.deactivate(service.create("eve", "agent", password=GOOD)[0].id)
    lines = _run("user", "list").output.strip().splitlines()
    assert lines[0].split() == ["ID", "USERNAME", "ROLE", "AGENT", "STATUS", "NAME"]
    assert [line.split()[1] for line in lines[1:]] == ["carol", "dave", "eve"]
    assert "Carol C." in lines[1]
    assert "a3" in lines[2]
    assert "must change password" in lines[2]
    assert "inactive" in lines[3]
    assert agent.must_change_password
