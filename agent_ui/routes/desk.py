"""The agent desktop's actions: log in and out, ready, pause, answer, hang up, wrap-up.

An agent acts only for the center agent linked to their user. Each action becomes an event for
the routing engine; the answer (202) only says it was handed over, and what it changed arrives
over the websocket, like every other change. Requests that cannot apply now (answering a call
that is not ringing for you) get 409 at once, with the reason.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from acd import events as ev
from acd.presence import AgentState
from agent_ui.deps import ContextDep, CurrentUser
from agent_ui.desk_schemas import Accepted, CallRequest, DispositionRequest, PauseRequest
from agent_ui.desk_view import Message
from agent_ui.live_desk import LiveDesk

NO_CENTER = "no call center is running in this server"
NOT_AN_AGENT = "your user is not linked to an agent"
NOT_RINGING = "that call is not ringing for you"
NOT_YOUR_CALL = "you are not on that call"
NOT_IN_WRAP_UP = "you are not in wrap-up for that call"

router = APIRouter(prefix="/api/desk", tags=["agent desktop"])


def live_desk(context: ContextDep) -> LiveDesk:
    """The running center's live desk; 503 when this server runs none."""
    if context.live is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=NO_CENTER)
    return context.live


LiveDep = Annotated[LiveDesk, Depends(live_desk)]


def my_agent(user: CurrentUser, live: LiveDep) -> str:
    """The center agent the user works as; 403 for users without one."""
    if not user.agent_id or user.agent_id not in live.board.agents:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=NOT_AN_AGENT)
    return user.agent_id


MyAgent = Annotated[str, Depends(my_agent)]
ACCEPTED = status.HTTP_202_ACCEPTED


def require_pause_reason(context: ContextDep, reason: str) -> None:
    """422 unless `reason` is one of the center's pause reasons."""
    reasons = context.center.center.pause_reasons
    if reason not in reasons:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            detail=f"unknown pause reason {reason!r}; use one of {', '.join(reasons)}",
        )


def _conflict(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, detail=detail)


@router.get("")
async def my_desk(agent_id: MyAgent, live: LiveDep) -> Message:
    """What my desktop shows now (also sent over the websocket when it connects)."""
    return live.board.desk(agent_id)


@router.post("/login", status_code=ACCEPTED)
async def log_in(agent_id: MyAgent, live: LiveDep, context: ContextDep) -> Accepted:
    """Log in to the queues (my phone rings for me from now on)."""
    _require_phone(live, agent_id)
    live.link.staff_desk(agent_id)
    live.link.submit(ev.AgentLoginRequested(at=context.clock.now(), agent_id=agent_id))
    return Accepted()


@router.post("/logout", status_code=ACCEPTED)
async def log_out(agent_id: MyAgent, live: LiveDep, context: ContextDep) -> Accepted:
    """Log out (after the current call, if on one)."""
    live.link.submit(ev.AgentLogoutRequested(at=context.clock.now(), agent_id=agent_id))
    return Accepted()


@router.post("/ready", status_code=ACCEPTED)
async def ready(agent_id: MyAgent, live: LiveDep, context: ContextDep) -> Accepted:
    """Ready for calls (ends a pause, or ends wrap-up early)."""
    _require_phone(live, agent_id)
    live.link.submit(ev.AgentReadyRequested(at=context.clock.now(), agent_id=agent_id))
    return Accepted()


@router.post("/pause", status_code=ACCEPTED)
async def pause(
    body: PauseRequest, agent_id: MyAgent, live: LiveDep, context: ContextDep
) -> Accepted:
    """Pause with a reason (after the current call, if on one)."""
    require_pause_reason(context, body.reason)
    event = ev.AgentPauseRequested(at=context.clock.now(), agent_id=agent_id, reason=body.reason)
    live.link.submit(event)
    return Accepted()


@router.post("/answer", status_code=ACCEPTED)
async def answer(
    body: CallRequest, agent_id: MyAgent, live: LiveDep, context: ContextDep
) -> Accepted:
    """Answer the call ringing for me."""
    _require_ringing(live, agent_id, body.call_id)
    event = ev.AgentAnswered(at=context.clock.now(), call_id=body.call_id, agent_id=agent_id)
    live.link.submit(event)
    return Accepted()


@router.post("/decline", status_code=ACCEPTED)
async def decline(
    body: CallRequest, agent_id: MyAgent, live: LiveDep, context: ContextDep
) -> Accepted:
    """Decline the call ringing for me: it goes back to its place in line."""
    _require_ringing(live, agent_id, body.call_id)
    live.link.submit(
        ev.OfferDeclined(
            at=context.clock.now(), call_id=body.call_id, agent_id=agent_id, reason="declined"
        )
    )
    return Accepted()


@router.post("/hangup", status_code=ACCEPTED)
async def hang_up(body: CallRequest, agent_id: MyAgent, live: LiveDep) -> Accepted:
    """End the call I am talking on."""
    if not live.link.hang_up(body.call_id, agent_id):
        raise _conflict(NOT_YOUR_CALL)
    return Accepted()


@router.post("/wrap-up/extend", status_code=ACCEPTED)
async def extend_wrap_up(agent_id: MyAgent, live: LiveDep, context: ContextDep) -> Accepted:
    """More time for after-call work (once per call)."""
    event = ev.AgentWrapUpExtendRequested(at=context.clock.now(), agent_id=agent_id)
    live.link.submit(event)
    return Accepted()


@router.post("/disposition", status_code=ACCEPTED)
async def disposition(
    body: DispositionRequest, agent_id: MyAgent, live: LiveDep, context: ContextDep
) -> Accepted:
    """Record the outcome of the call I am wrapping up."""
    agent = live.board.agents[agent_id]
    if agent.state != AgentState.WRAP_UP.value or agent.call_id != body.call_id:
        raise _conflict(NOT_IN_WRAP_UP)
    if body.disposition not in agent.dispositions:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            detail=f"unknown disposition {body.disposition!r}; use one of "
            + ", ".join(agent.dispositions),
        )
    live.link.submit(
        ev.DispositionChosen(
            at=context.clock.now(),
            call_id=body.call_id,
            agent_id=agent_id,
            disposition=body.disposition,
        )
    )
    return Accepted()


def _require_ringing(live: LiveDesk, agent_id: str, call_id: str) -> None:
    agent = live.board.agents[agent_id]
    if agent.state != AgentState.RESERVED.value or agent.call_id != call_id:
        raise _conflict(NOT_RINGING)


def _require_phone(live: LiveDesk, agent_id: str) -> None:
    refusal = live.link.ready_refusal(agent_id)
    if refusal is not None:
        raise _conflict(refusal)
