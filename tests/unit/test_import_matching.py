"""Duplicate decisions of an import: new, merged (same or no owner), flagged (another owner,
several customers, the name alone), refused (no owner at all); and the key index behind them."""

from __future__ import annotations

import pytest

from crm_core.import_headers import map_columns
from crm_core.import_matching import (
    Existing,
    Flag,
    KeyIndex,
    MergeInto,
    NewCustomer,
    Planned,
    Refuse,
    decide,
    index_key,
    match_keys,
)
from crm_core.import_rows import OwnerDirectory, OwnerEntry, RowDraft, RowRules, parse_row
from crm_core.import_source import SourceRow

pytestmark = pytest.mark.unit

OWNERS = OwnerDirectory([OwnerEntry(1, "li", "李雷"), OwnerEntry(2, "wang", "王芳")])
RULES = RowRules(map_columns(["客户名称", "电话", "邮箱", "负责人"]), OWNERS, "CN")
LI, WANG = 1, 2


def draft(name: str = "甲公司", phone: str = "", email: str = "", owner: str = "") -> RowDraft:
    parsed = parse_row(SourceRow(7, 7, (name, phone, email, owner)), RULES)
    assert isinstance(parsed, RowDraft), parsed
    return parsed


def test_match_keys_are_phones_emails_and_name_key() -> None:
    keys = match_keys(draft("甲贸易有限公司", "13800138000", "A@x.com"))
    assert keys == ["p:+8613800138000", "e:a@x.com", "n:甲贸易"]


def test_given_no_match_when_decided_then_new_with_row_owner_else_default() -> None:
    assert decide(draft(owner="wang"), {}, LI, OWNERS) == NewCustomer(draft(owner="wang"), WANG)
    assert decide(draft(), {}, LI, OWNERS) == NewCustomer(draft(), LI)


def test_given_no_match_and_no_owner_anywhere_when_decided_then_refused() -> None:
    decision = decide(draft(), {}, None, OWNERS)
    assert isinstance(decision, Refuse)
    assert decision.reason == "no owner: the row names none and no default owner was given"


@pytest.mark.parametrize("owner", ["li", ""])
def test_given_phone_match_with_same_or_no_owner_when_decided_then_merged(owner: str) -> None:
    target = Existing(40, LI)
    row = draft(phone="13800138000", owner=owner)
    assert decide(row, {target: {"phone"}}, WANG, OWNERS) == MergeInto(row, target)


def test_given_email_match_with_other_owner_when_decided_then_flagged_naming_both() -> None:
    decision = decide(
        draft(email="a@x.com", owner="wang"), {Existing(40, LI): {"email"}}, None, OWNERS
    )
    assert isinstance(decision, Flag)
    assert decision.reason == (
        "duplicate of customer #40 owned by li (same email); the row names wang"
    )


def test_given_match_with_earlier_row_when_decided_then_reason_names_the_row() -> None:
    decision = decide(
        draft(phone="13800138000", owner="wang"), {Planned(3, LI): {"phone"}}, None, OWNERS
    )
    assert isinstance(decision, Flag)
    assert "the customer of row 3 of this file, owned by li (same phone)" in decision.reason


def test_given_several_customers_share_keys_when_decided_then_flagged_listing_them() -> None:
    matches = {Planned(9, LI): {"email"}, Existing(5, WANG): {"phone", "name"}}
    decision = decide(draft(), matches, LI, OWNERS)
    assert isinstance(decision, Flag)
    assert decision.reason == (
        "matches several customers: customer #5 owned by wang (same phone and name); "
        "the customer of row 9 of this file, owned by li (same email)"
    )


def test_given_strong_match_and_another_name_only_match_when_decided_then_merged() -> None:
    strong = Existing(5, LI)
    decision = decide(draft(), {strong: {"phone"}, Existing(6, LI): {"name"}}, LI, OWNERS)
    assert decision == MergeInto(draft(), strong)


def test_given_name_only_match_when_decided_then_flagged() -> None:
    decision = decide(draft(owner="li"), {Existing(5, LI): {"name"}}, LI, OWNERS)
    assert isinstance(decision, Flag)
    assert decision.reason == (
        "same name as customer #5 owned by li, but no phone or email in common"
    )


def test_key_index_keeps_one_target_bare_and_several_in_a_set() -> None:
    index = KeyIndex()
    key = index_key("phone", "+8613800138000")
    index.add(key, Existing(1, LI))
    index.add(key, Existing(1, LI))
    assert index.entries[key] == Existing(1, LI)
    index.add(key, Planned(4, WANG))
    assert index.entries[key] == {Existing(1, LI), Planned(4, WANG)}


def test_key_index_finds_what_a_recorded_row_shares() -> None:
    index = KeyIndex()
    index.record(draft("甲公司", "13800138000", "a@x.com"), Planned(2, LI))
    found = index.find(draft("甲公司", "", "A@X.com"))
    assert found == {Planned(2, LI): {"email", "name"}}
    assert index.find(draft("乙公司", "13900139000")) == {}


def test_given_unknown_owner_id_when_described_then_hash_id() -> None:
    assert OWNERS.name_of(99) == "#99"
