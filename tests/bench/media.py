"""Benchmark: RTP media load on Hotline's SIP/RTP engine, and the same load on a pyVoIP endpoint.

Run: python tests/bench/media.py [--quick] [--legs 50,100,200] [--hold 30] [--skip-pyvoip]

Needs SIPp (Debian `sip-tester`) and pyVoIP (test dependency); everything runs on loopback.

Hotline, for each number of legs L (its own process, `media_hotline.py`): L/2 agents register
their extensions with digest authentication (a SIPp REGISTER run) and log in; their phones are
one SIPp UAS that answers every call and echoes the RTP it hears (`-rtp_echo`). L/2 SIPp callers
(25 new calls a second) dial the queue's number; each plays a G.711 µ-law tone for `--hold`
seconds (`play_pcap_audio`, 50 packets a second) and hangs up. Hotline answers, puts the caller
on hold music, rings an agent's phone and bridges the two legs; the echo returns through the
bridge, so every leg carries 50 packets a second in each direction. After the ramp, Hotline's
CPU (user + system, from /proc) is measured over a window while all calls are up.

pyVoIP, for the same L (`media_pyvoip.py`): L SIPp callers, same audio, straight to one pyVoIP
1.6.8 phone that answers every call and reads its audio every 20 ms, as an application would.

lost_pct is RTP frames missing at the receiver (Hotline's legs, or pyVoIP's calls): RFC 3550
A.3 over each leg (expected from the sequence numbers minus received), summed. failed counts
calls SIPp reports failed plus legs that received no media at all. For pyVoIP, send_missing_pct
is the other direction: of the 50 frames a second each call owed the caller, the share its
transmitter thread never sent (it paces itself with sleep and falls behind when starved); the
caller hears those as gaps although no sequence number is skipped. Hotline's legs send only
what they relay, packet for packet, so they have no such shortfall.

bridge_delay_ms: during the largest Hotline step one more call is bridged between two sockets
of this process (probe queue 599); a tagged 20 ms stream is sent into the caller's leg and each
packet's arrival on the agent's side is timed (median and 95th percentile, ms). It includes the
two loopback hops and this process's own wake-up, so it bounds the bridge's delay from above.

Prints one JSON object as its last line:
{"hotline": [{"legs", "cpu_pct", "lost_pct", "failed", ...}], "pyvoip": [...],
 "bridge_delay_ms": {"median", "p95", "timed"}, "load_avg"}.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(BENCH)]

from integration.sip_carrier_support import tone_pcap  # noqa: E402
from media_probe import CpuWindow, DelayProbe, LossTally  # noqa: E402

SIPP_DATA = ROOT / "tests" / "data" / "sipp"
CALLS_PER_S = 25
CALLER_SIP, AGENTS_SIP, PROBE_AGENT_SIP, PROBE_CALLER_SIP = 15060, 15070, 15080, 15090
PROBE_A, PROBE_B = 17010, 17012  # the probe call's two media sockets in this process
HOTLINE_RTP, PYVOIP_RTP, PYVOIP_SIP = 20000, 30000, 15100


def sipp(work: Path, *args: str, target: str | None = None) -> subprocess.Popen[bytes]:
    """Start SIPp in `work` (no keyboard, errors traced to a file there)."""
    command = ["sipp", *([target] if target else []), "-nostdin", "-trace_err", *args]
    return subprocess.Popen(command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def finished(process: subprocess.Popen[bytes], timeout: float) -> int:
    """Wait for a process; kill it if it overstays."""
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def stop(process: subprocess.Popen[Any]) -> None:
    """End a helper that runs until told."""
    if process.poll() is None:
        process.terminate()
        finished(process, 10)


def failed_calls(stat_file: Path) -> tuple[int, int]:
    """(successful, failed) calls from SIPp's statistics file."""
    rows = list(csv.DictReader(stat_file.open(), delimiter=";")) if stat_file.exists() else []
    if not rows:
        return 0, 0
    return int(rows[-1]["SuccessfulCall(C)"]), int(rows[-1]["FailedCall(C)"])


def prepare(work: Path, hold_s: float) -> None:
    """Scenarios, the callers' audio, and the probe's two scenarios with fixed media ports."""
    work.mkdir(parents=True, exist_ok=True)
    for name in ("caller_speaks.xml", "bench_register.xml", "bench_registrar.xml"):
        shutil.copy(SIPP_DATA / name, work / name)
    (work / "caller-tone.pcap").write_bytes(tone_pcap(1000.0, hold_s))
    caller = (SIPP_DATA / "caller_speaks.xml").read_text()
    probe_caller = caller.replace("[media_port]", str(PROBE_A))
    probe_caller = probe_caller.replace(
        '<nop><action><exec play_pcap_audio="caller-tone.pcap"/></action></nop>', ""
    )
    (work / "probe_caller.xml").write_text(probe_caller)
    uas = subprocess.run(
        ["sipp", "-sd", "uas"], capture_output=True, text=True, check=False
    )  # exits 99
    (work / "agent_uas.xml").write_text(uas.stdout)
    (work / "probe_uas.xml").write_text(uas.stdout.replace("[media_port]", str(PROBE_B)))


