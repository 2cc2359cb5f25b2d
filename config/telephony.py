"""The `[telephony]` section of a center file: where the SIP carrier listens, its media ports and
prompts, and which trunks may send calls in.

Secrets are not here. Agents' SIP passwords and trunk passwords come from a secrets file named by
`sip.secrets_file` (or `HOTLINE_SIP_SECRETS_FILE`) and from `HOTLINE_SIP_PASSWORD_<EXTENSION>` /
`HOTLINE_SIP_TRUNK_PASSWORD_<TRUNK>` environment variables; see `telephony.carrier.secrets`.

Example:

    [telephony.sip]
    bind_host = "192.0.2.10"
    bind_port = 5060
    secrets_file = "/etc/hotline/sip-secrets.toml"

    [telephony.media]
    rtp_first_port = 20000
    rtp_last_port = 20999
    prompts_dir = "/usr/share/hotline/prompts"

    [telephony.trunks.carrier-a]
    addresses = ["198.51.100.0/28"]
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_PORT = 65535
DIGEST_ALGORITHMS = ("SHA-256", "SHA-512-256", "MD5")
_TRUNK_USER = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
Network = IPv4Network | IPv6Network


class SipDef(BaseModel):
    """Where the SIP user agent listens and how it names itself."""

    model_config = ConfigDict(extra="forbid")

    bind_host: str = "127.0.0.1"
    bind_port: int = Field(5060, ge=0, le=MAX_PORT)
    tcp: bool = True  # listen on TCP too, on the same port as UDP (RFC 3261 §18)
    public_host: str | None = None
    realm: str = Field("hotline", min_length=1, max_length=64)
    secrets_file: Path | None = None
    answer_delay_s: float = Field(0.0, ge=0, le=30)
    digest_algorithms: list[str] = Field(default_factory=lambda: ["SHA-256", "MD5"], min_length=1)
    register_min_expires_s: int = Field(60, ge=1)
    register_max_expires_s: int = Field(3600, ge=60)

    @property
    def advertised_host(self) -> str:
        """The address written in Via, Contact and SDP (the bind address unless set)."""
        return self.public_host or self.bind_host

    @field_validator("digest_algorithms")
    @classmethod
    def _algorithms(cls, value: list[str]) -> list[str]:
        # Offered in this order (RFC 8760 §2.3); some peers (SIPp 3.6) only answer the first,
        # and only if it is MD5, so a site may have to put MD5 first or alone.
        for name in value:
            if name not in DIGEST_ALGORITHMS:
                raise ValueError(f"'{name}' is not one of {', '.join(DIGEST_ALGORITHMS)}")
        return value

    @field_validator("bind_host", "public_host")
    @classmethod
    def _ip_literal(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ip_address(value)
            except ValueError:
                raise ValueError(f"'{value}' is not an IP address") from None
        return value


class MediaDef(BaseModel):
    """RTP ports, prompts, and voicemail recordings."""

    model_config = ConfigDict(extra="forbid")

    rtp_host: str | None = None
    rtp_first_port: int = Field(20000, ge=1024, le=MAX_PORT)
    rtp_last_port: int = Field(20999, ge=1024, le=MAX_PORT)
    prompts_dir: Path = Path("prompts")
    language: str = Field("en", pattern=r"^[a-z]{2}$")
    missing_prompt_s: float = Field(1.0, ge=0, le=10)
    voicemail_dir: Path = Path("hotline-data/voicemail")
    voicemail_max_s: float = Field(120.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _range(self) -> MediaDef:
        if self.rtp_last_port < self.rtp_first_port + 3:
            raise ValueError("rtp_last_port must leave room for two RTP/RTCP pairs")
        return self


class TrunkDef(BaseModel):
    """A provider or PBX that may send calls: by source address, or by digest credentials."""

    model_config = ConfigDict(extra="forbid")

    addresses: list[Network] = Field(default_factory=list)
    username: str | None = None

    @field_validator("addresses", mode="before")
    @classmethod
    def _networks(cls, value: object) -> object:
        if not isinstance(value, list):
            return value
        try:
            return [ip_network(str(v), strict=False) for v in value]
        except ValueError as error:
            raise ValueError(f"not an address or network: {error}") from None

    @field_validator("username")
    @classmethod
    def _user(cls, value: str | None) -> str | None:
        if value is not None and not _TRUNK_USER.fullmatch(value):
            raise ValueError("a trunk username is 1-64 letters, digits, '.', '_' or '-'")
        return value

    @model_validator(mode="after")
    def _some_way_in(self) -> TrunkDef:
        if not self.addresses and self.username is None:
            raise ValueError("a trunk needs addresses, a username, or both")
        return self


class TelephonyDef(BaseModel):
    """Everything the real (SIP) carrier needs from the center file."""

    model_config = ConfigDict(extra="forbid")

    sip: SipDef = Field(default_factory=SipDef)
    media: MediaDef = Field(default_factory=MediaDef)
    trunks: dict[str, TrunkDef] = Field(default_factory=dict)
    desktop_only: bool = False
