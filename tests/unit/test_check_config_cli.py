"""`hotline check-config FILE`: exit 0 with a one-line summary, exit 2 listing every error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent_ui.cli import config_cmd
from config.center_file import sample_center_path

pytestmark = pytest.mark.unit


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    config_cmd.register(app)

    @app.command("other")
    def other() -> None:
        """A second command, so Typer keeps command names (as the real app does)."""

    return app


def run(app: typer.Typer, *args: str):
    return CliRunner().invoke(app, ["check-config", *args])


def test_sample_center_is_ok(app, tmp_path):
    path = Path(shutil.copy(sample_center_path(), tmp_path / "center.toml"))
    result = run(app, str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == "center.toml: OK (4 queues, 8 agents, 2 menus, 3 numbers)\n"
    assert result.stderr == ""


def test_errors_go_to_stderr_and_exit_2(app, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        '[queues.sales]\nstrategyy = "longest-idle"\noverflow = "queue:salse"\n', encoding="utf-8"
    )
    result = run(app, str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "bad.toml: queues.sales.strategyy: unknown key",
        "bad.toml: queues.sales.overflow: unknown queue 'salse'",
        "bad.toml: 2 errors; not usable",
    ]


def test_syntax_error_exits_2(app, tmp_path):
    path = tmp_path / "center.toml"
    path.write_text("[queues\n", encoding="utf-8")
    result = run(app, str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith("center.toml: line 1, column 8: invalid TOML")
    assert result.stderr.splitlines()[-1] == "center.toml: 1 error; not usable"


def test_missing_file_exits_2_with_a_clear_message(app, tmp_path):
    missing = tmp_path / "nowhere.toml"
    result = run(app, str(missing))
    assert result.exit_code == 2
    assert f"nowhere.toml: cannot read {missing}: No such file or directory" in result.stderr


def test_warnings_are_shown_but_exit_0(app, tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(
        '[skills]\nfrench = ""\n[queues.q]\nskills = { french = 1 }\n'
        '[numbers]\n"100" = "queue:q"\n',
        encoding="utf-8",
    )
    result = run(app, str(path))
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: small.toml: queues.q.skills: no agent has french>=1, so no call in this queue "
        "can be answered\n"
    )
    assert result.stdout == "small.toml: OK (1 queue, 0 agents, 0 menus, 1 number), 1 warning\n"


def test_command_has_help(app):
    result = CliRunner().invoke(app, ["check-config", "--help"])
    assert result.exit_code == 0
    assert "Check a center file" in result.stdout


def test_file_argument_is_required(app):
    result = CliRunner().invoke(app, ["check-config"])
    assert result.exit_code == 2
    assert "FILE" in result.stderr