class Node:
    """A benchmark process answering lines on stdin with lines on stdout."""

    def __init__(self, log: Path, *command: str) -> None:
        with log.open("w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, *command], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=stderr, text=True,
            )  # fmt: skip

    def read(self) -> str:
        """The next line it prints."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark node {self.process.args} stopped")
        return line.strip()

    def ask(self, line: str) -> str:
        """Send a line and return the answer."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.read()

    def quit(self) -> None:
        """Ask it to stop, and make sure it does."""
        assert self.process.stdin is not None
        self.process.stdin.write("quit\n")
        self.process.stdin.flush()
        finished(self.process, 30)  # type: ignore[arg-type]


def register_agents(work: Path, sip_port: int, agents: int) -> None:
    """Register every bench extension (and the probe's) with Hotline's registrar: one SIPp run
    per extension (SIPp takes digest credentials only from its command line), each from the port
    its phone answers on (the registrar rings the address a phone registered from)."""
    from media_hotline import PROBE_EXTENSION, extensions, password

    phones = [(ext, AGENTS_SIP) for ext in extensions(agents)] + [
        (PROBE_EXTENSION, PROBE_AGENT_SIP)
    ]
    for ext, port in phones:
        (work / f"phone-{ext}.csv").write_text(f"SEQUENTIAL\n{ext};{port}\n")
        run = sipp(
            work, "-sf", "bench_register.xml", "-inf", f"phone-{ext}.csv", "-m", "1",
            "-au", ext, "-ap", password(ext), "-p", str(port), "-mp", "16400",
            target=f"127.0.0.1:{sip_port}",
        )  # fmt: skip
        if finished(run, 30) != 0:
            raise RuntimeError(f"phone {ext} could not register (see *_errors.log in {work})")


def hotline_step(
    work: Path, legs: int, hold_s: float, probe: bool, loop: str = "uvloop"
) -> dict[str, Any]:
    """One Hotline run at `legs` legs; the delay probe rides along when asked."""
    callers = legs // 2
    node = Node(work / "node.log", str(BENCH / "media_hotline.py"), "--agents", str(callers),
                "--rtp-first", str(HOTLINE_RTP), "--work", str(work), "--loop", loop)  # fmt: skip
    helpers: list[subprocess.Popen[bytes]] = []
    try:
        sip_port = int(node.read().split()[1])
        target = f"127.0.0.1:{sip_port}"
        register_agents(work, sip_port, callers)
        helpers.append(
            sipp(work, "-sf", "agent_uas.xml", "-p", str(AGENTS_SIP), "-mp", "16100", "-rtp_echo")
        )
        helpers.append(
            sipp(work, "-sf", "probe_uas.xml", "-p", str(PROBE_AGENT_SIP), "-mp", "16200")
        )
        time.sleep(1.0)
        node.ask("login")
        time.sleep(1.0)
        stat = work / f"hotline-{legs}.csv"
        run = _callers(work, target, "500", callers, hold_s, stat)
        ramp_s = callers / CALLS_PER_S
        window_s = max(4.0, hold_s - 8.0)
        time.sleep(ramp_s + 2.0)
        delay_probe = DelayProbe.bind(PROBE_A, PROBE_B) if probe else None
        if delay_probe is not None:
            helpers.append(sipp(work, "-sf", "probe_caller.xml", "-s", "599", "-m", "1",
                                "-d", str(int(window_s * 1000)), "-p", str(PROBE_CALLER_SIP),
                                "-mp", "16300", target=target))  # fmt: skip
            delay_probe.start(("127.0.0.1", _leg_port(node, PROBE_A)))
        cpu = CpuWindow(node.process.pid)
        cpu.start()
        time.sleep(window_s)
        cpu_pct = cpu.percent()
        finished(run, hold_s + ramp_s + 60)
        delay = delay_probe.stop() if delay_probe is not None else None
        time.sleep(1.0)
        result = _tally(json.loads(node.ask("report"))["legs"], stat)
    finally:
        for helper in helpers:
            stop(helper)
        node.quit()
    row = {"legs": legs, "loop": loop, "cpu_pct": round(cpu_pct, 1), **result}
    return {"row": row, "delay": delay}


def _leg_port(node: Node, far_port: int) -> int:
    """Hotline's RTP port on the leg whose far end is `far_port`, once the call is up."""
    for _ in range(100):
        port = int(node.ask(f"port-facing {far_port}"))
        if port:
            return port
        time.sleep(0.1)
    raise RuntimeError(f"no call leg faces port {far_port}")


