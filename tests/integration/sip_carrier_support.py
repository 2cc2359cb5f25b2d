"""Fixtures for the SIP carrier's integration tests: the real routing engine on the real clock
with the SIP carrier, SIPp callers, pyVoIP agent phones, generated prompts and RTP captures.

Audio conventions: pyVoIP reads and writes 8-bit unsigned linear audio; the media layer uses
16-bit signed PCM. SIPp plays RTP from pcap files (`play_pcap_audio`): the RFC 2833 key captures it
ships, and a tone capture written here with our own RTP packet builder.
"""

from __future__ import annotations

import asyncio
import shutil
import struct
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import numpy as np

from acd import events as ev
from acd.bus import EventBus
from acd.clock import RealClock
from acd.engine import Engine
from acd.runtime import Inbox, Runtime
from acd.state import MemoryStateStore
from config.center import AgentDef, Center, MenuDef, QueueDef
from config.telephony import MediaDef, SipDef, TelephonyDef, TrunkDef
from telephony.carrier.secrets import SipSecrets
from telephony.carrier.stack import SipStack, open_sip_stack
from telephony.media.codecs import PcmuCodec
from telephony.media.media_session import frames_of
from telephony.media.rtp_packet import RtpPacket
from telephony.media.tones import detect_tone, tone
from telephony.media.wav import encode_wav

SIPP_DATA = Path(__file__).parents[1] / "data" / "sipp"
SHIPPED_PCAPS = Path("/usr/share/sip-tester")
PASSWORDS = {"1001": "s3cret-1001-phone", "1002": "s3cret-1002-phone"}
TRUNK_PASSWORD = "trunk-pass-0001"
CALLER_TONE_HZ = 1000.0
AGENT_TONE_HZ = 1500.0
_ranges = count(0)


def carrier_center(
    *, ring_timeout_s: float = 8.0, auto_pause_after: int = 2, announce_every_s: float = 0.0
) -> Center:
    """Numbers: 100 → menu main (key 1 → queue support), 200 → queue support, 300 → voicemail,
    400 → hang-up. Agents a1 (extension 1001) and a2 (1002)."""
    return Center(
        queues={
            "support": QueueDef(
                ring_timeout_s=ring_timeout_s,
                auto_pause_after=auto_pause_after,
                announce_every_s=announce_every_s,
            )
        },
        agents={
            "a1": AgentDef(name="Ann", extension="1001"),
            "a2": AgentDef(name="Bob", extension="1002"),
        },
        menus={
            "main": MenuDef(
                prompt="main-menu", options={"1": "queue:support"}, default="hangup", timeout_s=5
            )
        },
        numbers={
            "100": "menu:main",
            "200": "queue:support",
            "300": "voicemail:sales",
            "400": "hangup",
        },
    )


ANNOUNCEMENT_HZ = 1800.0
ANNOUNCEMENT_WORDS = (
    "you-are-number", "in-the-queue", "expected-wait-about", "expected-wait-under-a-minute",
    "minute", "minutes", "hundred", *map(str, range(20)), *map(str, range(20, 100, 10)),
)  # fmt: skip


def write_prompts(root: Path) -> Path:
    """Prompt files in English as distinct tones: the menu prompt (700 Hz), hold music (440 Hz)
    and every word of a position announcement (1800 Hz)."""
    folder = root / "en"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "main-menu.wav").write_bytes(encode_wav(tone(700.0, 0.4)))
    (folder / "hold-music.wav").write_bytes(encode_wav(tone(440.0, 1.0)))
    for word in ANNOUNCEMENT_WORDS:
        (folder / f"{word}.wav").write_bytes(encode_wav(tone(ANNOUNCEMENT_HZ, 0.1)))
    return root


def telephony_def(tmp: Path, **sip: Any) -> TelephonyDef:
    """Loopback SIP on a free port, a private RTP range, prompts and voicemail under `tmp`."""
    base = 46000 + 100 * (next(_ranges) % 90)
    trunks = sip.pop("trunks", {"loopback": TrunkDef(addresses=["127.0.0.1/32"])})
    return TelephonyDef(
        sip=SipDef(bind_host="127.0.0.1", bind_port=0, **sip),
        media=MediaDef(
            rtp_first_port=base,
            rtp_last_port=base + 99,
            prompts_dir=write_prompts(tmp / "prompts"),
            voicemail_dir=tmp / "voicemail",
        ),
        trunks=trunks,
    )


