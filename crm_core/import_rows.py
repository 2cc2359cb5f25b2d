"""One import row to a valid customer draft, or the reason it is rejected (pure: no I/O).

The cells are read into a `customer_rules.CustomerDraft` and checked by `validate_draft`, the same
rules the customer form obeys (phones to E.164 via `crm_core.phones`, emails lower-cased, tags
folded, the duplicate-matching `name_key`). A row is imported whole or not at all: one bad phone
among good ones rejects the row, so nothing is half-imported and the person fixes it in one place.

Cells may hold several values: phones are split on `; ； , ， 、 / |` and line breaks, emails also
on spaces, tags on `, ， ; ； 、 |`. A cell that starts with an apostrophe followed by a formula
character (`'=`, `'+`, `'-`, `'@`) loses the apostrophe: that is how Hotline's own exports protect
such cells, so an exported file imports back unchanged.

The kind of customer is the `kind` column when there is one (公司/企业/company, 个人/person);
otherwise a row with a contact person, a name column headed like a company (公司, company, ...),
or a name ending in a legal form (有限公司, Ltd, Inc, ...) is a company, and anything else a person.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Final

from crm_core.customer_rules import (
    CUSTOM_KEY_MAX,
    ContactDraft,
    CustomerDraft,
    CustomerKind,
    InvalidCustomer,
    ValidDraft,
    name_key,
    validate_draft,
)
from crm_core.import_headers import ColumnMap, fold_header
from crm_core.import_source import SourceRow
from crm_core.spreadsheet_cells import unescape_cell

NOTES_MAX = 10_000

_PHONE_SPLIT = re.compile(r"[;；,，、/|\n\r]+")
_EMAIL_SPLIT = re.compile(r"[;；,，、/|\s]+")
_TAG_SPLIT = re.compile(r"[;；,，、|\n\r]+")
_WORDS = re.compile(r"\w+")
_VIP_TEXT = re.compile(r"^(?:vip|v)?\s*(\d+)\s*(?:级|星)?$")
_KINDS: Final[Mapping[str, CustomerKind]] = {
    **dict.fromkeys(("company", "公司", "企业", "单位", "organisation", "organization", "org",
                     "business", "b"), CustomerKind.COMPANY),
    **dict.fromkeys(("person", "个人", "individual", "private", "consumer", "c"),
                    CustomerKind.PERSON),
}  # fmt: skip
COMPANY_HEADERS: Final = frozenset(
    fold_header(h) for h in ("公司", "公司名称", "企业名称", "单位名称", "company", "companyname")
)
_FIELD_WORDS: Final[Mapping[str, str]] = {
    "phones": "phone",
    "emails": "email",
    "vip_level": "VIP level",
    "custom_fields": "custom fields",
    "contacts[0].name": "contact",
    "contacts[0].title": "contact title",
}


@dataclass(frozen=True, slots=True)
class RowDraft:
    """A row that passed every rule: the customer to create (or merge) and where it came from.

    `owner_user_id` is the owner the row names, None when its owner cell is empty (the import's
    default owner then applies to a new customer, and a duplicate merges whoever owns it).
    """

    number: int
    line: int
    valid: ValidDraft
    owner_user_id: int | None
    notes: str | None
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RowReject:
    """A row that cannot be imported, and why (in words a person can act on)."""

    number: int
    line: int
    reason: str
    cells: tuple[str, ...]

    @property
    def message(self) -> str:
        """`row 12: phone '12ab': not a phone number ...`."""
        return f"row {self.number}: {self.reason}"


@dataclass(frozen=True, slots=True)
class OwnerEntry:
    """A user who may own customers, as the owner directory needs it."""

    id: int
    username: str
    display_name: str
    active: bool = True


class OwnerDirectory:
    """Finds the owner a cell names: by username (any case), else by a unique display name."""

    def __init__(self, users: Iterable[OwnerEntry]) -> None:
        self._users = {u.id: u for u in users}
        self._by_username = {u.username.casefold(): u for u in self._users.values()}
        self._by_display: dict[str, list[OwnerEntry]] = {}
        for user in self._users.values():
            self._by_display.setdefault(_fold(user.display_name), []).append(user)

    def resolve(self, text: str) -> int | str:
        """The user id, or why the text names no usable owner."""
        folded = _fold(text)
        user = self._by_username.get(folded)
        if user is None:
            matches = self._by_display.get(folded, [])
            if len(matches) > 1:
                return f"owner {text!r} is the name of {len(matches)} users: give the username"
            user = matches[0] if matches else None
        if user is None:
            return f"owner {text!r} is not a Hotline user (give a username or display name)"
        if not user.active:
            return f"owner {text!r} is an inactive user"
        return user.id

    def name_of(self, user_id: int) -> str:
        """The username of an owner (for messages); '#id' when unknown."""
        user = self._users.get(user_id)
        return user.username if user is not None else f"#{user_id}"


@dataclass(frozen=True, slots=True)
class RowRules:
    """What validating a row needs besides the row: the columns, the owners, the phone region."""

    columns: ColumnMap
    owners: OwnerDirectory
    default_region: str


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def parse_row(row: SourceRow, rules: RowRules) -> RowDraft | RowReject:
    """The row as a valid customer draft, or a reject naming the first problem found."""
    if row.error is not None:
        return RowReject(row.number, row.line, row.error, row.cells)
    cells = tuple(unescape_cell(c) for c in row.cells)
    values = _field_values(cells, rules.columns)
    problem = _shape_problem(cells, rules.columns, values)
    if problem is not None:
        return RowReject(row.number, row.line, problem, row.cells)
    try:
        draft, notes = _draft(cells, values, rules.columns)
        owner = _owner(values, rules.owners)
        valid = validate_draft(draft, rules.default_region)
    except InvalidCustomer as exc:
        return RowReject(row.number, row.line, _reason(exc), row.cells)
    return RowDraft(row.number, row.line, valid, owner, notes, row.cells)


Values = dict[str, list[str]]


def _field_values(cells: tuple[str, ...], columns: ColumnMap) -> Values:
    """Per field, the non-empty cells of its columns, trimmed."""
    width = len(cells)
    values: Values = {}
    for name, indexes in columns.fields.items():
        found = [cells[i].strip() for i in indexes if i < width]
        values[name] = [v for v in found if v]
    return values


def _first(values: Values, name: str) -> str:
    found = values.get(name)
    return found[0] if found else ""


def _shape_problem(cells: tuple[str, ...], columns: ColumnMap, values: Values) -> str | None:
    if not any(c.strip() for c in cells):
        return "blank row"
    width = len(columns.header)
    if any(c.strip() for c in cells[width:]):
        return (
            f"{len(cells)} cells but the header has {width} columns "
            "(in a CSV: a comma or tab inside an unquoted value?)"
        )
    if not _first(values, "name"):
        return "no customer name"
    return None


def _reason(exc: InvalidCustomer) -> str:
    return f"{_FIELD_WORDS.get(exc.field, exc.field)} {exc.message}"


def _split(values: list[str] | None, pattern: re.Pattern[str]) -> tuple[str, ...]:
    return tuple(part.strip() for v in values or () for part in pattern.split(v) if part.strip())


def _draft(
    cells: tuple[str, ...], values: Values, columns: ColumnMap
) -> tuple[CustomerDraft, str | None]:
    contact, title = _first(values, "contact"), _first(values, "title")
    contacts = (ContactDraft(contact, title or None),) if contact else ()
    if title and not contact:
        raise InvalidCustomer("contact title", "given without a contact name")
    notes = "\n".join(values.get("notes", ()))
    if len(notes) > NOTES_MAX:
        raise InvalidCustomer("notes", f"too long: use at most {NOTES_MAX} characters")
    name = _first(values, "name")
    draft = CustomerDraft(
        name=name,
        kind=_kind(values, columns, name, bool(contact)),
        phones=_split(values.get("phone"), _PHONE_SPLIT),
        emails=_split(values.get("email"), _EMAIL_SPLIT),
        city=_first(values, "city") or None,
        region=_first(values, "region") or None,
        vip_level=parse_vip(_first(values, "vip_level")),
        tags=_split(values.get("tags"), _TAG_SPLIT),
        custom_fields=_custom(cells, columns),
        contacts=contacts,
    )
    return draft, notes or None


def _owner(values: Values, owners: OwnerDirectory) -> int | None:
    text = _first(values, "owner")
    if not text:
        return None
    found = owners.resolve(text)
    if isinstance(found, str):
        raise InvalidCustomer("owner", found.removeprefix("owner "))
    return found


def _kind(values: Values, columns: ColumnMap, name: str, has_contact: bool) -> CustomerKind:
    given = _first(values, "kind")
    if given:
        kind = _KINDS.get(_fold(given))
        if kind is None:
            raise InvalidCustomer("kind", f"{given!r}: use 公司/company or 个人/person")
        return kind
    name_header = columns.header[columns.columns("name")[0]]
    if has_contact or _is_company_header(name_header) or has_legal_form(name):
        return CustomerKind.COMPANY
    return CustomerKind.PERSON


@cache
def _is_company_header(header: str) -> bool:
    return fold_header(header) in COMPANY_HEADERS


def has_legal_form(name: str) -> bool:
    """True for a name ending in a legal form (有限公司, Ltd, Inc, GmbH, ...): a company.

    `name_key` drops exactly these endings, so a key shorter than the folded name tells.
    """
    folded = "".join(_WORDS.findall(unicodedata.normalize("NFKC", name).casefold()))
    return bool(folded) and name_key(name) != folded


def parse_vip(text: str) -> int:
    """A VIP level cell ('', '3', 'VIP3', 'V3', '3级') as a number; InvalidCustomer otherwise."""
    folded = _fold(text)
    if not folded:
        return 0
    match = _VIP_TEXT.fullmatch(folded)
    if match is None:
        raise InvalidCustomer("vip_level", f"{text!r} is not a level from 0 to 5")
    return int(match.group(1))


def _custom(cells: tuple[str, ...], columns: ColumnMap) -> dict[str, str]:
    values: dict[str, str] = {}
    for index, header in columns.custom.items():
        value = cells[index].strip() if index < len(cells) else ""
        if value:
            key = header.strip()[:CUSTOM_KEY_MAX]
            values[key] = f"{values[key]}; {value}" if key in values else value
    return values
