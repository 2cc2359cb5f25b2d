"""The shapes of the customer REST API (customers, duplicates, shares, transfer, merge,
departments), pydantic; the timeline and screen-pop shapes are in `agent_ui.timeline_schemas`.

Services hand out frozen dataclasses (`CustomerDetail`, `TimelineItem`, `ScreenPop`, ...); these
schemas decide what leaves the server. Requests are checked here for shape and size only; the
rules of a customer record (phones, emails, names) are the services' and answer 422 from there.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_core.customer_rules import (
    CONTACTS_MAX,
    EMAILS_MAX,
    PHONES_MAX,
    TAGS_MAX,
    ContactDraft,
    CustomerDraft,
    PhoneInput,
)
from crm_core.customer_update import CustomerChanges
from crm_core.customer_views import CustomerDetail, CustomerPage, CustomerSummary
from crm_core.departments import DepartmentView
from crm_core.duplicates import DuplicateMatch

TEXT_MAX = 200  # names, places, tags: the services apply the exact limits
PHONE_TEXT_MAX = 100
EMAIL_TEXT_MAX = 320
TRANSFER_IDS_MAX = 100_000

Kind = Literal["company", "person"]
PhoneText = str


class PhoneIn(BaseModel):
    """A phone number as typed, with an optional label."""

    model_config = ConfigDict(extra="forbid")

    raw: str = Field(max_length=PHONE_TEXT_MAX)
    label: str | None = Field(None, max_length=TEXT_MAX)

    def to_input(self) -> PhoneInput:
        """The service-layer phone."""
        return PhoneInput(self.raw, self.label)


def _phones(items: list[PhoneIn | PhoneText]) -> tuple[PhoneInput | str, ...]:
    return tuple(p.to_input() if isinstance(p, PhoneIn) else p for p in items)


class ContactIn(BaseModel):
    """A contact person given with a new customer."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=TEXT_MAX)
    title: str | None = Field(None, max_length=TEXT_MAX)
    phones: list[PhoneIn | PhoneText] = Field(default_factory=list, max_length=PHONES_MAX)
    emails: list[str] = Field(default_factory=list, max_length=EMAILS_MAX)

    def to_draft(self) -> ContactDraft:
        """The service-layer contact."""
        return ContactDraft(self.name, self.title, _phones(self.phones), tuple(self.emails))


class CustomerCreate(BaseModel):
    """A new customer, for `POST /api/customers`."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=TEXT_MAX)
    kind: Kind = "person"
    phones: list[PhoneIn | PhoneText] = Field(default_factory=list, max_length=PHONES_MAX)
    emails: list[str] = Field(default_factory=list, max_length=EMAILS_MAX)
    city: str | None = Field(None, max_length=TEXT_MAX)
    region: str | None = Field(None, max_length=TEXT_MAX)
    vip_level: int = Field(0, ge=0, le=5)
    tags: list[str] = Field(default_factory=list, max_length=TAGS_MAX)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=CONTACTS_MAX)
    owner_user_id: int | None = None
    shared_pool: bool = False
    override_duplicates: bool = Field(
        False, description="create despite matches where the rule allows it (audited)"
    )

    def to_draft(self) -> CustomerDraft:
        """The service-layer draft."""
        return CustomerDraft(
            name=self.name,
            kind=self.kind,
            phones=_phones(self.phones),
            emails=tuple(self.emails),
            city=self.city,
            region=self.region,
            vip_level=self.vip_level,
            tags=tuple(self.tags),
            custom_fields=self.custom_fields,
            contacts=tuple(c.to_draft() for c in self.contacts),
            owner_user_id=self.owner_user_id,
            shared_pool=self.shared_pool,
        )


class CustomerUpdate(BaseModel):
    """Fields to change (absent: unchanged; "" clears city or region); phones/emails replace."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=TEXT_MAX)
    kind: Kind | None = None
    city: str | None = Field(None, max_length=TEXT_MAX)
    region: str | None = Field(None, max_length=TEXT_MAX)
    vip_level: int | None = Field(None, ge=0, le=5)
    tags: list[str] | None = Field(None, max_length=TAGS_MAX)
    custom_fields: dict[str, Any] | None = None
    phones: list[PhoneIn | PhoneText] | None = Field(None, max_length=PHONES_MAX)
    emails: list[str] | None = Field(None, max_length=EMAILS_MAX)
    shared_pool: bool | None = None
    override_duplicates: bool = False

    def to_changes(self) -> CustomerChanges:
        """The service-layer changes."""
        return CustomerChanges(
            name=self.name,
            kind=self.kind,
            city=self.city,
            region=self.region,
            vip_level=self.vip_level,
            tags=None if self.tags is None else tuple(self.tags),
            custom_fields=self.custom_fields,
            phones=None if self.phones is None else _phones(self.phones),
            emails=None if self.emails is None else tuple(self.emails),
            shared_pool=self.shared_pool,
        )


