"""One import row to a customer draft or a reject reason: blank rows, missing names, bad phones and
emails (the whole row is rejected), owners, tags, VIP levels, kinds, custom fields, notes, and
cells an export protected against formulas."""

from __future__ import annotations

import pytest

from crm_core.customer_rules import CustomerKind
from crm_core.import_headers import map_columns
from crm_core.import_rows import (
    OwnerDirectory,
    OwnerEntry,
    RowDraft,
    RowReject,
    RowRules,
    has_legal_form,
    parse_row,
    parse_vip,
)
from crm_core.import_source import SourceRow

pytestmark = pytest.mark.unit

HEADER = (
    "客户名称",
    "联系人",
    "手机",
    "座机",
    "邮箱",
    "负责人",
    "标签",
    "VIP",
    "城市",
    "备注",
    "行业",
)
OWNERS = OwnerDirectory(
    [
        OwnerEntry(1, "li", "李雷"),
        OwnerEntry(2, "wang", "王芳"),
        OwnerEntry(3, "zhang1", "张伟"),
        OwnerEntry(4, "zhang2", "张伟"),
        OwnerEntry(5, "gone", "Gone", active=False),
    ]
)


def rules(header: tuple[str, ...] = HEADER) -> RowRules:
    return RowRules(map_columns(header), OWNERS, "CN")


def row(*cells: str, number: int = 12, header: tuple[str, ...] = HEADER) -> RowDraft | RowReject:
    return parse_row(SourceRow(number, number + 1, cells), rules(header))


def full(**changes: str) -> tuple[str, ...]:
    values = {
        "name": "北京甲科技有限公司",
        "contact": "王经理",
        "mobile": "138 0013 8000",
        "landline": "010-12345678",
        "email": "Sales@Example.COM",
        "owner": "li",
        "tags": "VIP，北京; 经销商",
        "vip": "3",
        "city": "北京",
        "notes": "老客户",
        "industry": "IT",
    }
    values.update(changes)
    return tuple(values.values())


def ok(result: RowDraft | RowReject) -> RowDraft:
    assert isinstance(result, RowDraft), result
    return result


def rejected(result: RowDraft | RowReject) -> str:
    assert isinstance(result, RowReject), result
    return result.reason


def test_given_full_row_when_parsed_then_draft_in_stored_form() -> None:
    draft = ok(row(*full()))
    valid = draft.valid
    assert valid.name == "北京甲科技有限公司"
    assert valid.kind is CustomerKind.COMPANY
    assert [p.e164 for p in valid.phones] == ["+8613800138000", "+861012345678"]
    assert valid.emails == ("sales@example.com",)
    assert valid.tags == ("vip", "北京", "经销商")
    assert valid.vip_level == 3
    assert valid.city == "北京"
    assert valid.contacts[0].name == "王经理"
    assert valid.custom_fields == {"行业": "IT"}
    assert draft.owner_user_id == 1
    assert draft.notes == "老客户"
    assert (draft.number, draft.line) == (12, 13)


@pytest.mark.parametrize("cells", [(), ("",), ("", " ", "\t"), ("",) * 20])
def test_given_blank_row_when_parsed_then_rejected_as_blank(cells: tuple[str, ...]) -> None:
    assert rejected(row(*cells)) == "blank row"


def test_given_row_without_name_when_parsed_then_rejected() -> None:
    assert rejected(row(*full(name=" "))) == "no customer name"


def test_given_malformed_csv_row_when_parsed_then_rejected_with_its_error() -> None:
    result = parse_row(SourceRow(7, 9, (), "malformed CSV from line 9: x"), rules())
    assert rejected(result) == "malformed CSV from line 9: x"


def test_given_one_bad_phone_among_good_ones_when_parsed_then_whole_row_rejected() -> None:
    reason = rejected(row(*full(mobile="13800138000; 12ab")))
    assert reason.startswith("phone '12ab': not a phone number")
    message = row(*full(mobile="12ab"))
    assert isinstance(message, RowReject)
    assert message.message.startswith("row 12: phone '12ab'")


@pytest.mark.parametrize(
    "phone", ["12345", "+86 999 9999 9999", "138001380001234567890", "电话号码"]
)
def test_given_invalid_phone_when_parsed_then_rejected_naming_it(phone: str) -> None:
    assert f"phone {phone!r}" in rejected(row(*full(mobile=phone)))


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("13800138000/13900139000", ["+8613800138000", "+8613900139000"]),
        ("13800138000、13900139000", ["+8613800138000", "+8613900139000"]),
        ("13800138000\n13900139000", ["+8613800138000", "+8613900139000"]),
        ("１３８００１３８０００", ["+8613800138000"]),  # full-width digits
        ("+86-138-0013-8000", ["+8613800138000"]),
        ("13800138000, 13800138000", ["+8613800138000"]),  # repeated: kept once
    ],
)
def test_given_phones_typed_in_many_ways_when_parsed_then_e164(
    cell: str, expected: list[str]
) -> None:
    valid = ok(row(*full(mobile=cell, landline=""))).valid
    assert [p.e164 for p in valid.phones] == expected


def test_given_extension_when_parsed_then_kept() -> None:
    phone = ok(row(*full(mobile="", landline="010-12345678 转 123"))).valid.phones[0]
    assert (phone.e164, phone.extension) == ("+861012345678", "123")


