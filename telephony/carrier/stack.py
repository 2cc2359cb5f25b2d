"""Opening the real carrier: the UDP transport, the SIP endpoint, the UA core with the phone
registry and the trunk gate, the RTP port range with its RTCP schedule and the prompts, wired to
a `SipCarrier`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from acd.clock import Clock
from config.center import Center
from config.telephony import TelephonyDef
from telephony.carrier.caller_media import VoicemailBox
from telephony.carrier.carrier import CarrierOptions, SipCarrier, Submit
from telephony.carrier.phones import PhoneRegistry
from telephony.carrier.prompt_source import PromptSource
from telephony.carrier.secrets import SecretsError, SipSecrets, load_sip_secrets, trunk_password
from telephony.carrier.signalling import Signalling, TcpFlows
from telephony.carrier.trunks import TrunkGate
from telephony.carrier.ua import LegIndex, UaCore
from telephony.media.prompts import PromptLibrary
from telephony.media.rtcp_schedule import RtcpSchedule
from telephony.media.rtp_endpoint import PortAllocator, PortRange
from telephony.sip.digest_server import DigestAuthenticator, PasswordStore
from telephony.sip.endpoint import SipEndpoint
from telephony.sip.registrar import RegistrarPolicy
from telephony.sip.transaction import TimerSettings
from telephony.sip.transport import Peer, TcpTransport, UdpTransport, open_udp


@dataclass(slots=True)
class SipStack:
    """The open carrier and what it runs on."""

    carrier: SipCarrier
    phones: PhoneRegistry
    endpoint: SipEndpoint
    transport: UdpTransport
    reports: RtcpSchedule
    tcp: TcpTransport | None = None

    @property
    def address(self) -> Peer:
        """Where the SIP socket is bound (port 0 resolved)."""
        return self.transport.local_address

    async def close(self) -> None:
        """End the calls, then close the socket."""
        await self.carrier.close()
        self.reports.stop()
        self.transport.close()
        if self.tcp is not None:
            await self.tcp.close()


def trunk_gate(
    telephony: TelephonyDef, secrets: SipSecrets, clock: Clock, environ: Mapping[str, str]
) -> TrunkGate:
    """The gate for the center's trunks; `SecretsError` for a trunk user without a password."""
    passwords: dict[str, str] = {}
    for name, trunk in telephony.trunks.items():
        if trunk.username is None:
            continue
        password = trunk_password(secrets, name, environ)
        if password is None:
            raise SecretsError(f"trunk {name} has a username but no password in the SIP secrets")
        passwords[trunk.username] = password
    realm, nonce = telephony.sip.realm, secrets.nonce_secret
    store = PasswordStore(passwords)
    algorithms = telephony.sip.digest_algorithms
    authenticator = (
        DigestAuthenticator(realm, nonce, clock, store, algorithms=algorithms)
        if passwords
        else None
    )
    return TrunkGate(telephony.trunks, authenticator)


def phone_registry(
    center: Center, telephony: TelephonyDef, secrets: SipSecrets, clock: Clock
) -> PhoneRegistry:
    """The registrar service for the center's agents' phones."""
    sip = telephony.sip
    policy = RegistrarPolicy(
        min_expires=sip.register_min_expires_s, max_expires=sip.register_max_expires_s
    )
    return PhoneRegistry(
        center, secrets.extensions, clock, realm=sip.realm, nonce_secret=secrets.nonce_secret,
        policy=policy, desktop_only=telephony.desktop_only, algorithms=tuple(sip.digest_algorithms),
    )  # fmt: skip


async def open_sip_stack(
    center: Center,
    telephony: TelephonyDef,
    clock: Clock,
    submit: Submit,
    *,
    secrets: SipSecrets | None = None,
    environ: Mapping[str, str] | None = None,
    timers: TimerSettings | None = None,
) -> SipStack:
    """Bind the SIP socket and build the carrier (secrets from the file and environment unless
    given)."""
    env = os.environ if environ is None else environ
    sip, media = telephony.sip, telephony.media
    secrets = secrets or load_sip_secrets(sip.secrets_file, env)
    phones = phone_registry(center, telephony, secrets, clock)
    legs = LegIndex()
    ua = UaCore(phones, trunk_gate(telephony, secrets, clock, env), legs)
    timers = timers or TimerSettings()
    endpoint = SipEndpoint(clock, ua, settings=timers)
    transport = await open_udp(endpoint.receive, sip.bind_host, sip.bind_port, symmetric=True)
    endpoint.attach(transport)
    host = sip.public_host or transport.local_address[0]
    signalling = Signalling(endpoint, host, transport.local_address[1])
    if sip.tcp:
        signalling.tcp = await _open_tcp(clock, ua, timers, transport)
    rtp_host = media.rtp_host or sip.bind_host
    reports = RtcpSchedule(clock)
    ports = PortRange(media.rtp_first_port, media.rtp_last_port)
    allocator = PortAllocator(rtp_host, ports, on_open=reports.add)
    prompts = PromptSource(PromptLibrary(media.prompts_dir), media.language, media.missing_prompt_s)
    options = CarrierOptions(
        media_host=sip.public_host or rtp_host,
        voicemail=VoicemailBox(media.voicemail_dir, media.voicemail_max_s),
        answer_delay_s=sip.answer_delay_s,
        timers=timers,
    )
    ua.endpoint = signalling
    carrier = SipCarrier(signalling, legs, phones, allocator, prompts, clock, submit, options)
    ua.sink = carrier
    tcp = signalling.tcp.transport if signalling.tcp is not None else None
    return SipStack(carrier, phones, endpoint, transport, reports, tcp)


async def _open_tcp(clock: Clock, ua: UaCore, timers: TimerSettings, udp: UdpTransport) -> TcpFlows:
    """A TCP listener on the UDP socket's address and port, with its own endpoint (its
    transactions use the reliable-transport timers) delivering to the same UA core."""
    endpoint = SipEndpoint(clock, ua, settings=timers)
    transport = TcpTransport(endpoint.receive)
    endpoint.attach(transport)
    try:
        await transport.listen(*udp.local_address)
    except OSError:
        udp.close()  # the port is ours on UDP only: fail as a whole, not half-listening
        raise
    return TcpFlows(endpoint, transport)