class PhoneOut(BaseModel):
    """A stored phone number."""

    id: int
    e164: str
    extension: str | None
    raw: str
    label: str | None
    contact_id: int | None


class EmailOut(BaseModel):
    """A stored email address."""

    id: int
    email: str
    label: str | None
    contact_id: int | None


class ContactOut(BaseModel):
    """A contact person."""

    id: int
    name: str
    title: str | None


class CustomerSummaryOut(BaseModel):
    """A customer as lists show it."""

    id: int
    kind: str
    name: str
    city: str | None
    region: str | None
    vip_level: int
    owner_user_id: int
    owner_name: str
    shared_pool: bool
    tags: list[str]
    updated_at: datetime
    merged_into_id: int | None

    @classmethod
    def of(cls, summary: CustomerSummary) -> CustomerSummaryOut:
        """The API view of a summary."""
        return cls(
            id=summary.id,
            kind=str(summary.kind),
            name=summary.name,
            city=summary.city,
            region=summary.region,
            vip_level=summary.vip_level,
            owner_user_id=summary.owner_user_id,
            owner_name=summary.owner_name,
            shared_pool=summary.shared_pool,
            tags=list(summary.tags),
            updated_at=summary.updated_at,
            merged_into_id=summary.merged_into_id,
        )


class CustomerOut(CustomerSummaryOut):
    """A customer with everything it holds."""

    custom_fields: dict[str, Any]
    created_at: datetime
    phones: list[PhoneOut]
    emails: list[EmailOut]
    contacts: list[ContactOut]
    shared_with: list[int]

    @classmethod
    def of_detail(cls, detail: CustomerDetail) -> CustomerOut:
        """The API view of a customer's detail."""
        return cls(
            **CustomerSummaryOut.of(detail.summary).model_dump(),
            custom_fields=detail.custom_fields,
            created_at=detail.created_at,
            phones=[PhoneOut(**asdict(p)) for p in detail.phones],
            emails=[EmailOut(**asdict(e)) for e in detail.emails],
            contacts=[ContactOut(**asdict(c)) for c in detail.contacts],
            shared_with=list(detail.shared_with),
        )


class CustomerPageOut(BaseModel):
    """One page of customers and the number of all matches."""

    items: list[CustomerSummaryOut]
    total: int
    offset: int
    limit: int

    @classmethod
    def of(cls, page: CustomerPage) -> CustomerPageOut:
        """The API view of a page."""
        items = [CustomerSummaryOut.of(s) for s in page.items]
        return cls(items=items, total=page.total, offset=page.offset, limit=page.limit)


class DuplicateMatchOut(BaseModel):
    """An existing customer that matches: its id and owner, nothing else of it."""

    customer_id: int
    owner_user_id: int
    owner_name: str
    matched_on: list[str]

    @classmethod
    def of(cls, match: DuplicateMatch) -> DuplicateMatchOut:
        """The API view of a match."""
        return cls(
            customer_id=match.customer_id,
            owner_user_id=match.owner_user_id,
            owner_name=match.owner_name,
            matched_on=list(match.matched_on),
        )


class DuplicateOut(BaseModel):
    """The body of a 409: the customer already exists, and who owns it."""

    detail: str
    matches: list[DuplicateMatchOut]


class ShareIn(BaseModel):
    """The department to share a customer with."""

    model_config = ConfigDict(extra="forbid")

    department_id: int


class TransferIn(BaseModel):
    """Move all (no `customer_ids`) or the listed customers of one user to another."""

    model_config = ConfigDict(extra="forbid")

    from_user_id: int
    to_user_id: int
    customer_ids: list[int] | None = Field(None, max_length=TRANSFER_IDS_MAX)


class TransferOut(BaseModel):
    """What a transfer moved."""

    from_user_id: int
    to_user_id: int
    customer_ids: list[int]
    audit_id: int


class MergeIn(BaseModel):
    """Merge `merge_id` into `keep_id`."""

    model_config = ConfigDict(extra="forbid")

    keep_id: int
    merge_id: int


class MergeOut(BaseModel):
    """The kept customer after a merge."""

    kept: CustomerOut
    merged_id: int
    audit_id: int


class DepartmentIn(BaseModel):
    """A new department."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=TEXT_MAX)


class MemberIn(BaseModel):
    """A user to add to a department."""

    model_config = ConfigDict(extra="forbid")

    user_id: int


class DepartmentOut(BaseModel):
    """A department and its members' user ids."""

    id: int
    name: str
    member_ids: list[int]

    @classmethod
    def of(cls, department: DepartmentView) -> DepartmentOut:
        """The API view of a department."""
        return cls(id=department.id, name=department.name, member_ids=list(department.member_ids))