@pytest.mark.parametrize("email", ["bad@", "no-at-sign", "a@b", "two@@x.com"])
def test_given_bad_email_when_parsed_then_rejected_naming_it(email: str) -> None:
    assert rejected(row(*full(email=email))) == f"email {email!r} is not an email address"


def test_given_several_emails_in_one_cell_when_parsed_then_all_lower_cased() -> None:
    valid = ok(row(*full(email="A@x.com; b@Y.cn，c@z.org"))).valid
    assert valid.emails == ("a@x.com", "b@y.cn", "c@z.org")


@pytest.mark.parametrize(
    ("owner", "owner_id"), [("li", 1), ("LI", 1), ("王芳", 2), (" wang ", 2), ("", None)]
)
def test_given_owner_by_username_or_display_name_when_parsed_then_resolved(
    owner: str, owner_id: int | None
) -> None:
    assert ok(row(*full(owner=owner))).owner_user_id == owner_id


@pytest.mark.parametrize(
    ("owner", "reason"),
    [
        ("nobody", "owner 'nobody' is not a Hotline user"),
        ("张伟", "owner '张伟' is the name of 2 users: give the username"),
        ("gone", "owner 'gone' is an inactive user"),
    ],
)
def test_given_unusable_owner_when_parsed_then_rejected(owner: str, reason: str) -> None:
    assert rejected(row(*full(owner=owner))).startswith(reason)


@pytest.mark.parametrize(
    ("text", "level"), [("", 0), ("0", 0), ("5", 5), ("VIP3", 3), ("v2", 2), ("4级", 4)]
)
def test_vip_levels(text: str, level: int) -> None:
    assert parse_vip(text) == level


@pytest.mark.parametrize("vip", ["6", "gold", "-1", "3.5"])
def test_given_bad_vip_level_when_parsed_then_rejected(vip: str) -> None:
    assert rejected(row(*full(vip=vip))).startswith("VIP level")


def test_given_more_cells_than_header_when_parsed_then_rejected_hinting_at_commas() -> None:
    reason = rejected(row(*full(), "ACME", " Inc."))
    assert reason.startswith("13 cells but the header has 11 columns")


def test_given_value_under_a_column_without_header_when_parsed_then_kept() -> None:
    draft = ok(row("甲", "", "kept", header=("客户名称", "行业", "")))
    assert draft.valid.custom_fields == {"column C": "kept"}


def test_given_fewer_cells_than_header_when_parsed_then_missing_are_empty() -> None:
    valid = ok(row("甲公司", "", "13800138000")).valid
    assert valid.emails == ()
    assert valid.vip_level == 0


def test_given_export_protected_cells_when_parsed_then_apostrophe_removed() -> None:
    valid = ok(row(*full(name="'=SUM(A1)", mobile="'+8613800138000", landline=""))).valid
    assert valid.name == "=SUM(A1)"
    assert valid.phones[0].e164 == "+8613800138000"


def test_given_name_too_long_when_parsed_then_rejected() -> None:
    assert rejected(row(*full(name="x" * 201))).startswith("name too long")


def test_given_too_long_tag_when_parsed_then_rejected() -> None:
    assert "longer than 64" in rejected(row(*full(tags="t" * 65)))


@pytest.mark.parametrize(
    ("header", "name", "contact", "kind"),
    [
        (("姓名", "联系人"), "张三", "", CustomerKind.PERSON),
        (("公司", "联系人"), "甲", "", CustomerKind.COMPANY),
        (("客户名称", "联系人"), "甲", "王经理", CustomerKind.COMPANY),
        (("客户名称", "联系人"), "甲贸易有限公司", "", CustomerKind.COMPANY),
        (("name", "contact"), "Acme Ltd.", "", CustomerKind.COMPANY),
        (("name", "contact"), "Ann Lee", "", CustomerKind.PERSON),
    ],
)
def test_kind_is_inferred_from_header_contact_or_legal_form(
    header: tuple[str, str], name: str, contact: str, kind: CustomerKind
) -> None:
    assert ok(row(name, contact, header=header)).valid.kind is kind


@pytest.mark.parametrize(
    ("given", "kind"), [("个人", CustomerKind.PERSON), ("Company", CustomerKind.COMPANY)]
)
def test_given_kind_column_when_parsed_then_it_wins(given: str, kind: CustomerKind) -> None:
    valid = ok(row("甲贸易有限公司", given, header=("客户名称", "客户性质"))).valid
    assert valid.kind is kind


def test_given_unknown_kind_when_parsed_then_rejected() -> None:
    reason = rejected(row("甲", "潜在客户", header=("客户名称", "客户性质")))
    assert reason == "kind '潜在客户': use 公司/company or 个人/person"


def test_given_title_without_contact_when_parsed_then_rejected() -> None:
    reason = rejected(row("甲", "", "经理", header=("客户名称", "联系人", "职位")))
    assert reason == "contact title given without a contact name"


def test_given_notes_in_two_columns_when_parsed_then_joined() -> None:
    draft = ok(row("甲", "一", "二", header=("客户名称", "备注", "说明")))
    assert draft.notes == "一\n二"


def test_given_embedded_newline_and_comma_in_name_when_parsed_then_name_is_one_line() -> None:
    assert ok(row("甲, 乙\n公司", header=("客户名称",))).valid.name == "甲, 乙 公司"


@pytest.mark.parametrize(
    ("name", "company"), [("甲贸易有限公司", True), ("ACME GmbH", True), ("张伟", False)]
)
def test_has_legal_form(name: str, company: bool) -> None:
    assert has_legal_form(name) is company
