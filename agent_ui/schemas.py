"""The shapes of the REST API's requests and answers (pydantic), one family per resource.

Services hand out plain dataclasses (`UserPublic`, `CallRecordData`); these schemas decide what of
them leaves the server. Database models never reach this module.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from acd.clock import to_datetime
from crm_core.call_records import CallRecordData
from crm_core.users import UserPublic

# Long enough for any passphrase, short enough that hashing it cannot be used to burn CPU.
PASSWORD_MAX = 1024
USERNAME_MAX = 64


class LoginRequest(BaseModel):
    """Credentials sent to `POST /api/auth/login`."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=USERNAME_MAX)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class PasswordChangeRequest(BaseModel):
    """The current and the new password, for `POST /api/auth/password`."""

    model_config = ConfigDict(extra="forbid")

    old: str = Field(min_length=1, max_length=PASSWORD_MAX)
    new: str = Field(min_length=1, max_length=PASSWORD_MAX)


class UserPublicOut(BaseModel):
    """A user as the API shows it: never a password hash."""

    id: int
    username: str
    display_name: str
    role: str
    agent_id: str | None
    must_change_password: bool
    active: bool
    language: str

    @classmethod
    def of(cls, user: UserPublic) -> UserPublicOut:
        """The API view of a service-layer user."""
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=str(user.role),
            agent_id=user.agent_id,
            must_change_password=user.must_change_password,
            active=user.active,
            language=user.language,
        )


class CallRecordOut(BaseModel):
    """One finished call, as listed in "recent calls"."""

    call_id: str
    direction: str
    ani: str
    dnis: str
    queue: str | None
    agent_id: str | None
    arrived_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str
    ended_by: str | None
    wait_s: float | None
    talk_s: float

    @classmethod
    def of(cls, record: CallRecordData) -> CallRecordOut:
        """The API view of a call record."""
        return cls(
            call_id=record.call_id,
            direction=record.direction,
            ani=record.ani,
            dnis=record.dnis,
            queue=record.queue,
            agent_id=record.agent_id,
            arrived_at=to_datetime(record.arrived_at),
            answered_at=_maybe_datetime(record.answered_at),
            ended_at=_maybe_datetime(record.ended_at),
            outcome=record.outcome,
            ended_by=record.ended_by,
            wait_s=record.wait_s,
            talk_s=record.talk_s,
        )


def _maybe_datetime(epoch_s: float | None) -> datetime | None:
    return None if epoch_s is None else to_datetime(epoch_s)


class TodayStatsOut(BaseModel):
    """Today's figures for the whole center, from midnight in the center's time zone."""

    date: str
    timezone: str
    start: datetime
    end: datetime
    threshold_s: float
    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    service_level: float | None = Field(description="answered within threshold / eligible, 0..1")
    asa_s: float | None = Field(description="mean wait of answered calls, seconds")


class HealthOut(BaseModel):
    """Liveness and database reachability."""

    status: str
    database: str


class LanguageRequest(BaseModel):
    """The language to show one's pages in."""

    model_config = ConfigDict(extra="forbid")

    language: str = Field(min_length=2, max_length=16)
