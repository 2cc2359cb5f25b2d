"""What a supervisor may do to an agent from the wallboard: force a pause (with one of the
center's reasons) or log the agent out. Both take effect as the agent's own request would (after
the current call, if on one), arrive on every desktop over the websocket, and are logged with the
supervisor who asked. Agents cannot call these routes; a logged-out agent cannot be paused or
logged out again (409), an unknown agent is 404.
"""

from __future__ import annotations

import structlog
from fastapi import APIRouter, HTTPException, status

from acd import events as ev
from acd.presence import AgentState
from agent_ui.deps import ContextDep, SupervisorUser
from agent_ui.desk_schemas import Accepted, PauseRequest
from agent_ui.live_desk import LiveDesk
from agent_ui.routes.desk import ACCEPTED, LiveDep, require_pause_reason

log = structlog.get_logger(__name__)
router = APIRouter(prefix="/api/supervisor/agents", tags=["supervisor actions"])
NOT_LOGGED_IN = "that agent is not logged in"


def _logged_in_agent(live: LiveDesk, agent_id: str) -> None:
    agent = live.board.agents.get(agent_id)
    if agent is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no agent {agent_id!r}")
    if agent.state == AgentState.LOGGED_OUT.value:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=NOT_LOGGED_IN)


@router.post("/{agent_id}/pause", status_code=ACCEPTED)
async def force_pause(
    agent_id: str, body: PauseRequest, user: SupervisorUser, live: LiveDep, context: ContextDep
) -> Accepted:
    """Pause the agent with a reason (after their current call)."""
    _logged_in_agent(live, agent_id)
    require_pause_reason(context, body.reason)
    log.info("supervisor paused agent", agent_id=agent_id, by=user.username, reason=body.reason)
    live.link.submit(
        ev.AgentPauseRequested(at=context.clock.now(), agent_id=agent_id, reason=body.reason)
    )
    return Accepted()


@router.post("/{agent_id}/logout", status_code=ACCEPTED)
async def force_logout(
    agent_id: str, user: SupervisorUser, live: LiveDep, context: ContextDep
) -> Accepted:
    """Log the agent out (after their current call)."""
    _logged_in_agent(live, agent_id)
    log.info("supervisor logged agent out", agent_id=agent_id, by=user.username)
    live.link.submit(ev.AgentLogoutRequested(at=context.clock.now(), agent_id=agent_id))
    return Accepted()
