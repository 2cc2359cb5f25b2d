"""The center definition: what a center file (TOML) declares, as typed, validated models.

Cross-references (a queue named as an overflow target, a skill required by a queue) are checked in
`config.center_file`; this module holds the shapes and the checks local to one value.
"""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from config.telephony import TelephonyDef

DESTINATION_FORMS = (
    "'queue:NAME', 'menu:NAME', 'voicemail', 'voicemail:BOX', 'callback' or 'hangup'"
)
_DESTINATION = re.compile(
    r"^(queue|menu|voicemail):([A-Za-z0-9_.-]+)$|^(voicemail|hangup|callback)$"
)
_SPAN = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Strategy(StrEnum):
    """How a queue picks among the qualified, available agents."""

    LONGEST_IDLE = "longest-idle"
    LEAST_TALK_TIME = "least-talk-time"
    FEWEST_CALLS = "fewest-calls"
    SKILL_LEVEL_WEIGHTED = "skill-level-weighted"
    ROUND_ROBIN = "round-robin"
    RANDOM = "random"
    RING_ALL = "ring-all"


class Destination(BaseModel):
    """Where a call goes next: a queue, an IVR menu, a voicemail box, or a hang-up."""

    model_config = ConfigDict(frozen=True)

    kind: str
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> Destination:
        """Parse 'queue:sales', 'menu:main', 'voicemail', 'voicemail:box' or 'hangup'."""
        match = _DESTINATION.match(text.strip())
        if not match:
            raise ValueError(f"'{text}' is not a destination; expected {DESTINATION_FORMS}")
        if match.group(1):
            return cls(kind=match.group(1), name=match.group(2))
        kind = match.group(3)
        return cls(kind=kind, name="general" if kind == "voicemail" else "")

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else self.kind


def _destination(value: object) -> object:
    return Destination.parse(value) if isinstance(value, str) else value


# A destination given as text in a mapping; parsed per entry so an error names the entry's key.
DestinationText = Annotated[Destination, BeforeValidator(_destination)]
SkillLevel = Annotated[int, Field(ge=1, le=5)]


class CenterInfo(BaseModel):
    """Center-wide facts: its name, time zone, phone region and reporting constants."""

    model_config = ConfigDict(extra="forbid")

    name: str = "Hotline"
    timezone: str = "UTC"
    default_region: str = Field("CN", min_length=2, max_length=2)
    short_abandon_s: float = Field(5.0, ge=0)
    pause_reasons: list[str] = Field(
        default_factory=lambda: ["break", "lunch", "training", "meeting", "coaching"]
    )
    explain_routing: bool = True

    @field_validator("pause_reasons")
    @classmethod
    def _check_reasons(cls, value: list[str]) -> list[str]:
        for reason in value:
            if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,31}", reason):
                raise ValueError(f"pause reason {reason!r} must be a short lower-case word")
            if reason == "no-answer":
                raise ValueError("pause reason 'no-answer' is kept for automatic pauses")
        if len(set(value)) != len(value):
            raise ValueError("pause reasons must not repeat")
        return value


class QueueDef(BaseModel):
    """One queue's routing rules."""

    model_config = ConfigDict(extra="forbid")

    strategy: Strategy = Strategy.LONGEST_IDLE
    skills: dict[str, SkillLevel] = Field(default_factory=dict)
    service_level_s: float = Field(20.0, gt=0)
    service_level_target: float = Field(0.8, gt=0, lt=1)
    wrap_up_s: float = Field(0.0, ge=0)
    ring_timeout_s: float = Field(15.0, gt=0)
    max_wait_s: float | None = Field(None, gt=0)
    overflow: Destination = Field(default_factory=lambda: Destination(kind="hangup"))
    overflow_prompt: str = ""
    max_length: int | None = Field(None, ge=1)
    priority: int = 0
    auto_pause_after: int = Field(3, ge=0)
    hold_prompt: str = "hold-music"
    priority_ageing_s: float | None = Field(None, gt=0)
    preferred_agent_window_s: float = Field(20.0, ge=0)
    join_empty: bool = True
    leave_empty: bool = False
    announce_every_s: float = Field(0.0, ge=0)
    callback_key: str | None = Field(None, pattern=r"^[0-9*#]$")
    callback_retries: int = Field(2, ge=0)
    callback_retry_s: float = Field(300.0, gt=0)
    expected_handle_s: float = Field(180.0, gt=0)
    dispositions: list[str] = Field(default_factory=list)

    _parse_overflow = field_validator("overflow", mode="before")(_destination)


class AgentDef(BaseModel):
    """An agent seat: display name, phone extension and skills with levels 1..5."""

    model_config = ConfigDict(extra="forbid")

    name: str
    extension: str = Field(pattern=r"^[0-9]{2,8}$")
    skills: dict[str, SkillLevel] = Field(default_factory=dict)


class MenuDef(BaseModel):
    """An IVR menu: a prompt, digit choices, how long to wait, how often to ask, and a default."""

    model_config = ConfigDict(extra="forbid")

    prompt: str
    options: dict[str, DestinationText] = Field(default_factory=dict)
    timeout_s: float = Field(5.0, gt=0)
    retries: int = Field(2, ge=0)
    default: Destination
    invalid_prompt: str = "invalid-choice"

    _parse_default = field_validator("default", mode="before")(_destination)

    @field_validator("options")
    @classmethod
    def _digits_only(cls, value: dict[str, Destination]) -> dict[str, Destination]:
        for key in value:
            if not re.fullmatch(r"[0-9*#]", key):
                raise ValueError(f"option '{key}' is not a single key (0-9, * or #)")
        return value


class HoursDef(BaseModel):
    """Opening hours per weekday, holidays, and where calls go when closed."""

    model_config = ConfigDict(extra="forbid")

    weekly: dict[str, list[str]] = Field(default_factory=dict)
    holidays: list[str] = Field(default_factory=list)
    after_hours: Destination = Field(default_factory=lambda: Destination(kind="voicemail"))
    after_hours_prompt: str = "closed"

    _parse_after_hours = field_validator("after_hours", mode="before")(_destination)

    @field_validator("weekly")
    @classmethod
    def _check_week(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, spans in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"'{day}' is not a weekday; use one of {', '.join(WEEKDAYS)}")
            for span in spans:
                parse_span(span)
        return value

    def is_always_open(self) -> bool:
        """True when neither weekly hours nor holidays are given: the center never closes."""
        return not self.weekly and not self.holidays


def parse_span(span: str) -> tuple[time, time]:
    """Parse an opening span such as '09:00-18:00'."""
    match = _SPAN.match(span)
    if not match:
        raise ValueError(f"'{span}' is not a span like '09:00-18:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2, m2) > (24, 0):
        raise ValueError(f"'{span}' has an impossible time")
    end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
    if end <= time(h1, m1):
        raise ValueError(f"'{span}' ends before it starts")
    return time(h1, m1), end


class Center(BaseModel):
    """The whole center definition, as declared in a center file."""

    model_config = ConfigDict(extra="forbid")

    center: CenterInfo = Field(default_factory=CenterInfo)
    skills: dict[str, str] = Field(default_factory=dict)
    queues: dict[str, QueueDef] = Field(default_factory=dict)
    agents: dict[str, AgentDef] = Field(default_factory=dict)
    menus: dict[str, MenuDef] = Field(default_factory=dict)
    numbers: dict[str, DestinationText] = Field(default_factory=dict)
    hours: HoursDef = Field(default_factory=HoursDef)
    telephony: TelephonyDef = Field(default_factory=TelephonyDef)
