"""FastAPI dependencies: the app's shared context and who is asking.

Routes name what they need with typed aliases (`ContextDep`, `SessionDep`, `SessionUser`,
`CurrentUser`, `RequireRole(...)`) so their signatures stay short. `SessionUser` is anyone with a
valid session; `CurrentUser` additionally refuses users who must first change their password.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock
from agent_ui.auth import LoginThrottle, SessionClaims, SessionCodec, SessionError, SessionProblem
from agent_ui.live_desk import LiveDesk
from agent_ui.metrics import WebMetrics
from config.center import Center
from config.settings import Settings
from crm_core.users import Role, UserPublic, UserService

SESSION_COOKIE = "hotline_session"

NOT_LOGGED_IN = "not logged in"
SESSION_EXPIRED = "session expired, please log in again"
INVALID_SESSION = "invalid session"
ACCOUNT_DISABLED = "account disabled; ask an administrator"
PASSWORD_CHANGE_REQUIRED = "password change required"
FORBIDDEN = "your role may not do this"

_SESSION_MESSAGES = {
    SessionProblem.EXPIRED: SESSION_EXPIRED,
    SessionProblem.INVALID: INVALID_SESSION,
}


@dataclass(frozen=True, slots=True)
class WebContext:
    """Everything the routes share, built once by `create_app`."""

    settings: Settings
    clock: Clock
    sessions: sessionmaker[Session]
    users: UserService
    center: Center
    codec: SessionCodec
    throttle: LoginThrottle
    metrics: WebMetrics
    live: LiveDesk | None = None


def get_context(request: Request) -> WebContext:
    """The app's context, stored on `app.state` by `create_app`."""
    context: WebContext = request.app.state.hotline
    return context


ContextDep = Annotated[WebContext, Depends(get_context)]


def get_sessions(context: ContextDep) -> sessionmaker[Session]:
    """The database session factory the services take."""
    return context.sessions


SessionDep = Annotated[sessionmaker[Session], Depends(get_sessions)]


def claims_for(context: WebContext, user: UserPublic) -> SessionClaims:
    """The claims of a new session for `user`, tied to their current password."""
    return SessionClaims(user_id=user.id, marker=context.users.password_marker(user.id) or "")


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail)


def session_user(request: Request, context: ContextDep) -> UserPublic:
    """The user of the request's session cookie; 401 with a reason when there is none."""
    return user_of_session(context, request.cookies.get(SESSION_COOKIE))


def user_of_session(context: WebContext, token: str | None) -> UserPublic:
    """The user a session cookie belongs to; 401 with a reason when there is none (also used
    by the websocket, which has no `Request`)."""
    if not token:
        raise _unauthorized(NOT_LOGGED_IN)
    try:
        claims = context.codec.read(token)
    except SessionError as exc:
        raise _unauthorized(_SESSION_MESSAGES[exc.problem]) from exc
    user = context.users.get(claims.user_id)
    if user is None:
        raise _unauthorized(INVALID_SESSION)
    if not user.active:
        raise _unauthorized(ACCOUNT_DISABLED)
    if claims.marker != context.users.password_marker(user.id):
        # The password changed since this session was opened (here or elsewhere).
        raise _unauthorized(SESSION_EXPIRED)
    return user


SessionUser = Annotated[UserPublic, Depends(session_user)]


def current_user(user: SessionUser) -> UserPublic:
    """The session's user, provided they need not change their password first."""
    if user.must_change_password:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=PASSWORD_CHANGE_REQUIRED)
    return user


CurrentUser = Annotated[UserPublic, Depends(current_user)]


class RequireRole:
    """A dependency admitting only users with one of the given roles.

    Use as `Annotated[UserPublic, Depends(RequireRole(Role.ADMIN))]`.
    """

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(self, user: CurrentUser) -> UserPublic:
        """The user, if their role is one of ours; 403 otherwise."""
        if user.role not in self.roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=FORBIDDEN)
        return user


AdminUser = Annotated[UserPublic, Depends(RequireRole(Role.ADMIN))]
SupervisorUser = Annotated[UserPublic, Depends(RequireRole(Role.ADMIN, Role.SUPERVISOR))]


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: what the proxy forwarded)."""
    return request.client.host if request.client else "unknown"
