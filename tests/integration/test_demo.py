"""`hotline demo` as a real process: passwords shown once, login over HTTP, calls appear, SIGINT.

The server binds port 0 and prints the URL with the port it got, which the test reads.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from acd.clock import RealClock
from agent_ui.cli.server_cmd import account_lines
from agent_ui.demo import DemoAccount, ensure_secret_key, plan_accounts
from config.center import AgentDef, Center
from config.settings import load_settings
from crm_core.db import create_db_engine, make_sessionmaker
from crm_core.migrate import upgrade_database
from crm_core.users import Role, UserService

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

STARTUP_TIMEOUT_S = 60.0
CALLS_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
POLL_S = 0.5
ARRIVAL_RATE = "5"
URL_LINE = re.compile(r"Hotline demo running at (http://\S+)")
SERVE_LINE = re.compile(r"Hotline serving at (http://\S+)")
SECRET = "serve-test-secret-Qm3Zr8Xw1Lk5Vb9Tn2Hc7Pd4"
CLI = "from agent_ui.cli import main; main()"


@dataclass
class CliProcess:
    """A running `hotline` command and the lines it has printed on stdout so far."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def start_reader(self) -> None:
        def pump() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.lines.put(line.rstrip("\n"))
            self.lines.put(None)

        threading.Thread(target=pump, daemon=True).start()

    def wait_for(self, pattern: re.Pattern[str], timeout_s: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"hotline exited ({self.process.wait()}); it printed: {self.seen}")
            self.seen.append(line)
            if match := pattern.search(line):
                return match
        pytest.fail(f"no line matching {pattern.pattern!r} in {timeout_s} s; got {self.seen}")

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=STOP_TIMEOUT_S)
        self.drain()
        return code

    def drain(self) -> None:
        while (line := self.lines.get(timeout=STOP_TIMEOUT_S)) is not None:
            self.seen.append(line)


@pytest.fixture
def start_cli(tmp_path: Path) -> Iterator[Callable[..., CliProcess]]:
    """Start `hotline ARGS...` with a clean HOTLINE_* environment plus `env`."""
    started: list[CliProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> CliProcess:
        log = (tmp_path / f"cli-{len(started)}.log").open("w")
        clean = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        process = subprocess.Popen(
            [sys.executable, "-c", CLI, *args],
            stdout=subprocess.PIPE,
            stderr=log,  # uvicorn's log, to a file so a full pipe can never block the server
            text=True,
            env={**clean, **(env or {})},
        )
        log.close()
        cli = CliProcess(process)
        cli.start_reader()
        started.append(cli)
        return cli

    yield start
    for cli in started:
        if cli.process.poll() is None:
            cli.process.kill()
            cli.process.wait()


@pytest.fixture
def start_demo(start_cli: Callable[..., CliProcess]) -> Callable[[Path], CliProcess]:
    def start(data_dir: Path) -> CliProcess:
        return start_cli(
            "demo", "--data-dir", str(data_dir), "--port", "0", "--arrival-rate", ARRIVAL_RATE
        )

    return start


def admin_password(lines: list[str]) -> str:
    for line in lines:
        fields = line.split()
        if fields[:2] == ["admin", "admin"]:
            return fields[2]
    pytest.fail(f"no admin password in {lines}")


def wait_for_calls(client: httpx.Client) -> list[dict[str, object]]:
    deadline = time.monotonic() + CALLS_TIMEOUT_S
    while time.monotonic() < deadline:
        response = client.get("/api/calls/recent")
        assert response.status_code == 200, response.text
        if calls := response.json():
            return calls
        time.sleep(POLL_S)
    pytest.fail(f"no call record within {CALLS_TIMEOUT_S} s")


def test_given_fresh_data_dir_when_demo_runs_then_login_works_and_calls_appear(
    tmp_path, start_demo
):
    data_dir = tmp_path / "data"
    demo = start_demo(data_dir)
    url = demo.wait_for(URL_LINE, STARTUP_TIMEOUT_S).group(1)
    password = admin_password(demo.seen)
    assert stat.S_IMODE((data_dir / "secret_key").stat().st_mode) == 0o600

    with httpx.Client(base_url=url, timeout=10) as client:
        assert client.get("/healthz").json()["status"] == "ok"
        wrong = client.post("/api/auth/login", json={"username": "admin", "password": "nope"})
        assert wrong.status_code == 401
        login = client.post("/api/auth/login", json={"username": "admin", "password": password})
        assert login.status_code == 200, login.text
        calls = wait_for_calls(client)
        assert calls[0]["call_id"]
        assert client.get("/api/stats/today").json()["offered"] >= 0

    assert demo.interrupt() == 0
    assert "Hotline demo stopped." in demo.seen
    key = (data_dir / "secret_key").read_text()

    again = start_demo(data_dir)
    url = again.wait_for(URL_LINE, STARTUP_TIMEOUT_S).group(1)
    assert not any(password in line for line in again.seen)
    assert any("already exist" in line for line in again.seen)
    with httpx.Client(base_url=url, timeout=10) as client:
        relogin = client.post("/api/auth/login", json={"username": "admin", "password": password})
        assert relogin.status_code == 200
    assert again.interrupt() == 0
    assert (data_dir / "secret_key").read_text() == key


def test_given_a_placeholder_secret_file_then_demo_refuses_and_says_what_to_do(
    tmp_path, start_demo
):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "secret_key").write_text("change-me\n")
    demo = start_demo(data_dir)
    code = demo.process.wait(timeout=STARTUP_TIMEOUT_S)
    demo.drain()
    assert code == 1
    log = (tmp_path / "cli-0.log").read_text()
    assert "placeholder" in log
    assert "Delete the file" in log


