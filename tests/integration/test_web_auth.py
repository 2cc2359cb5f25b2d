"""Logging in and out over HTTP: cookies, expiry, tampering, throttling, the password gate."""

from __future__ import annotations

import pytest
from web_support import PASSWORD, ManualClock, WebHarness, login, web_settings

from agent_ui.deps import SESSION_COOKIE
from crm_core.users import Role

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

BAD_CREDENTIALS = {"detail": "invalid username or password"}


@pytest.fixture
def web(tmp_path, sqlite_sessions) -> WebHarness:
    return WebHarness(web_settings(tmp_path), sqlite_sessions, ManualClock())


async def test_given_right_password_when_logging_in_then_cookie_set_and_me_answers(web):
    web.add_user("alice", Role.SUPERVISOR)
    async with web.client() as client:
        response = await login(client, "Alice")
        assert response.status_code == 200
        assert response.json()["username"] == "alice"
        assert set(response.json()) == {
            "id",
            "username",
            "display_name",
            "role",
            "agent_id",
            "must_change_password",
            "active",
            "language",
        }
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Max-Age=3600" in cookie
        assert "Secure" not in cookie  # plain http in the test
        me = await client.get("/api/me")
    assert me.status_code == 200
    assert me.json()["role"] == "supervisor"


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong password!"), ("nobody", PASSWORD)]
)
async def test_wrong_password_and_unknown_user_get_the_same_401(web, username, password):
    web.add_user("alice")
    async with web.client() as client:
        response = await login(client, username, password)
        assert response.status_code == 401
        assert response.json() == BAD_CREDENTIALS
        assert "set-cookie" not in response.headers
        assert (await client.get("/api/me")).json() == {"detail": "not logged in"}


async def test_malformed_login_body_is_422_and_names_the_field(web):
    async with web.client() as client:
        response = await client.post("/api/auth/login", json={"username": "alice"})
    assert response.status_code == 422
    assert "password" in response.text


