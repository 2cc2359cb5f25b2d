"""Customer record rules (pure): validation, normal forms, name keys, the duplicate rule, scopes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core.customer_rules import (
    ContactDraft,
    CustomerDraft,
    CustomerKind,
    InvalidCustomer,
    PhoneInput,
    name_key,
    normalize_email,
    normalize_tags,
    validate_draft,
)
from crm_core.duplicates import DuplicateMatch, is_blocking
from crm_core.users import Role
from crm_core.visibility import Scope, scope_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ACME Ltd.", "acme limited"),
        ("Acme Co., Ltd.", "ACME"),
        ("Ａｃｍｅ  Trading", "acme trading"),
        ("华为技术有限公司", "华为技术"),
        ("华为技术股份有限公司", "华为技术"),
        ("Zhang  Wei", "zhang wei"),
        ("O'Brien & Sons", "obrien sons"),
    ],
)
def test_names_that_mean_the_same_share_a_key(a: str, b: str):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(("a", "b"), [("Costco", "Cost"), ("Acme", "Acme East"), ("公司", "")])
def test_different_names_keep_different_keys(a: str, b: str):
    assert name_key(a) != name_key(b)


def test_a_legal_form_alone_is_still_a_name():
    assert name_key("Ltd") == "ltd"
    assert name_key("公司") == "公司"


@given(st.text(max_size=60))
def test_name_key_is_idempotent_in_effect(name: str):
    key = name_key(name)
    assert name_key(key) == name_key(name_key(key))


def test_valid_draft_has_stored_forms():
    valid = validate_draft(
        CustomerDraft(
            name=" Li   Lei ",
            kind="PERSON",
            phones=("13800138000", PhoneInput("+86 138 0013 8000", "dup"), "010-12345678#5"),
            emails=("Li@X.cn", "li@x.CN"),
            tags=(" VIP ", "vip", ""),
            city=" ",
            contacts=(ContactDraft("Han Meimei", " buyer ", ("13911112222",), ("H@x.cn",)),),
        ),
        "CN",
    )
    assert (valid.name, valid.kind, valid.city) == ("Li Lei", CustomerKind.PERSON, None)
    assert [(p.e164, p.extension) for p in valid.phones] == [
        ("+8613800138000", None),
        ("+861012345678", "5"),
    ]
    assert valid.emails == ("li@x.cn",)
    assert valid.tags == ("vip",)
    assert valid.contacts[0].title == "buyer"
    assert valid.all_e164 == {"+8613800138000", "+861012345678", "+8613911112222"}
    assert valid.all_emails == {"li@x.cn", "h@x.cn"}


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (CustomerDraft(name="!!!"), "name"),
        (CustomerDraft(name="ok", vip_level=-1), "vip_level"),
        (CustomerDraft(name="ok", vip_level=True), "vip_level"),
        (CustomerDraft(name="ok", city="c" * 101), "city"),
        (CustomerDraft(name="ok", region="r" * 101), "region"),
        (CustomerDraft(name="ok", phones=("1",) * 21), "phones"),
        (CustomerDraft(name="ok", phones=(PhoneInput("13800138000", "l" * 33),)), "phones"),
        (CustomerDraft(name="ok", emails=("a@b.c" + "c" * 250,)), "emails"),
        (CustomerDraft(name="ok", emails=("a b@c.cn",)), "emails"),
        (CustomerDraft(name="ok", tags=tuple(f"t{i}" for i in range(51))), "tags"),
        (CustomerDraft(name="ok", custom_fields={"": 1}), "custom_fields"),
        (CustomerDraft(name="ok", custom_fields={"k": float("nan")}), "custom_fields"),
        (CustomerDraft(name="ok", custom_fields={"k": "v" * 10_001}), "custom_fields"),
        (CustomerDraft(name="ok", custom_fields={f"k{i}": 1 for i in range(51)}), "custom_fields"),
        (CustomerDraft(name="ok", contacts=(ContactDraft("x", "t" * 101),)), "contacts[0].title"),
        (
            CustomerDraft(name="ok", contacts=(ContactDraft("x", phones=("1",)),)),
            "contacts[0].phones",
        ),
        (
            CustomerDraft(name="ok", contacts=(ContactDraft("x", emails=("no",)),)),
            "contacts[0].emails",
        ),
    ],
)
def test_each_rule_names_its_field(draft: CustomerDraft, field: str):
    with pytest.raises(InvalidCustomer) as caught:
        validate_draft(draft, "CN")
    assert caught.value.field == field
    assert str(caught.value).startswith(field)


def test_emails_and_tags_fold_case_and_width():
    assert normalize_email("  ＬＩ@Ｘ.cn ") == "li@x.cn"
    assert normalize_tags(["Ｂ", "a", "b "]) == ("a", "b")


def _match(*fields: str) -> DuplicateMatch:
    return DuplicateMatch(1, 2, "alice", fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("matches", "role", "override", "blocked"),
    [
        ([], Role.AGENT, False, False),
        ([_match("name")], Role.AGENT, False, True),
        ([_match("name")], Role.AGENT, True, False),
        ([_match("phone")], Role.AGENT, True, True),
        ([_match("name"), _match("email")], Role.AGENT, True, True),
        ([_match("phone")], Role.SUPERVISOR, False, True),
        ([_match("phone")], Role.SUPERVISOR, True, False),
        ([_match("email", "name")], Role.ADMIN, True, False),
    ],
)
def test_duplicate_rule(matches: list[DuplicateMatch], role: Role, override: bool, blocked: bool):
    assert is_blocking(matches, role, override) is blocked


def test_each_role_has_its_reach():
    assert scope_of(Role.ADMIN) is Scope.EVERYTHING
    assert scope_of(Role.SUPERVISOR) is Scope.TEAM
    assert scope_of(Role.AGENT) is Scope.OWN
