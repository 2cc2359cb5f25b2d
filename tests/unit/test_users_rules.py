"""The pure rules of user accounts: username form, password policy, roles, generated passwords."""

from __future__ import annotations

import pytest

from crm_core.models import ROLES
from crm_core.users import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    PasswordPolicyError,
    Role,
    check_password_policy,
    generate_password,
    normalize_username,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("given", "stored"),
    [("Alice", "alice"), ("  bob.smith ", "bob.smith"), ("a_1@x-y", "a_1@x-y"), ("7", "7")],
)
def test_username_is_stored_trimmed_and_lower_case(given: str, stored: str) -> None:
    assert normalize_username(given) == stored


@pytest.mark.parametrize("bad", ["", "   ", "-lead", "has space", "ümlaut", "a/b", "x" * 65])
def test_username_of_bad_form_is_refused_with_the_rule(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid username"):
        normalize_username(bad)


def test_password_of_minimum_length_passes_and_one_less_fails() -> None:
    check_password_policy("x" * PASSWORD_MIN)
    with pytest.raises(PasswordPolicyError, match=f"at least {PASSWORD_MIN}"):
        check_password_policy("x" * (PASSWORD_MIN - 1))


def test_password_longer_than_the_cap_fails() -> None:
    check_password_policy("x" * PASSWORD_MAX)
    with pytest.raises(PasswordPolicyError, match="too long"):
        check_password_policy("x" * (PASSWORD_MAX + 1))


def test_password_equal_to_the_username_fails_in_any_case() -> None:
    with pytest.raises(PasswordPolicyError, match="username"):
        check_password_policy("Supervisor1", "supervisor1")


def test_password_policy_error_is_a_value_error() -> None:
    assert issubclass(PasswordPolicyError, ValueError)


def test_generated_passwords_pass_the_policy_and_differ() -> None:
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        check_password_policy(password)
        assert len(password) >= 20


def test_roles_in_the_database_check_match_the_role_enum() -> None:
    assert set(ROLES) == {r.value for r in Role}
