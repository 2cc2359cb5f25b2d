"""What a customer record may contain, and its normal forms (pure: no database, no clock).

A `CustomerDraft` is what a form, an API call or an import row provides; `validate_draft` turns it
into a `ValidDraft` (phones in E.164, emails lower-cased, tags folded, a `name_key` for duplicate
matching) or raises `InvalidCustomer` naming the field. Services store only valid drafts.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from crm_core.customer_models import (
    EMAIL_MAX,
    LABEL_MAX,
    PLACE_MAX,
    RAW_PHONE_MAX,
    TAG_MAX,
    TITLE_MAX,
    VIP_MAX,
    VIP_MIN,
)
from crm_core.models import NAME_MAX
from crm_core.phones import PhoneProblem, normalize_phone

PHONES_MAX = 20
EMAILS_MAX = 20
TAGS_MAX = 50
CONTACTS_MAX = 100
CUSTOM_FIELDS_MAX = 50
CUSTOM_KEY_MAX = 64
CUSTOM_JSON_MAX = 10_000  # characters of the JSON text: custom fields are facts, not documents

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_WORD = re.compile(r"\w+")
# Legal-form words that make "ACME Ltd." and "Acme Limited" one company.
_LATIN_SUFFIXES = frozenset(
    {"co", "company", "corp", "corporation", "inc", "incorporated", "llc", "ltd", "limited",
     "gmbh", "ag", "sa", "plc", "bv"}
)  # fmt: skip
_CJK_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "集团", "公司")


class CustomerKind(StrEnum):
    """A customer is a company (with contact people) or a person."""

    COMPANY = "company"
    PERSON = "person"


class InvalidCustomer(ValueError):
    """A field of a customer draft is not acceptable; `field` names it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True, slots=True)
class PhoneInput:
    """A phone number as typed, with an optional label ("mobile", "office")."""

    raw: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class ContactDraft:
    """A contact person at a company customer."""

    name: str
    title: str | None = None
    phones: tuple[PhoneInput | str, ...] = ()
    emails: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomerDraft:
    """A new customer as given; `owner_user_id` None means the creating user owns it."""

    name: str
    kind: CustomerKind | str = CustomerKind.PERSON
    phones: tuple[PhoneInput | str, ...] = ()
    emails: tuple[str, ...] = ()
    city: str | None = None
    region: str | None = None
    vip_level: int = 0
    tags: tuple[str, ...] = ()
    custom_fields: Mapping[str, Any] = field(default_factory=dict)
    contacts: tuple[ContactDraft, ...] = ()
    owner_user_id: int | None = None
    shared_pool: bool = False


@dataclass(frozen=True, slots=True)
class ValidPhone:
    """A phone number in its stored form."""

    e164: str
    extension: str | None
    raw: str
    label: str | None


@dataclass(frozen=True, slots=True)
class ValidContact:
    """A contact person in stored form."""

    name: str
    title: str | None
    phones: tuple[ValidPhone, ...]
    emails: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ValidDraft:
    """A customer draft that passed every rule, in stored form."""

    kind: CustomerKind
    name: str
    name_key: str
    city: str | None
    region: str | None
    vip_level: int
    tags: tuple[str, ...]
    custom_fields: dict[str, Any]
    phones: tuple[ValidPhone, ...]
    emails: tuple[str, ...]
    contacts: tuple[ValidContact, ...]
    owner_user_id: int | None
    shared_pool: bool

    @property
    def all_e164(self) -> frozenset[str]:
        """Every number of the customer and of its contacts."""
        numbers = [p.e164 for p in self.phones]
        numbers += [p.e164 for c in self.contacts for p in c.phones]
        return frozenset(numbers)

    @property
    def all_emails(self) -> frozenset[str]:
        """Every email of the customer and of its contacts."""
        return frozenset([*self.emails, *(e for c in self.contacts for e in c.emails)])


def validate_draft(draft: CustomerDraft, default_region: str) -> ValidDraft:
    """The stored form of `draft`; InvalidCustomer for the first field that breaks a rule."""
    name = check_name(draft.name)
    _check_count("phones", draft.phones, PHONES_MAX)
    _check_count("emails", draft.emails, EMAILS_MAX)
    _check_count("contacts", draft.contacts, CONTACTS_MAX)
    return ValidDraft(
        kind=check_kind(draft.kind),
        name=name,
        name_key=name_key(name),
        city=check_place("city", draft.city),
        region=check_place("region", draft.region),
        vip_level=check_vip_level(draft.vip_level),
        tags=normalize_tags(draft.tags),
        custom_fields=check_custom_fields(draft.custom_fields),
        phones=normalize_phones("phones", draft.phones, default_region),
        emails=normalize_emails("emails", draft.emails),
        contacts=tuple(_contact(i, c, default_region) for i, c in enumerate(draft.contacts)),
        owner_user_id=draft.owner_user_id,
        shared_pool=bool(draft.shared_pool),
    )


def name_key(name: str) -> str:
    """The name folded for duplicate matching: width, case, punctuation, legal form ignored."""
    words = _WORD.findall(unicodedata.normalize("NFKC", name).casefold())
    while len(words) > 1 and words[-1] in _LATIN_SUFFIXES:
        words.pop()
    key = "".join(words)
    for suffix in _CJK_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def check_name(raw: str) -> str:
    """A customer's or contact's name: trimmed, 1-200 characters, at least one letter or digit."""
    name = " ".join(unicodedata.normalize("NFKC", raw).split())
    if not name or not _WORD.search(name):
        raise InvalidCustomer("name", "must contain a letter or digit")
    if len(name) > NAME_MAX:
        raise InvalidCustomer("name", f"too long: use at most {NAME_MAX} characters")
    return name