def _callers(
    work: Path, target: str, service: str, calls: int, hold_s: float, stat: Path
) -> subprocess.Popen[bytes]:
    """SIPp callers dialling `service`, each playing the tone for `hold_s`, then hanging up."""
    return sipp(
        work, "-sf", "caller_speaks.xml", "-s", service,
        "-r", str(CALLS_PER_S), "-m", str(calls), "-l", str(calls), "-d", str(int(hold_s * 1000)),
        "-p", str(CALLER_SIP), "-mp", "16000", "-trace_stat", "-stf", stat.name, "-fd", "1",
        target=target,
    )  # fmt: skip


def _tally(legs: list[dict[str, int]], stat: Path) -> dict[str, Any]:
    """Loss over the legs (the probe's left out) and the failures SIPp saw."""
    tally = LossTally()
    for leg in legs:
        if leg.get("remote") in (PROBE_A, PROBE_B):
            continue
        tally.add(leg["expected"], leg["received"])
    ok, failed = failed_calls(stat)
    return {
        "lost_pct": tally.lost_pct, "failed": failed + tally.silent, "calls_ok": ok,
        "silent_legs": tally.silent, "frames_expected": tally.expected, "frames_lost": tally.lost,
    }  # fmt: skip


def pyvoip_step(work: Path, legs: int, hold_s: float) -> dict[str, Any]:
    """One pyVoIP run at `legs` calls, each one leg on the phone."""
    registrar = sipp(work, "-sf", "bench_registrar.xml", "-m", "1", "-p", str(CALLER_SIP),
                     "-mp", "16000")  # fmt: skip
    time.sleep(0.5)
    node = Node(work / "node.log", str(BENCH / "media_pyvoip.py"), "--server-port", str(CALLER_SIP),
                "--sip-port", str(PYVOIP_SIP), "--rtp-first", str(PYVOIP_RTP),
                "--rtp-last", str(PYVOIP_RTP + 4 * legs + 100))  # fmt: skip
    try:
        node.read()
        if finished(registrar, 20) != 0:
            raise RuntimeError("pyVoIP did not register with the SIPp registrar")
        stat = work / f"pyvoip-{legs}.csv"
        run = _callers(work, f"127.0.0.1:{PYVOIP_SIP}", "bench", legs, hold_s, stat)
        ramp_s = legs / CALLS_PER_S
        time.sleep(ramp_s + 2.0)
        cpu = CpuWindow(node.process.pid)
        cpu.start()
        time.sleep(max(4.0, hold_s - 8.0))
        cpu_pct = cpu.percent()
        finished(run, hold_s + ramp_s + 60)
        time.sleep(1.0)
        answer = json.loads(node.ask("report"))
        result = _tally(answer["legs"], stat)
        never = max(0, legs - len(answer["legs"]) - result["failed"])
        result["failed"] += never  # calls whose media never reached pyVoIP at all
        due, missing = answer["send_due"], answer["send_missing"]
        result["send_missing_pct"] = round(100.0 * missing / due, 3) if due else None
    finally:
        stop(registrar)
        node.quit()
    return {"legs": legs, "cpu_pct": round(cpu_pct, 1), **result}


def main() -> None:
    """Run the steps and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 legs, 12 s calls")
    parser.add_argument("--legs", default="50,100,200", help="comma-separated leg counts")
    parser.add_argument("--hold", type=float, default=30.0, help="seconds each caller talks")
    parser.add_argument("--skip-pyvoip", action="store_true")
    parser.add_argument("--skip-hotline", action="store_true")
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop",
                        help="Hotline's event loop (hotline serve uses uvloop)")  # fmt: skip
    parser.add_argument("--work", help="keep SIPp's logs in this folder instead of a temporary one")
    args = parser.parse_args()
    steps = [20] if args.quick else [int(n) for n in args.legs.split(",")]
    hold_s = 12.0 if args.quick else args.hold
    figures: dict[str, Any] = {"hotline": [], "pyvoip": [], "bridge_delay_ms": None}
    with tempfile.TemporaryDirectory(prefix="hotline-media-") as scratch:
        tmp = args.work or scratch
        for legs in [] if args.skip_hotline else steps:
            work = Path(tmp) / f"hotline-{legs}"
            prepare(work, hold_s)
            step = hotline_step(work, legs, hold_s, probe=legs == max(steps), loop=args.loop)
            figures["hotline"].append(step["row"])
            figures["bridge_delay_ms"] = step["delay"] or figures["bridge_delay_ms"]
            print(json.dumps(step["row"]), file=sys.stderr, flush=True)
        for legs in [] if args.skip_pyvoip else steps:
            work = Path(tmp) / f"pyvoip-{legs}"
            prepare(work, hold_s)
            figures["pyvoip"].append(pyvoip_step(work, legs, hold_s))
            print(json.dumps(figures["pyvoip"][-1]), file=sys.stderr, flush=True)
    figures["load_avg"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