@dataclass
class Harness:
    """The engine, runtime and SIP stack, with every published event kept."""

    center: Center
    stack: SipStack
    engine: Engine
    inbox: Inbox
    events: list[ev.Event] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The carrier's SIP address."""
        return self.stack.address

    def of(self, kind: type[ev.Event]) -> list[Any]:
        """The events of one type so far."""
        return [e for e in self.events if isinstance(e, kind)]

    async def wait_for(
        self, kind: type[ev.Event], count: int = 1, timeout: float = 20.0, **match: Any
    ) -> list[Any]:
        """Wait until `count` events of `kind` (with the given field values) were published."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            found = [e for e in self.of(kind) if all(getattr(e, k) == v for k, v in match.items())]
            if len(found) >= count:
                return found
            if asyncio.get_running_loop().time() > deadline:
                names = [type(e).__name__ for e in self.events]
                raise AssertionError(f"no {count} x {kind.__name__} {match}; events: {names}")
            await asyncio.sleep(0.05)

    def login(self, agent_id: str) -> None:
        """An agent logs in (and becomes available)."""
        self.inbox.submit(ev.AgentLoginRequested(at=time_now(), agent_id=agent_id))

    async def close(self) -> None:
        """Stop the stack and the runtime."""
        await self.stack.close()
        if self.task is not None:
            await self.inbox.drained()
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


def time_now() -> float:
    """The real clock's now (tests may read it; production code takes a Clock)."""
    return RealClock().now()


async def start_harness(
    center: Center,
    telephony: TelephonyDef,
    *,
    trunk_passwords: dict[str, str] | None = None,
    passwords: dict[str, str] | None = None,
) -> Harness:
    """Open the SIP stack and run the real engine on the real clock (phone passwords by
    extension: `PASSWORDS` unless given)."""
    clock = RealClock()
    inbox, bus, store = Inbox(), EventBus(), MemoryStateStore()
    engine = Engine(center, store, clock, inbox.submit)
    phones = dict(PASSWORDS if passwords is None else passwords)
    secrets = SipSecrets(phones, dict(trunk_passwords or {}), b"integration-nonce-key")
    stack = await open_sip_stack(
        center, telephony, clock, inbox.submit, secrets=secrets, environ={}
    )
    harness = Harness(center, stack, engine, inbox)

    async def keep(event: ev.Event) -> None:
        harness.events.append(event)

    bus.subscribe(keep)
    runtime = Runtime(inbox, bus, engine, stack.carrier)
    harness.task = asyncio.create_task(runtime.run())
    return harness


# --- SIPp ---------------------------------------------------------------------------------------


def sipp_available() -> bool:
    """True when SIPp and its RFC 2833 key captures are installed."""
    return shutil.which("sipp") is not None and (SHIPPED_PCAPS / "dtmf_2833_1.pcap").is_file()


def prepare_sipp_dir(tmp: Path) -> Path:
    """A working directory for SIPp with the scenarios, key '1' and the caller's tone."""
    work = tmp / "sipp"
    work.mkdir(exist_ok=True)
    for scenario in SIPP_DATA.glob("*.xml"):
        shutil.copy(scenario, work / scenario.name)
    shutil.copy(SHIPPED_PCAPS / "dtmf_2833_1.pcap", work / "dtmf-1.pcap")
    (work / "caller-tone.pcap").write_bytes(tone_pcap(CALLER_TONE_HZ, 12.0))
    return work


async def run_sipp(
    work: Path, scenario: str, target: tuple[str, int], *args: str, timeout: float = 90.0
) -> tuple[int, str]:
    """Run a scenario to its end; (exit code, errors and the last screen)."""
    process = await start_sipp(work, scenario, target, *args)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode or 0, stderr.decode(errors="replace") + _errors(work)