def test_given_migrated_database_when_serving_then_login_works_and_sigint_stops_it(
    tmp_path, start_cli
):
    data_dir = tmp_path / "srv"
    env = {
        "HOTLINE_DATA_DIR": str(data_dir),
        "HOTLINE_SECRET_KEY": SECRET,
        "HOTLINE_HTTP_PORT": "0",
    }
    settings = load_settings(data_dir=data_dir, secret_key=SECRET)
    upgrade_database(settings.db_url)
    engine = create_db_engine(settings.db_url)
    try:
        UserService(make_sessionmaker(engine), RealClock()).create(
            "root", Role.ADMIN, password="a long enough password"
        )
    finally:
        engine.dispose()
    server = start_cli("serve", env=env)
    url = server.wait_for(SERVE_LINE, STARTUP_TIMEOUT_S).group(1)
    with httpx.Client(base_url=url, timeout=10) as client:
        body = {"username": "root", "password": "a long enough password"}
        assert client.post("/api/auth/login", json=body).status_code == 200
        assert client.get("/metrics").status_code == 200
    assert server.interrupt() == 0


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"HOTLINE_SECRET_KEY": "change-me"}, "placeholder"),
        ({"HOTLINE_SECRET_KEY": SECRET}, "hotline db upgrade"),
    ],
)
def test_serve_refuses_to_start_and_says_why(tmp_path, start_cli, env, message):
    server = start_cli("serve", env={"HOTLINE_DATA_DIR": str(tmp_path / "none"), **env})
    assert server.process.wait(timeout=STARTUP_TIMEOUT_S) == 1
    server.drain()
    assert message in (tmp_path / "cli-0.log").read_text()


def test_plan_has_staff_and_one_user_per_agent_or_a_plain_agent():
    center = Center(agents={"1001": AgentDef(name="Li Na", extension="1001")})
    plans = plan_accounts(center)
    assert [(p.username, p.role, p.agent_id) for p in plans] == [
        ("admin", Role.ADMIN, None),
        ("supervisor", Role.SUPERVISOR, None),
        ("1001", Role.AGENT, "1001"),
    ]
    assert [p.username for p in plan_accounts(Center())][-1] == "agent"


def test_agent_ids_that_are_not_usernames_become_stable_usernames():
    center = Center(agents={"_Desk 7": AgentDef(name="Desk", extension="1007")})
    first = plan_accounts(center)[-1]
    assert first.username == "desk-7"
    assert plan_accounts(center)[-1] == first
    assert first.agent_id == "_Desk 7"


def test_secret_key_is_made_private_once_and_reused(tmp_path):
    data_dir = tmp_path / "fresh"
    key = ensure_secret_key(data_dir)
    path = data_dir / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) & 0o077 == 0
    path.chmod(0o644)
    assert ensure_secret_key(data_dir) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_existing_users_are_listed_without_passwords(tmp_path):
    settings = load_settings(demo=True, data_dir=tmp_path)
    lines = account_lines(
        [DemoAccount("admin", Role.ADMIN, None), DemoAccount("new", Role.AGENT, "s3cret-pw")],
        settings,
    )
    text = "\n".join(lines)
    assert "s3cret-pw" in text  # the new one, once
    assert "already exist: admin." in text
    assert f"HOTLINE_DEMO=1 HOTLINE_DATA_DIR={tmp_path} hotline user list" in text
