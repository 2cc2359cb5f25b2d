"""pyVoIP's side of the media benchmark: one process with a pyVoIP 1.6.8 phone that answers every
call and reads its audio the way an application would, driven by `tests/bench/media.py`.

Run by the driver as `python tests/bench/media_pyvoip.py --server-port R --sip-port S
--rtp-first P --rtp-last Q`. The phone registers with the SIPp registrar on port R (pyVoIP needs
one; it then sends its responses there, where the SIPp caller takes over the port), prints
`ready`, and on `report` prints one JSON line with each call's reception figures, computed with
the same RFC 3550 A.3 statistics as Hotline's legs from the RTP headers pyVoIP parsed, and how
many of the 50 frames a second each call owed the caller pyVoIP never sent. The headers are
copied aside as they arrive (`RTPClient.parse_packet` is wrapped) and sent packets counted
(`encode_packet`); the statistics are computed only when asked.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from pyVoIP import RTP  # noqa: E402
from pyVoIP.VoIP import CallState, VoIPPhone  # noqa: E402

from telephony.media.receiver_stats import ReceiverStatistics  # noqa: E402
from telephony.media.rtp_packet import RtpPacket  # noqa: E402

HEADERS: dict[int, list[bytes]] = {}
SENT: dict[int, list[float]] = {}  # per RTP client: packets sent, first and last send time
ANSWERED: list[int] = []
FRAME_S = 0.02


def _keep_headers() -> None:
    """Copy each parsed packet's header aside, per RTP client."""
    parse = RTP.RTPClient.parse_packet

    def parse_and_keep(self: Any, packet: bytes) -> None:
        HEADERS.setdefault(id(self), []).append(packet[:12])
        parse(self, packet)

    RTP.RTPClient.parse_packet = parse_and_keep  # type: ignore[method-assign]


def _count_sent() -> None:
    """Count each packet pyVoIP's transmitter builds (one `encode_packet` per packet sent)."""
    encode = RTP.RTPClient.encode_packet

    def encode_and_count(self: Any, payload: bytes) -> bytes:
        now = time.monotonic()
        sent = SENT.get(id(self))
        if sent is None:
            SENT[id(self)] = [1, now, now]
        else:
            sent[0] += 1
            sent[2] = now
        return encode(self, payload)

    RTP.RTPClient.encode_packet = encode_and_count  # type: ignore[method-assign]


def send_shortfall() -> tuple[int, int]:
    """(frames due, frames never sent): 50 frames a second are due from a call's first packet
    to its last; a transmitter that falls behind sends fewer, and the far end hears gaps."""
    due = missing = 0
    for count, first, last in list(SENT.values()):
        should = round((last - first) / FRAME_S) + 1
        due += should
        missing += max(0, should - int(count))
    return due, missing


def on_call(call: Any) -> None:
    """Answer, then read the audio every 20 ms until the caller hangs up."""
    try:
        call.answer()
    except Exception:  # pyVoIP refuses calls it cannot set up; the figures show it
        return
    ANSWERED.append(1)
    while call.state == CallState.ANSWERED:
        call.read_audio(160, False)
        time.sleep(0.02)


def report() -> dict[str, Any]:
    """Each RTP client's expected and received packets (RFC 3550 A.3)."""
    legs = []
    for headers in list(HEADERS.values()):
        stats: ReceiverStatistics | None = None
        for header in headers:
            packet = RtpPacket.parse(header)
            if stats is None:
                stats = ReceiverStatistics(packet.ssrc)
            stats.on_packet(packet, 0.0)
        if stats is not None:
            legs.append({"expected": stats.expected, "received": stats.received})
    due, missing = send_shortfall()
    return {"legs": legs, "answered": len(ANSWERED), "send_due": due, "send_missing": missing}


def main() -> None:
    """Start the phone and answer the driver's lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-port", type=int, required=True)
    parser.add_argument("--sip-port", type=int, required=True)
    parser.add_argument("--rtp-first", type=int, required=True)
    parser.add_argument("--rtp-last", type=int, required=True)
    args = parser.parse_args()
    _keep_headers()
    _count_sent()
    phone = VoIPPhone(
        "127.0.0.1", args.server_port, "bench", "bench-pass", myIP="127.0.0.1",
        callCallback=on_call, sipPort=args.sip_port, rtpPortLow=args.rtp_first,
        rtpPortHigh=args.rtp_last,
    )  # fmt: skip
    starter = threading.Thread(target=phone.start, daemon=True)
    starter.start()
    starter.join(20)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "report":
            print(json.dumps(report()), flush=True)
        elif line.strip() == "quit":
            break
    phone.stop()


if __name__ == "__main__":
    main()
