"""Which column of an import file holds which customer field: header synonyms and mapping files.

Headers are matched after folding: Unicode NFKC (full-width letters, digits, colons and
parentheses become ASCII), case-folded, with spaces, `_`, `-`, `.`, `*` and a trailing `:`
removed. So `E-Mail`, `ｅｍａｉｌ`, ` 邮箱： ` and `*客户名称` all match. A header that does
not match as it is is tried again without a trailing parenthesis (`电话（手机）`) and without
trailing digits (`电话2`, `phone 3`).

Several columns may feed the fields that hold lists (phone, email, tags) or text that can be
joined (notes); any other field may come from one column only.

A mapping file (TOML or JSON, `{"columns": {"Header": "field"}}` or the table alone) overrides the
synonyms for the headers it names; the field `ignore` drops a column. Columns that match nothing
are kept, as text, in the customer's `custom_fields` under their header (the import summary lists
them), so nothing a person typed is lost; so are values in a column without a header, named as a
spreadsheet names it ("column F"). The read-only columns of Hotline's own export
(`hotline_id`, `custom_fields`, `created_at`, `updated_at`) are ignored.
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

NAME = "name"
MULTI_FIELDS: Final = frozenset({"phone", "email", "tags", "notes"})
IGNORE = "ignore"

SYNONYMS: Final[Mapping[str, tuple[str, ...]]] = {
    "name": ("客户名称", "客户", "客户名", "公司", "公司名称", "企业名称", "单位名称", "名称",
             "姓名", "name", "company", "companyname", "customer", "customername"),
    "kind": ("客户性质", "kind", "customerkind"),
    "contact": ("联系人", "联系人姓名", "contact", "contactname", "contactperson"),
    "title": ("职位", "职务", "title", "jobtitle", "position"),
    "phone": ("电话", "手机", "手机号", "手机号码", "座机", "固话", "联系电话", "电话号码",
              "办公电话", "phone", "mobile", "tel", "telephone", "cell", "phonenumber"),
    "email": ("邮箱", "电子邮件", "电子邮箱", "邮件", "email", "mail", "emailaddress"),
    "owner": ("负责人", "所有者", "归属人", "销售", "客户经理", "owner", "sales", "salesrep",
              "accountmanager"),
    "city": ("城市", "所在城市", "city"),
    "region": ("省份", "省", "地区", "区域", "region", "province"),
    "tags": ("标签", "tags", "tag", "labels"),
    "vip_level": ("vip", "vip等级", "vip级别", "会员等级", "客户等级", "viplevel"),
    "notes": ("备注", "说明", "notes", "note", "remarks", "comment", "comments"),
}  # fmt: skip
FIELDS: Final = tuple(SYNONYMS)
# Columns of Hotline's own export that are for reading only: importing the file again skips them.
IGNORED_BY_DEFAULT: Final = ("hotline_id", "custom_fields", "created_at", "updated_at")

_DROPPED = re.compile(r"[\s_\-.*]+")
_TRAILING_PAREN = re.compile(r"\([^()]*\)$")
_TRAILING_DIGITS = re.compile(r"\d+$")


class HeaderError(ValueError):
    """The header row or the mapping file cannot be used; the message says what to change."""


def fold_header(text: str) -> str:
    """A header folded for matching: NFKC, case-folded, without spaces, `_ - . *` or a colon."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _DROPPED.sub("", folded).rstrip(":")


_BY_FOLDED: Final[Mapping[str, str]] = {
    **{fold_header(synonym): name for name, synonyms in SYNONYMS.items() for synonym in synonyms},
    **{fold_header(header): IGNORE for header in IGNORED_BY_DEFAULT},
}


