"""Which column holds which customer field: Chinese and English synonyms, folding of width, case and
spaces, several phone columns, custom columns, mapping files (TOML and JSON) and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_core.customer_export import EXPORT_COLUMNS
from crm_core.import_headers import (
    FIELDS,
    IGNORE,
    SYNONYMS,
    HeaderError,
    check_mapping,
    column_letter,
    fold_header,
    load_mapping,
    map_columns,
    match_header,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("客户名称", "name"),
        ("公司", "name"),
        ("公司名称", "name"),
        ("名称", "name"),
        ("Name", "name"),
        ("COMPANY", "name"),
        ("Customer Name", "name"),
        ("联系人", "contact"),
        ("电话", "phone"),
        ("手机", "phone"),
        ("座机", "phone"),
        ("联系电话", "phone"),
        ("Mobile", "phone"),
        ("tel", "phone"),
        ("邮箱", "email"),
        ("电子邮件", "email"),
        ("E-Mail", "email"),
        ("e_mail", "email"),
        ("负责人", "owner"),
        ("所有者", "owner"),
        ("Sales", "owner"),
        ("城市", "city"),
        ("省份", "region"),
        ("地区", "region"),
        ("标签", "tags"),
        ("VIP", "vip_level"),
        ("vip等级", "vip_level"),
        ("VIP Level", "vip_level"),
        ("备注", "notes"),
        ("职位", "title"),
        ("客户性质", "kind"),
    ],
)
def test_given_known_header_when_matched_then_field(header: str, field: str) -> None:
    assert match_header(header) == field


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("ｅｍａｉｌ", "email"),  # full-width letters
        (" 邮箱： ", "email"),  # full-width colon and spaces
        ("*客户名称", "name"),  # "required" marker
        ("电话（手机）", "phone"),  # full-width parenthesis
        ("电话2", "phone"),
        ("phone 3", "phone"),
        ("Ｐｈｏｎｅ　１", "phone"),  # full-width letters, space and digit
        ("客户 名称", "name"),
    ],
)
def test_given_header_in_another_width_case_or_numbered_when_matched_then_field(
    header: str, field: str
) -> None:
    assert match_header(header) == field


@pytest.mark.parametrize("header", ["行业", "Industry", "", "类型", "level", "state"])
def test_given_unknown_or_ambiguous_header_when_matched_then_none(header: str) -> None:
    assert match_header(header) is None


def test_every_synonym_folds_to_a_distinct_field() -> None:
    seen: dict[str, str] = {}
    for field, synonyms in SYNONYMS.items():
        for synonym in synonyms:
            assert seen.setdefault(fold_header(synonym), field) == field, synonym


def test_given_several_phone_columns_when_mapped_then_all_feed_phone() -> None:
    columns = map_columns(["公司", "手机", "座机", "电话2", "负责人"])
    assert columns.columns("name") == (0,)
    assert columns.columns("phone") == (1, 2, 3)
    assert columns.columns("owner") == (4,)
    assert columns.columns("email") == ()


def test_given_unknown_columns_when_mapped_then_kept_as_custom_fields_in_order() -> None:
    columns = map_columns(["行业", "name", "来源", ""])
    assert columns.custom_columns == ("行业", "来源")
    assert columns.custom[3] == "column D"  # values without a header are kept too
    assert columns.ignored == ()


@pytest.mark.parametrize(("index", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ")])
def test_column_letter(index: int, letter: str) -> None:
    assert column_letter(index) == letter


def test_given_hotline_export_header_when_mapped_then_every_column_recognised_or_ignored() -> None:
    columns = map_columns(list(EXPORT_COLUMNS))
    assert columns.custom_columns == ()
    assert set(columns.ignored) == {"hotline_id", "custom_fields", "created_at", "updated_at"}
    assert columns.columns("phone") == (EXPORT_COLUMNS.index("phone"),)


def test_given_no_name_column_when_mapped_then_clear_error() -> None:
    with pytest.raises(HeaderError, match=r"no customer-name column.*'电话', '邮箱'.*--mapping"):
        map_columns(["电话", "邮箱"])


def test_given_two_name_columns_when_mapped_then_error_names_both() -> None:
    with pytest.raises(HeaderError, match="'公司' and '客户名称' both give the name"):
        map_columns(["公司", "客户名称"])


def test_given_mapping_when_mapped_then_it_overrides_synonyms_and_can_ignore() -> None:
    mapping = {"Firma": "name", "公司": "ignore", "Ｔｅｌ.": "phone", "客户编号": "ignore"}
    columns = map_columns(["Firma", "公司", "Tel", "客户编号", "行业"], mapping)
    assert columns.columns("name") == (0,)
    assert columns.columns("phone") == (2,)
    assert columns.ignored == ("公司", "客户编号")
    assert columns.custom_columns == ("行业",)


def test_given_mapping_naming_missing_column_when_mapped_then_error() -> None:
    with pytest.raises(HeaderError, match="not in the file: firma"):
        map_columns(["name"], {"Firma": "name"})


def test_given_toml_mapping_file_when_loaded_then_columns_table(tmp_path: Path) -> None:
    path = tmp_path / "map.toml"
    path.write_text('[columns]\n"Firma" = "name"\n"Rufnummer" = "Phone"\n', encoding="utf-8")
    assert load_mapping(path) == {"Firma": "name", "Rufnummer": "phone"}


def test_given_json_mapping_file_when_loaded_then_plain_table(tmp_path: Path) -> None:
    path = tmp_path / "map.json"
    path.write_text('{"单位": "name", "旧编号": "ignore"}', encoding="utf-8")
    assert load_mapping(path) == {"单位": "name", "旧编号": IGNORE}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("m.toml", "[columns\n", "not valid TOML"),
        ("m.json", "{", "not valid JSON"),
        ("m.json", "[]", "expected a table"),
        ("m.json", "{}", "expected a table"),
        ("m.json", '{"A": "colour"}', "column 'A' maps to 'colour'; use one of name"),
        ("m.json", '{"A": 3}', "column 'A' maps to 3"),
    ],
)
def test_given_bad_mapping_file_when_loaded_then_error_says_why(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(HeaderError, match=message):
        load_mapping(path)


def test_given_missing_mapping_file_when_loaded_then_error(tmp_path: Path) -> None:
    with pytest.raises(HeaderError, match="cannot read the mapping file"):
        load_mapping(tmp_path / "nope.toml")


def test_every_field_can_be_a_mapping_target() -> None:
    assert check_mapping({f"c{i}": f for i, f in enumerate(FIELDS)})
