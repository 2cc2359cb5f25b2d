"""Requests the agent desktop and the wallboard send (pydantic)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

KEY_MAX = 100
TEXT_MAX = 200


class PauseRequest(BaseModel):
    """Pause with one of the center's reasons."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=KEY_MAX)


class CallRequest(BaseModel):
    """An action on one call (answer, decline, hang up)."""

    model_config = ConfigDict(extra="forbid")

    call_id: str = Field(min_length=1, max_length=KEY_MAX)


class DispositionRequest(BaseModel):
    """The outcome of a call, one of its queue's dispositions."""

    model_config = ConfigDict(extra="forbid")

    call_id: str = Field(min_length=1, max_length=KEY_MAX)
    disposition: str = Field(min_length=1, max_length=TEXT_MAX)


class Accepted(BaseModel):
    """The request was handed to the center; its effect arrives over the websocket."""

    accepted: bool = True
