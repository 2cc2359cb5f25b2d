"""Changing a customer's fields: validate each given field, apply it, and say what to re-check.

`apply_changes` runs in the caller's transaction; an `InvalidCustomer` raised half-way rolls the
whole change back. It returns the names of the changed fields and a probe (a `ValidDraft` with
only the *new* name, phones and emails) for the duplicate check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm_core.customer_models import Customer, CustomerEmail, CustomerPhone
from crm_core.customer_rules import (
    EMAILS_MAX,
    PHONES_MAX,
    CustomerKind,
    InvalidCustomer,
    PhoneInput,
    ValidDraft,
    ValidPhone,
    check_custom_fields,
    check_kind,
    check_name,
    check_place,
    check_vip_level,
    name_key,
    normalize_emails,
    normalize_phones,
    normalize_tags,
)
from crm_core.customer_store import add_emails, add_phones, replace_tags

# The customer's own phones and emails; those of its contacts are changed with the contact.
_OWN_PHONES = CustomerPhone.contact_id.is_(None)
_OWN_EMAILS = CustomerEmail.contact_id.is_(None)


@dataclass(frozen=True, slots=True)
class CustomerChanges:
    """Fields to change; None leaves a field as it is ("" clears city or region)."""

    name: str | None = None
    kind: CustomerKind | str | None = None
    city: str | None = None
    region: str | None = None
    vip_level: int | None = None
    tags: tuple[str, ...] | None = None
    custom_fields: Mapping[str, Any] | None = None
    phones: tuple[PhoneInput | str, ...] | None = None
    emails: tuple[str, ...] | None = None
    shared_pool: bool | None = None


@dataclass(frozen=True, slots=True)
class Applied:
    """What `apply_changes` did: the changed fields, and what to check for duplicates."""

    fields: tuple[str, ...]
    probe: ValidDraft | None


def apply_changes(
    session: Session, customer: Customer, changes: CustomerChanges, default_region: str
) -> Applied:
    """Validate and apply `changes` to `customer` (its updated_at is the caller's business)."""
    changed: list[str] = []
    new_key = _apply_name(customer, changes, changed)
    _apply_simple(customer, changes, changed)
    if changes.tags is not None:
        replace_tags(session, customer.id, normalize_tags(changes.tags))
        changed.append("tags")
    new_phones = _apply_phones(session, customer.id, changes, default_region, changed)
    new_emails = _apply_emails(session, customer.id, changes, changed)
    if not (new_key or new_phones or new_emails):
        return Applied(tuple(changed), None)
    probe = ValidDraft(
        kind=CustomerKind(customer.kind),
        name=customer.name,
        name_key=new_key,
        city=None,
        region=None,
        vip_level=0,
        tags=(),
        custom_fields={},
        phones=new_phones,
        emails=new_emails,
        contacts=(),
        owner_user_id=None,
        shared_pool=False,
    )
    return Applied(tuple(changed), probe)


def _apply_name(customer: Customer, changes: CustomerChanges, changed: list[str]) -> str:
    """Apply a new name; the new name key when it differs from the old one, else ""."""
    if changes.name is None:
        return ""
    name = check_name(changes.name)
    if name == customer.name:
        return ""
    customer.name = name
    changed.append("name")
    key = name_key(name)
    if key == customer.name_key:
        return ""
    customer.name_key = key
    return key


def _apply_simple(customer: Customer, changes: CustomerChanges, changed: list[str]) -> None:
    values: dict[str, Any] = {}
    if changes.kind is not None:
        values["kind"] = check_kind(changes.kind).value
    if changes.city is not None:
        values["city"] = check_place("city", changes.city)
    if changes.region is not None:
        values["region"] = check_place("region", changes.region)
    if changes.vip_level is not None:
        values["vip_level"] = check_vip_level(changes.vip_level)
    if changes.custom_fields is not None:
        values["custom_fields"] = check_custom_fields(changes.custom_fields)
    if changes.shared_pool is not None:
        values["shared_pool"] = bool(changes.shared_pool)
    for name, value in values.items():
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)


def _apply_phones(
    session: Session, customer_id: int, changes: CustomerChanges, region: str, changed: list[str]
) -> tuple[ValidPhone, ...]:
    if changes.phones is None:
        return ()
    if len(changes.phones) > PHONES_MAX:
        raise InvalidCustomer("phones", f"too many: use at most {PHONES_MAX}")
    phones = normalize_phones("phones", changes.phones, region)
    old = set(
        session.scalars(
            select(CustomerPhone.e164).where(CustomerPhone.customer_id == customer_id, _OWN_PHONES)
        )
    )
    session.execute(
        delete(CustomerPhone).where(CustomerPhone.customer_id == customer_id, _OWN_PHONES)
    )
    add_phones(session, customer_id, None, phones)
    changed.append("phones")
    return tuple(p for p in phones if p.e164 not in old)


def _apply_emails(
    session: Session, customer_id: int, changes: CustomerChanges, changed: list[str]
) -> tuple[str, ...]:
    if changes.emails is None:
        return ()
    if len(changes.emails) > EMAILS_MAX:
        raise InvalidCustomer("emails", f"too many: use at most {EMAILS_MAX}")
    emails = normalize_emails("emails", changes.emails)
    old = set(
        session.scalars(
            select(CustomerEmail.email).where(CustomerEmail.customer_id == customer_id, _OWN_EMAILS)
        )
    )
    session.execute(
        delete(CustomerEmail).where(CustomerEmail.customer_id == customer_id, _OWN_EMAILS)
    )
    add_emails(session, customer_id, None, emails)
    changed.append("emails")
    return tuple(e for e in emails if e not in old)