async def start_sipp(
    work: Path, scenario: str, target: tuple[str, int], *args: str
) -> asyncio.subprocess.Process:
    """Start SIPp on `scenario` against `target` (RTP echo on, so what it hears goes back)."""
    return await asyncio.create_subprocess_exec(
        "sipp", f"{target[0]}:{target[1]}", "-sf", scenario, "-m", "1", "-nostdin",
        "-rtp_echo", "-timeout", "60", "-timeout_error", "-trace_err", *args,
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _errors(work: Path) -> str:
    return "".join(p.read_text(errors="replace")[-2000:] for p in work.glob("*_errors.log"))


def tone_pcap(frequency: float, seconds: float, dport: int = 6000) -> bytes:
    """A libpcap capture of G.711 µ-law RTP (PT 0, 20 ms packets) carrying a sine tone."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]  # DLT_EN10MB
    codec = PcmuCodec()
    for n, frame in enumerate(frames_of(tone(frequency, seconds, amplitude=0.5))):
        rtp = bytes(RtpPacket(0, n % 65536, n * 160, 0x51770001, codec.encode(frame), n == 0))
        packet = _ethernet_ipv4_udp(rtp, 40000, dport)
        usec = n * 20_000
        out.append(struct.pack("<IIII", 1 + usec // 10**6, usec % 10**6, len(packet), len(packet)))
        out.append(packet)
    return b"".join(out)


def _ethernet_ipv4_udp(payload: bytes, sport: int, dport: int) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
        bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]),
    )  # fmt: skip
    checksum = _ip_checksum(header)
    header = header[:10] + struct.pack("!H", checksum) + header[12:]
    return b"\x00" * 6 + b"\x02" + b"\x00" * 5 + b"\x08\x00" + header + udp


def _ip_checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


# --- pyVoIP phones ------------------------------------------------------------------------------


def u8_to_pcm(data: bytes) -> bytes:
    """pyVoIP's 8-bit unsigned audio as 16-bit signed PCM."""
    samples = (np.frombuffer(data, dtype=np.uint8).astype(np.int16) - 128) * 256
    return samples.astype("<i2").tobytes()


def pcm_to_u8(pcm: bytes) -> bytes:
    """16-bit signed PCM as pyVoIP's 8-bit unsigned audio."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.int32) // 256 + 128
    return samples.astype(np.uint8).tobytes()


@dataclass
class AgentPhone:
    """A pyVoIP phone: it answers (and checks audio both ways, then hangs up unless told to stay
    on until the far end does) or lets it ring."""

    extension: str
    answer: bool = True
    check_audio: bool = True
    hang_up: bool = True
    hung_up_on: bool = False
    heard_caller: bool = False
    heard_itself: bool = False
    rings: int = 0
    answered: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    phone: Any = None

    def on_call(self, call: Any) -> None:
        """pyVoIP's call callback (its own thread)."""
        self.rings += 1
        if not self.answer:
            return
        try:
            call.answer()
            self.answered.set()
            if self.check_audio:
                self.heard_caller = listen(call, CALLER_TONE_HZ, 8.0)
                call.write_audio(pcm_to_u8(tone(AGENT_TONE_HZ, 3.0)))
                self.heard_itself = listen(call, AGENT_TONE_HZ, 6.0)
            if self.hang_up:
                call.hangup()
            else:
                self.hung_up_on = wait_until_ended(call, 30.0)
        finally:
            self.done.set()


def wait_until_ended(call: Any, seconds: float) -> bool:
    """Whether the far end ends the call (a BYE reaches the phone) within `seconds`."""
    from pyVoIP.VoIP import CallState

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if call.state == CallState.ENDED:
            return True
        time.sleep(0.05)
    return False


def listen(call: Any, frequency: float, seconds: float) -> bool:
    """Whether `frequency` shows up in what the call receives within `seconds`."""
    deadline = time.monotonic() + seconds
    hits = 0
    while time.monotonic() < deadline:
        frame = call.read_audio(160, False)
        if detect_tone(u8_to_pcm(frame), frequency, min_rms=300.0):
            hits += 1
            if hits >= 3:  # a few frames: not a stray
                return True
        time.sleep(0.01)
    return False


async def start_phone(
    voip: Any, harness: Harness, agent: AgentPhone, password: str | None = None
) -> Any:
    """Register a pyVoIP phone for the agent's extension with the carrier."""
    host, port = harness.address
    low = 47000 + 100 * (next(_ranges) % 90)
    phone = voip.VoIPPhone(
        host, port, agent.extension, password or PASSWORDS[agent.extension],
        callCallback=agent.on_call, myIP=host, sipPort=0, rtpPortLow=low, rtpPortHigh=low + 99,
    )  # fmt: skip
    agent.phone = phone
    await asyncio.wait_for(asyncio.to_thread(phone.start), 20)
    return phone


async def stop_phone(agent: AgentPhone) -> None:
    """Unregister and stop the phone."""
    if agent.phone is not None:
        await asyncio.wait_for(asyncio.to_thread(agent.phone.stop), 20)


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll `check` until true or the time is up."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True
