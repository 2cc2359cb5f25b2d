"""Customers as the rest of Hotline sees them: frozen dataclasses, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_core.customer_rules import CustomerKind


@dataclass(frozen=True, slots=True)
class PhoneView:
    """A stored phone number; `contact_id` is set when it belongs to a contact person."""

    id: int
    e164: str
    extension: str | None
    raw: str
    label: str | None
    contact_id: int | None


@dataclass(frozen=True, slots=True)
class EmailView:
    """A stored (lower-cased) email address."""

    id: int
    email: str
    label: str | None
    contact_id: int | None


@dataclass(frozen=True, slots=True)
class ContactView:
    """A contact person at a customer; their phones and emails are in the customer's lists."""

    id: int
    name: str
    title: str | None


@dataclass(frozen=True, slots=True)
class CustomerSummary:
    """What a list or search result shows of a customer."""

    id: int
    kind: CustomerKind
    name: str
    city: str | None
    region: str | None
    vip_level: int
    owner_user_id: int
    owner_name: str
    shared_pool: bool
    tags: tuple[str, ...]
    updated_at: datetime
    merged_into_id: int | None


@dataclass(frozen=True, slots=True)
class CustomerDetail:
    """A customer with everything it holds (the timeline is read apart, page by page)."""

    summary: CustomerSummary
    custom_fields: dict[str, Any]
    created_at: datetime
    phones: tuple[PhoneView, ...]
    emails: tuple[EmailView, ...]
    contacts: tuple[ContactView, ...]
    shared_with: tuple[int, ...]  # department ids

    @property
    def id(self) -> int:
        """The customer's id."""
        return self.summary.id


@dataclass(frozen=True, slots=True)
class CustomerPage:
    """One page of a list or search, with the number of all matches."""

    items: tuple[CustomerSummary, ...]
    total: int
    offset: int
    limit: int
