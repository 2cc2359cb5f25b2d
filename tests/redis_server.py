"""A throw-away redis-server for tests, run from Debian's binary in a temp directory.

It listens only on a Unix socket in its own directory (`--port 0`: no TCP port to choose or
collide on). Snapshots are off and the append-only file is on, so `stop()` then `start()` on the
same directory brings the data back, as a production restart would: the restart tests need that.
The files live in /dev/shm when it exists.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

REDIS_SERVER = Path("/usr/bin/redis-server")
SHM_DIR = "/dev/shm"
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 15.0
POLL_S = 0.005
INSTALL_HINT = "redis-server not found at {path}: install it with `apt-get install redis-server`"


class RedisUnavailable(RuntimeError):
    """The redis-server binary is missing or the server would not start."""


def _memory_dir() -> str | None:
    return SHM_DIR if os.access(SHM_DIR, os.W_OK) else None


class RedisServer:
    """One redis-server on a Unix socket in a temp directory: `start()`, `url`, `stop()`, `close()`.

    `stop()` keeps the data directory, so a later `start()` is a restart on the same data;
    `close()` stops the server and deletes the directory.
    """

    def __init__(self, binary: Path = REDIS_SERVER) -> None:
        if not binary.exists():
            raise RedisUnavailable(INSTALL_HINT.format(path=binary))
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="hotline-redis-", dir=_memory_dir()))
        self.socket_path = self.root / "redis.sock"
        self.log_file = self.root / "redis.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's URL for `redis.asyncio.Redis.from_url` and `RedisStateStore.from_url`."""
        return f"unix://{self.socket_path}"

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server (on the data already in the directory) and wait until it answers."""
        if self.running:
            raise RuntimeError("redis-server is already running")
        self._process = subprocess.Popen(
            [str(self.binary), *self._options()],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_ready()

    def stop(self) -> None:
        """Shut the server down cleanly (SIGTERM flushes the append-only file); keep the data."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def close(self) -> None:
        """Stop the server and delete its files."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def client(self, retries: int = 0) -> redis.Redis:
        """A blocking client on the server (for set-up and checks in tests); no retries."""
        return redis.Redis(
            unix_socket_path=str(self.socket_path), retry=Retry(NoBackoff(), retries)
        )

    def _options(self) -> list[str]:
        return [
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.root),
            "--save", "",
            "--appendonly", "yes",
            "--logfile", str(self.log_file),
            "--daemonize", "no",
        ]  # fmt: skip

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if not self.running:
                raise RedisUnavailable(f"redis-server exited at start:\n{self._log()}")
            if self.socket_path.exists() and self._answers_ping():
                return
            time.sleep(POLL_S)
        self.stop()
        raise RedisUnavailable(
            f"redis-server did not answer within {START_TIMEOUT_S} s\n{self._log()}"
        )

    def _answers_ping(self) -> bool:
        client = self.client()
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False  # not listening yet, or still loading the append-only file (BUSY)
        finally:
            client.close()

    def _log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else "(no log)"
