"""A throw-away PostgreSQL server for tests, run from Debian's binaries in a temp directory.

It listens only on a Unix socket in its own directory (no TCP port to choose or collide on) and
trusts local connections. PostgreSQL refuses to run as root, so when the tests run as root the
server's files belong to the `postgres` user and its programs run through `runuser`.
Durability is switched off (fsync, full-page writes) and the files live in /dev/shm when it exists:
the data lives only as long as the tests.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

PG_ROOT = Path("/usr/lib/postgresql")
SHM_DIR = "/dev/shm"
SERVICE_USER = "postgres"
START_TIMEOUT_S = 60
COMMAND_TIMEOUT_S = 120
FILE_COPY_SINCE = 15  # CREATE DATABASE ... STRATEGY appeared in PostgreSQL 15
INSTALL_HINT = (
    "PostgreSQL server binaries not found: install them with `apt-get install postgresql`"
)
_FAST_UNSAFE = ("fsync=off", "full_page_writes=off", "synchronous_commit=off")


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL binaries are missing or the server would not start."""


def _memory_dir() -> str | None:
    """A RAM-backed directory if there is one: creating a database there is ~10x faster."""
    return SHM_DIR if os.access(SHM_DIR, os.W_OK) else None


def _version(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in bin_dir.parent.name.split("."))


def find_pg_bin(root: Path = PG_ROOT) -> Path:
    """The bin directory of the newest installed PostgreSQL that has initdb and pg_ctl."""
    candidates = [
        d / "bin"
        for d in root.glob("*")
        if re.fullmatch(r"\d+(\.\d+)?", d.name)
        and (d / "bin" / "initdb").exists()
        and (d / "bin" / "pg_ctl").exists()
    ]
    if not candidates:
        raise PostgresUnavailable(f"{INSTALL_HINT} (looked in {root}/*/bin)")
    return max(candidates, key=_version)


class PostgresServer:
    """One PostgreSQL cluster in a temp directory; `start()`, then `url(db)`, then `stop()`."""

    def __init__(self, bin_dir: Path | None = None, settings: tuple[str, ...] = ()) -> None:
        self.bin_dir = bin_dir or find_pg_bin()
        self.settings = settings  # more `name=value` server settings (benchmarks size memory)
        self.version = _version(self.bin_dir)
        self.root = Path(tempfile.mkdtemp(prefix="hotline-pg-", dir=_memory_dir()))
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log_file = self.root / "server.log"
        self._as_root = os.geteuid() == 0

    def start(self) -> None:
        """Create the cluster and start the server; PostgresUnavailable (with the log) if not."""
        self.socket_dir.mkdir()
        if self._as_root:
            shutil.chown(self.root, SERVICE_USER, SERVICE_USER)
            shutil.chown(self.socket_dir, SERVICE_USER, SERVICE_USER)
        settings = ["listen_addresses=''", f"unix_socket_directories={self.socket_dir}"]
        options = " ".join(f"-c {s}" for s in (*settings, *_FAST_UNSAFE, *self.settings))
        data = str(self.data_dir)
        self._run("initdb", "-D", data, "-U", SERVICE_USER, "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")  # fmt: skip
        self._run("pg_ctl", "-D", data, "-l", str(self.log_file), "-o", options, "-w",
                  "-t", str(START_TIMEOUT_S), "start")  # fmt: skip

    def stop(self) -> None:
        """Stop the server at once and delete its files."""
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        """A SQLAlchemy URL for `database` on this server, over its Unix socket."""
        return f"postgresql+psycopg://{SERVICE_USER}@/{database}?host={self.socket_dir}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create a database (optionally a copy of `template`) and return its URL."""
        statement: sql.Composed = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
            if self.version[0] >= FILE_COPY_SINCE:
                # Copying the files is much faster than WAL-logging a small template.
                statement = sql.SQL("{} STRATEGY FILE_COPY").format(statement)
        self._admin(statement)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any connection a test left open."""
        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _admin(self, statement: sql.Composed) -> None:
        with psycopg.connect(
            host=str(self.socket_dir), user=SERVICE_USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(statement)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self._as_root:
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        done = subprocess.run(
            command,
            cwd=self.root,
            capture_output=True,
            text=True,
            check=False,
            timeout=COMMAND_TIMEOUT_S,
        )
        if done.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise PostgresUnavailable(
                f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{log}".strip()
            )