def match_header(text: str) -> str | None:
    """The field a header names, or None."""
    folded = fold_header(text)
    for candidate in (folded, _TRAILING_PAREN.sub("", folded)):
        for key in (candidate, _TRAILING_DIGITS.sub("", candidate)):
            if key in _BY_FOLDED:
                return _BY_FOLDED[key]
    return None


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which columns (0-based) feed each field, and which are custom fields or ignored."""

    header: tuple[str, ...]
    fields: Mapping[str, tuple[int, ...]]
    custom: Mapping[int, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()

    def columns(self, name: str) -> tuple[int, ...]:
        """The columns of a field (empty when the file has none)."""
        return self.fields.get(name, ())

    @property
    def custom_columns(self) -> tuple[str, ...]:
        """Headers kept as custom fields, in file order (columns without a header left out)."""
        return tuple(self.custom[i] for i in sorted(self.custom) if self.header[i].strip())


def map_columns(header: Sequence[str], mapping: Mapping[str, str] | None = None) -> ColumnMap:
    """The column map of a header row (with an optional header -> field mapping on top)."""
    overrides = {fold_header(k): v for k, v in (mapping or {}).items()}
    fields: dict[str, list[int]] = {}
    custom: dict[int, str] = {}
    ignored: list[str] = []
    for index, text in enumerate(header):
        if not text.strip():
            # No header: whatever a row holds there is kept, under the spreadsheet's name.
            custom[index] = f"column {column_letter(index)}"
            continue
        target = overrides.get(fold_header(text))
        target = target if target is not None else match_header(text)
        if target == IGNORE:
            ignored.append(text)
        elif target is None:
            custom[index] = text
        else:
            fields.setdefault(target, []).append(index)
    _check_unmatched_mapping(header, overrides)
    _check_single(header, fields)
    if NAME not in fields:
        raise HeaderError(
            f"no customer-name column in the header ({', '.join(repr(h) for h in header)}): "
            "name one 客户名称, 公司 or name, or map it with --mapping"
        )
    return ColumnMap(
        tuple(header), {k: tuple(v) for k, v in fields.items()}, custom, tuple(ignored)
    )


def column_letter(index: int) -> str:
    """A spreadsheet's name for a 0-based column: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _check_single(header: Sequence[str], fields: Mapping[str, list[int]]) -> None:
    for name, columns in fields.items():
        if len(columns) > 1 and name not in MULTI_FIELDS:
            shown = " and ".join(repr(header[i]) for i in columns)
            raise HeaderError(
                f"columns {shown} both give the {name}: keep one, or map the other to "
                f"'{IGNORE}' in a mapping file"
            )


def _check_unmatched_mapping(header: Sequence[str], overrides: Mapping[str, str]) -> None:
    present = {fold_header(h) for h in header}
    missing = [k for k in overrides if k not in present]
    if missing:
        raise HeaderError(
            f"the mapping names column(s) not in the file: {', '.join(missing)} "
            f"(the file has {', '.join(repr(h) for h in header)})"
        )


def load_mapping(path: Path) -> dict[str, str]:
    """A mapping file (TOML or JSON) as header -> field; HeaderError if it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise HeaderError(f"{path}: cannot read the mapping file: {exc}") from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise HeaderError(f"{path}: not valid {_format_name(path)}: {exc}") from exc
    return check_mapping(data, str(path))


def _format_name(path: Path) -> str:
    return "JSON" if path.suffix.lower() == ".json" else "TOML"


def check_mapping(data: object, source: str = "mapping") -> dict[str, str]:
    """Validate a parsed mapping: {"columns": {header: field}} or {header: field}."""
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict) or not data:
        raise HeaderError(f'{source}: expected a table of "column header" = "field"')
    allowed = (*FIELDS, IGNORE)
    result: dict[str, str] = {}
    for header, target in data.items():
        if not isinstance(target, str) or target.strip().lower() not in allowed:
            raise HeaderError(
                f"{source}: column {header!r} maps to {target!r}; use one of {', '.join(allowed)}"
            )
        result[str(header)] = target.strip().lower()
    return result
