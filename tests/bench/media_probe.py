"""Measuring tools of the media benchmark: a process's CPU from /proc, the one-way delay of a
bridge (a tagged RTP stream sent into one leg and caught on the other), and the reception of
many RTP streams reduced to RFC 3550 loss figures."""

from __future__ import annotations

import os
import socket
import statistics
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TICKS_PER_S = os.sysconf("SC_CLK_TCK")
PROBE_MAGIC = b"HLPB"
FRAME_S = 0.02


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of a process and its threads so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


@dataclass
class CpuWindow:
    """CPU use of one process over a stretch of wall time, as a share of one core."""

    pid: int
    started_cpu: float = 0.0
    started_at: float = 0.0

    def start(self) -> None:
        """Begin the window now."""
        self.started_cpu, self.started_at = cpu_seconds(self.pid), time.monotonic()

    def percent(self) -> float:
        """Percent of one core since `start`."""
        wall = time.monotonic() - self.started_at
        return 100.0 * (cpu_seconds(self.pid) - self.started_cpu) / wall if wall > 0 else 0.0


@dataclass
class LossTally:
    """Legs' RFC 3550 reception figures summed: lost = expected - received, per leg."""

    legs: int = 0
    silent: int = 0
    expected: int = 0
    lost: int = 0

    def add(self, expected: int, received: int) -> None:
        """One leg's figures (a leg that received nothing counts as silent)."""
        self.legs += 1
        if received == 0:
            self.silent += 1
        self.expected += expected
        self.lost += max(0, expected - received)

    @property
    def lost_pct(self) -> float:
        """Frames missing at the receivers, in percent of those expected."""
        return round(100.0 * self.lost / self.expected, 3) if self.expected else 100.0


@dataclass
class DelayProbe:
    """Sends a tagged 20 ms RTP stream from socket `a` to Hotline's side of a bridged call and
    times each packet's arrival on socket `b`, the far leg's media address (same process, same
    clock)."""

    a: socket.socket
    b: socket.socket
    sent: dict[int, int] = field(default_factory=dict)
    arrived: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @classmethod
    def bind(cls, port_a: int, port_b: int) -> DelayProbe:
        """Bind both loopback sockets."""
        sockets = []
        for port in (port_a, port_b):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind(("127.0.0.1", port))
            sock.settimeout(0.2)
            sockets.append(sock)
        return cls(sockets[0], sockets[1])

    def start(self, hotline: tuple[str, int]) -> None:
        """Start sending to `hotline` (the leg's RTP address) and catching."""
        for target, args in ((self._send, (hotline,)), (self._catch, ())):
            thread = threading.Thread(target=target, args=args, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> dict[str, Any]:
        """Stop; the delay's median and 95th percentile in ms, and how many were timed."""
        self._stop.set()
        for thread in self._threads:
            thread.join(2.0)
        self.a.close()
        self.b.close()
        delays = sorted((self.arrived[n] - self.sent[n]) / 1e6 for n in self.arrived)
        if len(delays) < 20:
            return {"median": None, "p95": None, "timed": len(delays)}
        p95 = delays[min(len(delays) - 1, round(0.95 * len(delays)))]
        return {
            "median": round(statistics.median(delays), 3),
            "p95": round(p95, 3),
            "timed": len(delays),
        }

    def _send(self, hotline: tuple[str, int]) -> None:
        n = 0
        next_at = time.monotonic()
        while not self._stop.is_set():
            payload = PROBE_MAGIC + struct.pack("!I", n) + b"\xff" * 152
            header = struct.pack("!BBHII", 0x80, 0, n & 0xFFFF, n * 160, 0x0DE1A7ED)
            self.sent[n] = time.perf_counter_ns()
            self.a.sendto(header + payload, hotline)
            n += 1
            next_at += FRAME_S
            time.sleep(max(0.0, next_at - time.monotonic()))

    def _catch(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.b.recv(2048)
            except TimeoutError:
                continue
            at = time.perf_counter_ns()
            if data[12:16] == PROBE_MAGIC:
                self.arrived[struct.unpack("!I", data[16:20])[0]] = at