def check_kind(kind: CustomerKind | str) -> CustomerKind:
    """The customer kind; InvalidCustomer for anything but company or person."""
    try:
        return CustomerKind(str(kind).strip().lower())
    except ValueError:
        raise InvalidCustomer("kind", "use 'company' or 'person'") from None


def check_vip_level(level: int) -> int:
    """A VIP level from 0 (none) to 5."""
    if isinstance(level, bool) or not isinstance(level, int) or not VIP_MIN <= level <= VIP_MAX:
        raise InvalidCustomer("vip_level", f"use a whole number from {VIP_MIN} to {VIP_MAX}")
    return level


def check_place(field_name: str, value: str | None) -> str | None:
    """A city or region: trimmed, None when empty, at most 100 characters."""
    text = " ".join(unicodedata.normalize("NFKC", value or "").split())
    if len(text) > PLACE_MAX:
        raise InvalidCustomer(field_name, f"too long: use at most {PLACE_MAX} characters")
    return text or None


def normalize_email(raw: str, field_name: str = "emails") -> str:
    """An email address trimmed and lower-cased (the whole address, as people expect)."""
    email = unicodedata.normalize("NFKC", raw).strip().lower()
    if len(email) > EMAIL_MAX:
        raise InvalidCustomer(field_name, f"{raw!r} is longer than {EMAIL_MAX} characters")
    if not _EMAIL.fullmatch(email):
        raise InvalidCustomer(field_name, f"{raw!r} is not an email address")
    return email


def normalize_emails(field_name: str, raws: Iterable[str]) -> tuple[str, ...]:
    """Emails in stored form, duplicates dropped, first spelling's order kept."""
    return tuple(dict.fromkeys(normalize_email(raw, field_name) for raw in raws))


def normalize_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Tags trimmed and case-folded, empty ones dropped, duplicates removed, sorted."""
    folded = {" ".join(unicodedata.normalize("NFKC", t).casefold().split()) for t in tags}
    folded.discard("")
    if len(folded) > TAGS_MAX:
        raise InvalidCustomer("tags", f"too many: use at most {TAGS_MAX}")
    for tag in folded:
        if len(tag) > TAG_MAX:
            raise InvalidCustomer("tags", f"{tag!r} is longer than {TAG_MAX} characters")
    return tuple(sorted(folded))


def normalize_phones(
    field_name: str, phones: Iterable[PhoneInput | str], default_region: str
) -> tuple[ValidPhone, ...]:
    """Phones in E.164 (with extension), duplicates of one number and extension dropped."""
    result: dict[tuple[str, str | None], ValidPhone] = {}
    for item in phones:
        given = item if isinstance(item, PhoneInput) else PhoneInput(item)
        parsed = normalize_phone(given.raw, default_region)
        if isinstance(parsed, PhoneProblem):
            raise InvalidCustomer(field_name, f"{given.raw!r}: {parsed.message}")
        label = _label(field_name, given.label)
        raw = given.raw.strip()[:RAW_PHONE_MAX]
        phone = ValidPhone(parsed.e164, parsed.extension, raw, label)
        result.setdefault((phone.e164, phone.extension), phone)
    return tuple(result.values())


def check_custom_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    """Custom fields: a small JSON object with short string keys."""
    if len(values) > CUSTOM_FIELDS_MAX:
        raise InvalidCustomer("custom_fields", f"too many: use at most {CUSTOM_FIELDS_MAX}")
    for key in values:
        if not isinstance(key, str) or not key.strip() or len(key) > CUSTOM_KEY_MAX:
            raise InvalidCustomer("custom_fields", f"keys are 1-{CUSTOM_KEY_MAX} characters")
    try:
        text = json.dumps(dict(values), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        raise InvalidCustomer("custom_fields", "values must be JSON (text, numbers, ...)") from None
    if len(text) > CUSTOM_JSON_MAX:
        raise InvalidCustomer("custom_fields", f"larger than {CUSTOM_JSON_MAX} characters")
    result: dict[str, Any] = json.loads(text)
    return result


def _label(field_name: str, label: str | None) -> str | None:
    text = (label or "").strip()
    if len(text) > LABEL_MAX:
        raise InvalidCustomer(field_name, f"label longer than {LABEL_MAX} characters")
    return text or None


def _check_count(field_name: str, items: tuple[object, ...], most: int) -> None:
    if len(items) > most:
        raise InvalidCustomer(field_name, f"too many: use at most {most}")


def _contact(index: int, draft: ContactDraft, default_region: str) -> ValidContact:
    prefix = f"contacts[{index}]"
    try:
        name = check_name(draft.name)
    except InvalidCustomer as exc:
        raise InvalidCustomer(f"{prefix}.name", exc.message) from None
    title = " ".join((draft.title or "").split())
    if len(title) > TITLE_MAX:
        raise InvalidCustomer(f"{prefix}.title", f"too long: use at most {TITLE_MAX} characters")
    _check_count(f"{prefix}.phones", draft.phones, PHONES_MAX)
    _check_count(f"{prefix}.emails", draft.emails, EMAILS_MAX)
    return ValidContact(
        name=name,
        title=title or None,
        phones=normalize_phones(f"{prefix}.phones", draft.phones, default_region),
        emails=normalize_emails(f"{prefix}.emails", draft.emails),
    )
