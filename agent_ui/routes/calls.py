"""Recent calls: the newest finished call records, for the agent and supervisor views."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from agent_ui.deps import CurrentUser, SessionDep
from agent_ui.schemas import CallRecordOut
from crm_core.record_store import recent_records

RECENT_DEFAULT = 20
RECENT_MAX = 200

router = APIRouter(prefix="/api/calls", tags=["calls"])


@router.get("/recent")
def recent_calls(
    _user: CurrentUser,
    sessions: SessionDep,
    limit: Annotated[int, Query(ge=1, le=RECENT_MAX)] = RECENT_DEFAULT,
) -> list[CallRecordOut]:
    """The most recent calls, newest first."""
    return [CallRecordOut.of(record) for record in recent_records(sessions, limit)]