async def test_given_session_older_than_max_age_then_401_session_expired(web):
    web.add_user("alice")
    async with web.client() as client:
        assert (await login(client, "alice")).status_code == 200
        web.clock.advance(web.settings.session_max_age_s - 1)
        assert (await client.get("/api/me")).status_code == 200
        web.clock.advance(2)
        response = await client.get("/api/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "session expired, please log in again"}


async def test_given_tampered_cookie_then_401_invalid_session(web):
    web.add_user("alice")
    async with web.client() as client:
        await login(client, "alice")
        token = client.cookies[SESSION_COOKIE]
        client.cookies.clear()
        forged = token.replace(token[2], "A" if token[2] != "A" else "B", 1)
        client.cookies.set(SESSION_COOKIE, forged)
        response = await client.get("/api/me")
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid session"}


async def test_given_cookie_signed_by_another_server_then_401_invalid_session(tmp_path, web):
    web.add_user("alice")
    other_settings = web_settings(tmp_path, secret_key="another-secret-9Fq2Lm7Xz4Rb8Tn1Vc6Kp3")
    other = WebHarness(other_settings, web.sessions, web.clock)
    async with other.client() as other_client:
        await login(other_client, "alice")
        token = other_client.cookies[SESSION_COOKIE]
    async with web.client() as client:
        client.cookies.set(SESSION_COOKIE, token)
        response = await client.get("/api/me")
    assert response.json() == {"detail": "invalid session"}


async def test_given_logged_in_when_logging_out_then_cookie_cleared(web):
    web.add_user("alice")
    async with web.client() as client:
        await login(client, "alice")
        response = await client.post("/api/auth/logout")
        assert response.status_code == 204
        assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
        assert (await client.get("/api/me")).json() == {"detail": "not logged in"}
        # Logging out again is harmless.
        assert (await client.post("/api/auth/logout")).status_code == 204


async def test_given_too_many_failures_for_a_username_then_429_until_lockout_passes(web):
    web.add_user("alice")
    max_failures = web.settings.login_max_failures
    lockout = web.settings.login_lockout_s
    async with web.client("10.0.0.1") as first, web.client("10.0.0.2") as second:
        for _ in range(max_failures):
            assert (await login(first, "alice", "wrong password!")).status_code == 401
        # Another address, and the right password: still refused while the username is locked.
        refused = await login(second, "alice")
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == str(lockout)
        web.clock.advance(lockout - 1)
        refused = await login(second, "alice")
        assert refused.headers["Retry-After"] == "1"
        web.clock.advance(1)
        assert (await login(second, "alice")).status_code == 200


async def test_given_too_many_failures_from_one_address_then_every_username_is_refused(web):
    web.add_user("alice")
    async with web.client("10.0.0.9") as client, web.client("10.0.0.8") as elsewhere:
        for name in ("x1", "x2", "x3"):
            assert (await login(client, name)).status_code == 401
        assert (await login(client, "alice")).status_code == 429
        assert (await login(elsewhere, "alice")).status_code == 200


async def test_a_successful_login_resets_the_usernames_count(web):
    web.add_user("alice")
    async with (
        web.client("10.0.0.1") as a,
        web.client("10.0.0.2") as b,
        web.client("10.0.0.3") as c,
    ):
        for _ in range(web.settings.login_max_failures - 1):
            await login(a, "alice", "wrong password!")
        assert (await login(b, "alice")).status_code == 200
        for _ in range(web.settings.login_max_failures - 1):
            await login(c, "alice", "wrong password!")
        assert (await login(b, "alice")).status_code == 200


async def test_given_must_change_password_then_only_me_logout_and_password_allowed(web):
    web.add_user("bob", Role.ADMIN, must_change=True)
    async with web.client() as client:
        response = await login(client, "bob")
        assert response.json()["must_change_password"] is True
        assert (await client.get("/api/me")).status_code == 200
        for path in ("/api/calls/recent", "/api/stats/today", "/metrics"):
            blocked = await client.get(path)
            assert blocked.status_code == 403, path
            assert blocked.json() == {"detail": "password change required"}
        changed = await client.post(
            "/api/auth/password", json={"old": PASSWORD, "new": "a much better passphrase"}
        )
        assert changed.status_code == 200
        assert changed.json()["must_change_password"] is False
        # The renewed cookie works, and the gate is open.
        assert (await client.get("/api/calls/recent")).status_code == 200


async def test_given_wrong_old_password_then_400_and_nothing_changes(web):
    web.add_user("bob", must_change=True)
    async with web.client() as client:
        await login(client, "bob")
        response = await client.post(
            "/api/auth/password", json={"old": "not my password", "new": "a much better one!"}
        )
        assert response.status_code == 400
        assert response.json() == {"detail": "the current password is wrong"}
        assert (await client.get("/api/me")).json()["must_change_password"] is True


async def test_given_weak_new_password_then_400_says_why(web):
    web.add_user("bob", must_change=True)
    async with web.client() as client:
        await login(client, "bob")
        response = await client.post("/api/auth/password", json={"old": PASSWORD, "new": "short"})
    assert response.status_code == 400
    assert "too short" in response.json()["detail"]


async def test_a_password_change_ends_the_users_other_sessions(web):
    web.add_user("carol")
    async with web.client() as laptop, web.client() as phone:
        await login(laptop, "carol")
        await login(phone, "carol")
        new = "carol's new passphrase"
        changed = await laptop.post("/api/auth/password", json={"old": PASSWORD, "new": new})
        assert changed.status_code == 200
        assert (await laptop.get("/api/me")).status_code == 200
        stale = await phone.get("/api/me")
    assert stale.status_code == 401
    assert stale.json() == {"detail": "session expired, please log in again"}


async def test_a_deactivated_user_is_logged_out_and_cannot_log_in(web):
    user = web.add_user("dave")
    async with web.client() as client:
        await login(client, "dave")
        web.users.deactivate(user.id)
        assert (await client.get("/api/me")).status_code == 401
        refused = await login(client, "dave")
    assert refused.status_code == 403
    assert "disabled" in refused.json()["detail"]


async def test_missing_cookie_is_401_not_logged_in(web):
    async with web.client() as client:
        response = await client.get("/api/calls/recent")
    assert response.status_code == 401
    assert response.json() == {"detail": "not logged in"}


@pytest.mark.parametrize(("role", "status"), [(Role.ADMIN, 200), (Role.SUPERVISOR, 403)])
async def test_metrics_are_for_admins_only(web, role, status):
    web.add_user("someone", role)
    async with web.client() as client:
        await login(client, "someone")
        response = await client.get("/metrics")
    assert response.status_code == status
    if status == 200:
        assert response.headers["content-type"].startswith("text/plain")
        assert 'hotline_logins_total{outcome="ok"} 1.0' in response.text
        assert "hotline_http_requests_total" in response.text


async def test_metrics_without_login_is_401(web):
    async with web.client() as client:
        assert (await client.get("/metrics")).status_code == 401


async def test_openapi_documents_the_auth_routes(web):
    async with web.client() as client:
        schema = (await client.get("/openapi.json")).json()
        docs = await client.get("/docs")
    assert {"/api/auth/login", "/api/auth/logout", "/api/me", "/api/auth/password"} <= set(
        schema["paths"]
    )
    assert "LoginRequest" in schema["components"]["schemas"]
    assert docs.status_code == 200


async def test_given_a_page_on_another_site_then_its_writes_are_refused_and_headers_set(web):
    web.add_user("alice", Role.AGENT)
    async with web.client() as client:
        await login(client, "alice")
        evil = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
        response = await client.post("/api/auth/logout", headers=evil)
        assert response.status_code == 403
        assert response.json() == {"detail": "cross-site request refused"}
        assert (await client.get("/api/me")).status_code == 200  # still logged in
        same = await client.post("/api/auth/logout", headers={"sec-fetch-site": "same-origin"})
        assert same.status_code == 204
        assert same.headers["x-frame-options"] == "DENY"
        assert same.headers["x-content-type-options"] == "nosniff"


async def test_given_a_user_choosing_chinese_then_me_says_so_and_others_are_refused(web):
    web.add_user("alice", Role.AGENT)
    async with web.client() as client:
        await login(client, "alice")
        assert (await client.get("/api/me")).json()["language"] == "en"
        chosen = await client.put("/api/me/language", json={"language": "zh-CN"})
        assert chosen.status_code == 200
        assert (await client.get("/api/me")).json()["language"] == "zh-CN"
        refused = await client.put("/api/me/language", json={"language": "fr"})
        assert refused.status_code == 422
        assert "unknown language 'fr'" in refused.json()["detail"]
