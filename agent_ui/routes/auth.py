"""Logging in and out, who am I, and changing one's password.

Login failures all read "invalid username or password", so the answer never tells whether a
username exists. Too many failures for a username or from an address answer 429 with Retry-After.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response, status

from agent_ui.auth import retry_after_header
from agent_ui.deps import (
    ACCOUNT_DISABLED,
    INVALID_SESSION,
    SESSION_COOKIE,
    ContextDep,
    SessionUser,
    WebContext,
    claims_for,
    client_address,
)
from agent_ui.schemas import LanguageRequest, LoginRequest, PasswordChangeRequest, UserPublicOut
from crm_core.users import AuthError, PasswordPolicyError, UserNotFound, UserPublic

BAD_CREDENTIALS = "invalid username or password"
TOO_MANY_ATTEMPTS = "too many failed logins; try again later"
WRONG_OLD_PASSWORD = "the current password is wrong"

router = APIRouter(prefix="/api", tags=["auth"])


@router.post(
    "/auth/login",
    responses={
        401: {"description": BAD_CREDENTIALS},
        403: {"description": ACCOUNT_DISABLED},
        429: {"description": TOO_MANY_ATTEMPTS},
    },
)
def login(
    body: LoginRequest, request: Request, response: Response, context: ContextDep
) -> UserPublicOut:
    """Check the credentials and open a session (an HttpOnly cookie)."""
    address = client_address(request)
    _refuse_if_throttled(context, body.username, address)
    try:
        user = context.users.authenticate(body.username, body.password)
    except AuthError as exc:
        if exc.reason == "inactive":
            # Only said once the password matched, so it tells a guesser nothing.
            context.metrics.logins.labels(outcome="inactive").inc()
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=ACCOUNT_DISABLED) from exc
        context.throttle.record_failure(body.username, address)
        context.metrics.logins.labels(outcome="failed").inc()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=BAD_CREDENTIALS) from exc
    context.throttle.record_success(body.username)
    context.metrics.logins.labels(outcome="ok").inc()
    _set_session_cookie(response, request, context, user)
    return UserPublicOut.of(user)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(response: Response) -> None:
    """Forget the session cookie (works whether or not the session is still valid)."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")


@router.get("/me")
def me(user: SessionUser) -> UserPublicOut:
    """The logged-in user (also while a password change is pending)."""
    return UserPublicOut.of(user)


@router.put("/me/language")
def set_language(body: LanguageRequest, user: SessionUser, context: ContextDep) -> UserPublicOut:
    """Show my pages in this language (`en` or `zh-CN`)."""
    try:
        return UserPublicOut.of(context.users.set_language(user.id, body.language))
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail=str(exc)) from exc


@router.post("/auth/password", responses={400: {"description": "weak or wrong password"}})
def change_password(
    body: PasswordChangeRequest,
    user: SessionUser,
    request: Request,
    response: Response,
    context: ContextDep,
) -> UserPublicOut:
    """Change one's own password; other sessions end, this one is renewed."""
    # A stolen session must not become a way to guess the password: same throttle as login.
    address = client_address(request)
    _refuse_if_throttled(context, user.username, address)
    try:
        updated = context.users.change_password(user.id, body.old, body.new)
    except AuthError as exc:
        context.throttle.record_failure(user.username, address)
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=WRONG_OLD_PASSWORD) from exc
    except PasswordPolicyError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from exc
    except UserNotFound as exc:  # deleted meanwhile: nothing left to log in as
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=INVALID_SESSION) from exc
    _set_session_cookie(response, request, context, updated)
    return UserPublicOut.of(updated)


def _refuse_if_throttled(context: WebContext, username: str, address: str) -> None:
    wait = context.throttle.retry_after(username, address)
    if wait is not None:
        context.metrics.logins.labels(outcome="throttled").inc()
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=TOO_MANY_ATTEMPTS,
            headers={"Retry-After": retry_after_header(wait)},
        )


def _set_session_cookie(
    response: Response, request: Request, context: WebContext, user: UserPublic
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        context.codec.issue(claims_for(context, user)),
        max_age=int(context.settings.session_max_age_s),
        path="/",
        httponly=True,
        samesite="lax",
        # Over HTTPS (directly or via a proxy uvicorn trusts) the cookie never travels in clear.
        secure=request.url.scheme == "https",
    )
