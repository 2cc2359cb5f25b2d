"""Customer search as SQL: filters by name, phone, email, tag or free text, always within what
the viewer may see (`visible_customers_clause`) and skipping merged-away customers.

Phone filters use the E.164 index (`lookup_keys` reads the number in every common form); only a
fragment of digits too short to be a number falls back to a substring match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.orm import Session

from crm_core.customer_models import Customer, CustomerEmail, CustomerPhone, CustomerTag
from crm_core.customer_rules import name_key
from crm_core.phones import lookup_keys
from crm_core.visibility import Viewer, visible_customers_clause

PHONE_FRAGMENT_MIN = 4  # fewer digits would match half the book
QUERY_MAX = 200
_NOT_DIGIT = re.compile(r"\D")


@dataclass(frozen=True, slots=True)
class CustomerQuery:
    """What to search for; every given filter must match (None = no filter)."""

    text: str | None = None
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    tag: str | None = None


def search_ids(
    session: Session,
    viewer: Viewer,
    query: CustomerQuery,
    default_region: str,
    offset: int,
    limit: int,
) -> tuple[list[int], int]:
    """The ids of one page of matches (most recently updated first) and the number of matches."""
    base = select(Customer.id).where(
        visible_customers_clause(viewer), Customer.merged_into_id.is_(None)
    )
    for condition in query_conditions(query, default_region):
        base = base.where(condition)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    page: Select[Any] = (
        base.order_by(Customer.updated_at.desc(), Customer.id.desc()).offset(offset).limit(limit)
    )
    return list(session.scalars(page)), total


def query_conditions(query: CustomerQuery, default_region: str) -> list[ColumnElement[bool]]:
    """One SQL condition on `Customer` per given filter; ValueError for an unusable filter."""
    conditions: list[ColumnElement[bool]] = []
    if query.name is not None:
        conditions.append(_by_name(_clean(query.name, "name")))
    if query.phone is not None:
        conditions.append(_by_phone(_clean(query.phone, "phone"), default_region, strict=True))
    if query.email is not None:
        conditions.append(_by_email(_clean(query.email, "email")))
    if query.tag is not None:
        conditions.append(_by_tag(_clean(query.tag, "tag")))
    if query.text is not None:
        text = _clean(query.text, "text")
        conditions.append(
            or_(
                _by_name(text),
                _by_phone(text, default_region, strict=False),
                _by_email(text),
                _by_tag(text),
            )
        )
    return conditions


def _clean(value: str, field: str) -> str:
    text = " ".join(unicodedata.normalize("NFKC", value).split())
    if not text:
        raise ValueError(f"{field}: empty search")
    if len(text) > QUERY_MAX:
        raise ValueError(f"{field}: use at most {QUERY_MAX} characters")
    return text


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _by_name(text: str) -> ColumnElement[bool]:
    key = name_key(text)
    if not key:
        return false()
    return Customer.name_key.like(f"%{_like_escape(key)}%", escape="\\")


def _by_phone(text: str, default_region: str, *, strict: bool) -> ColumnElement[bool]:
    keys = lookup_keys(text, default_region)
    if keys:
        matching = select(CustomerPhone.customer_id).where(CustomerPhone.e164.in_(keys))
        return Customer.id.in_(matching)
    digits = _NOT_DIGIT.sub("", text)
    if len(digits) < PHONE_FRAGMENT_MIN:
        if strict:
            raise ValueError(f"phone: give a number or at least {PHONE_FRAGMENT_MIN} digits")
        return false()
    fragment = select(CustomerPhone.customer_id).where(CustomerPhone.e164.contains(digits))
    return Customer.id.in_(fragment)


def _by_email(text: str) -> ColumnElement[bool]:
    email = text.lower()
    column = CustomerEmail.email
    condition = (
        column == email if "@" in email else column.like(f"%{_like_escape(email)}%", escape="\\")
    )
    return Customer.id.in_(select(CustomerEmail.customer_id).where(condition))


def _by_tag(text: str) -> ColumnElement[bool]:
    tag = text.casefold()
    return Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag == tag))
