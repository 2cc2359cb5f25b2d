"""Hotline's side of the media benchmark: one process running the real SIP carrier, routing
engine and media layer, driven by `tests/bench/media.py` over stdin/stdout.

Run by the driver as `python tests/bench/media_hotline.py --agents N --rtp-first P --work DIR`.
The center has a queue `bench` (number 500) staffed by N agents on extensions 3001.., and a
queue `probe` (number 599) with one agent on extension 2999 whose phone is the driver's delay
probe. It prints `ready <sip port>` once listening, then answers these lines on stdin:

- `login`: every agent logs in (their phones registered before);
- `port-facing P`: our RTP port on the leg whose far end is port P (0 if none yet);
- `report`: one JSON line with each RTP leg's reception figures (RFC 3550 A.3: packets expected
  from the sequence numbers, packets received) and what it sent;
- `quit`: stop.

Every RTP endpoint the carrier opens is recorded by wrapping `RtpEndpoint.attach`; nothing else
of the product is changed for the benchmark.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from integration.sip_carrier_support import start_harness, time_now, write_prompts  # noqa: E402

from acd import events as ev  # noqa: E402
from agent_ui.cli.log_setup import configure_logging  # noqa: E402
from agent_ui.cli.server_cmd import run_loop  # noqa: E402
from config.center import AgentDef, Center, QueueDef  # noqa: E402
from config.telephony import MediaDef, SipDef, TelephonyDef, TrunkDef  # noqa: E402
from telephony.media.rtp_endpoint import RtpEndpoint  # noqa: E402

PROBE_EXTENSION = "2999"
FIRST_EXTENSION = 3001
ENDPOINTS: list[RtpEndpoint] = []


def _recording_attach() -> None:
    """Keep every endpoint the carrier binds, for the report."""
    attach = RtpEndpoint.attach

    def attach_and_keep(self: RtpEndpoint, *args: Any) -> None:
        ENDPOINTS.append(self)
        attach(self, *args)

    RtpEndpoint.attach = attach_and_keep  # type: ignore[method-assign]


def extensions(agents: int) -> list[str]:
    """The bench agents' extensions."""
    return [str(FIRST_EXTENSION + n) for n in range(agents)]


def password(extension: str) -> str:
    """The bench phone password of an extension (a throw-away center on loopback)."""
    return f"bench-{extension}-pass"


def bench_center(agents: int) -> Center:
    """Queue `bench` (500) with `agents` agents, queue `probe` (599) with the probe agent."""
    staff = {
        f"b{ext}": AgentDef(name=f"Bench {ext}", extension=ext, skills={"bench": 1})
        for ext in extensions(agents)
    }
    staff["probe"] = AgentDef(name="Probe", extension=PROBE_EXTENSION, skills={"probe": 1})
    return Center(
        queues={
            "bench": QueueDef(skills={"bench": 1}, ring_timeout_s=20.0),
            "probe": QueueDef(skills={"probe": 1}, ring_timeout_s=20.0),
        },
        agents=staff,
        numbers={"500": "queue:bench", "599": "queue:probe"},
    )


def telephony(work: Path, rtp_first: int, legs: int) -> TelephonyDef:
    """Loopback SIP on a free port; an RTP range with room for every leg."""
    return TelephonyDef(
        # SIPp answers only an MD5 challenge, and takes the first one offered
        sip=SipDef(bind_host="127.0.0.1", bind_port=0, digest_algorithms=["MD5"]),
        media=MediaDef(
            rtp_first_port=rtp_first,
            rtp_last_port=rtp_first + 2 * legs + 40,
            prompts_dir=write_prompts(work / "prompts"),
            voicemail_dir=work / "voicemail",
        ),
        trunks={"loopback": TrunkDef(addresses=["127.0.0.1/32"])},
    )


def report() -> dict[str, Any]:
    """Each leg's reception and sending figures."""
    legs = []
    for endpoint in ENDPOINTS:
        stats = endpoint.stats
        legs.append(
            {
                "port": endpoint.local_port,
                "expected": stats.expected if stats is not None else 0,
                "received": stats.received if stats is not None else 0,
                "sent": endpoint.sent_packets,
                "remote": endpoint.remote[1] if endpoint.remote is not None else None,
            }
        )
    return {"legs": legs}


async def serve(agents: int, rtp_first: int, work: Path) -> None:
    """Run the center until `quit`."""
    center = bench_center(agents)
    phones = {ext: password(ext) for ext in [*extensions(agents), PROBE_EXTENSION]}
    harness = await start_harness(
        center, telephony(work, rtp_first, 2 * agents + 4), passwords=phones
    )
    print(f"ready {harness.address[1]}", flush=True)
    loop = asyncio.get_running_loop()
    try:
        while line := (await loop.run_in_executor(None, sys.stdin.readline)).strip():
            if line == "login":
                for agent_id in center.agents:
                    harness.inbox.submit(ev.AgentLoginRequested(at=time_now(), agent_id=agent_id))
                print("ok", flush=True)
            elif line.startswith("port-facing "):  # our RTP port on the leg facing that port
                far = int(line.split()[1])
                ours = [e.local_port for e in ENDPOINTS if e.remote and e.remote[1] == far]
                print(ours[-1] if ours else 0, flush=True)
            elif line == "report":
                print(json.dumps(report()), flush=True)
            elif line == "quit":
                break
    finally:
        await harness.close()


def main() -> None:
    """Parse the arguments and serve."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, required=True)
    parser.add_argument("--rtp-first", type=int, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    args = parser.parse_args()
    configure_logging("INFO")  # as `hotline serve`: to stderr (stdout is the line protocol)
    _recording_attach()
    if args.loop == "uvloop":
        run_loop(serve(args.agents, args.rtp_first, args.work))  # as `hotline serve` runs
    else:
        asyncio.run(serve(args.agents, args.rtp_first, args.work))


if __name__ == "__main__":
    main()
