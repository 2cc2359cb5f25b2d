"""The websocket every page keeps open (`/ws`), and the wallboard's snapshot (`/api/board`).

A tab connects with its session cookie from the same origin (a page on another site cannot open
it with the user's cookie: the Origin header must name this server). It first gets a snapshot:
an agent their desk, a supervisor or admin the board; then every change, in order. Agents'
actions go through the REST routes (`/api/desk/...`), so the socket only ever carries news.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from agent_ui.deps import (
    SESSION_COOKIE,
    ContextDep,
    SupervisorUser,
    WebContext,
    user_of_session,
)
from agent_ui.desk_view import Message
from agent_ui.live_desk import LiveDesk
from agent_ui.live_hub import Tab, is_lagging
from agent_ui.routes.desk import LiveDep
from crm_core.users import UserPublic

# Close codes (RFC 6455 §7.4 and the registered 4000-4999 private range).
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
NOT_LOGGED_IN_CODE = 4401
NO_CENTER_CODE = 4503

PONG: Message = {"type": "pong"}

router = APIRouter(tags=["live"])


@router.get("/api/board")
def board(_user: SupervisorUser, live: LiveDep, context: ContextDep) -> Message:
    """The wallboard's agents and queues now (the websocket sends the same on connect)."""
    return live.board.board(context.clock.now())


@router.websocket("/ws")
async def live_socket(websocket: WebSocket) -> None:
    """Snapshot, then changes, until the tab closes."""
    context: WebContext = websocket.app.state.hotline
    if not _same_origin(websocket):
        await websocket.close(POLICY_VIOLATION, "cross-site websocket refused")
        return
    try:
        user = user_of_session(context, websocket.cookies.get(SESSION_COOKIE))
    except HTTPException as exc:
        await websocket.close(NOT_LOGGED_IN_CODE, str(exc.detail))
        return
    if context.live is None or user.must_change_password:
        await websocket.close(NO_CENTER_CODE, "no live view for this session")
        return
    await websocket.accept()
    await _serve(websocket, context.live, user, context.clock.now())


async def _serve(websocket: WebSocket, live: LiveDesk, user: UserPublic, now: float) -> None:
    tab = live.hub.connect(user)
    try:
        await websocket.send_json(_snapshot(live, user, now))
        sender = asyncio.create_task(_send(websocket, tab))
        try:
            await _receive(websocket, tab)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
    except WebSocketDisconnect:
        pass
    finally:
        live.hub.disconnect(tab)
        if websocket.client_state is WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close()


def _snapshot(live: LiveDesk, user: UserPublic, now: float) -> dict[str, Any]:
    snapshot: dict[str, Any] = {"type": "hello", "role": str(user.role), "agent_id": user.agent_id}
    if user.agent_id and user.agent_id in live.board.agents:
        desk = live.board.desk(user.agent_id)
        call = desk["call"]
        desk["customer"] = live.notifier.card_of(user.agent_id, call["call_id"]) if call else None
        snapshot["desk"] = desk
    if user.role in ("admin", "supervisor"):
        snapshot["board"] = live.board.board(now)
        snapshot["figures"] = live.figures.last if live.figures is not None else None
    return snapshot


async def _send(websocket: WebSocket, tab: Tab) -> None:
    while True:
        message = await tab.next_message()
        if message is None:
            continue
        if is_lagging(message):
            await websocket.close(TRY_AGAIN_LATER, "too far behind; reconnect for a snapshot")
            return
        await websocket.send_json(message)


async def _receive(websocket: WebSocket, tab: Tab) -> None:
    """Read until the tab goes away; a "ping" gets a "pong" (pages use it to spot dead links),
    sent in turn with the news so that only one task ever writes to the socket."""
    while True:
        text = await websocket.receive_text()
        if text == "ping":
            tab.put(PONG)


def _same_origin(websocket: WebSocket) -> bool:
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser (browsers always send Origin on websockets)
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc == host
