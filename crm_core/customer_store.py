"""Customer rows in and out: insert a valid draft, load summaries and details (inside a session).

Only the customer services call these; they run in the caller's transaction and check nothing
about who is asking (visibility is the caller's query's business).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crm_core.customer_models import (
    Contact,
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerShare,
    CustomerTag,
)
from crm_core.customer_rules import CustomerKind, ValidDraft, ValidPhone
from crm_core.customer_views import (
    ContactView,
    CustomerDetail,
    CustomerSummary,
    EmailView,
    PhoneView,
)
from crm_core.models import User


def insert_customer(session: Session, valid: ValidDraft, owner_user_id: int, now: datetime) -> int:
    """Add the customer with its tags, phones, emails and contacts; returns the new id."""
    customer = Customer(
        kind=valid.kind.value,
        name=valid.name,
        name_key=valid.name_key,
        city=valid.city,
        region=valid.region,
        vip_level=valid.vip_level,
        custom_fields=valid.custom_fields,
        owner_user_id=owner_user_id,
        shared_pool=valid.shared_pool,
        created_at=now,
        updated_at=now,
    )
    session.add(customer)
    session.flush()
    replace_tags(session, customer.id, valid.tags)
    add_phones(session, customer.id, None, valid.phones)
    add_emails(session, customer.id, None, valid.emails)
    for contact in valid.contacts:
        row = Contact(
            customer_id=customer.id, name=contact.name, title=contact.title, created_at=now
        )
        session.add(row)
        session.flush()
        add_phones(session, customer.id, row.id, contact.phones)
        add_emails(session, customer.id, row.id, contact.emails)
    return customer.id


def add_phones(
    session: Session, customer_id: int, contact_id: int | None, phones: Sequence[ValidPhone]
) -> None:
    """Add phone rows to a customer (or one of its contacts)."""
    session.add_all(
        CustomerPhone(
            customer_id=customer_id,
            contact_id=contact_id,
            e164=p.e164,
            extension=p.extension,
            raw=p.raw,
            label=p.label,
        )
        for p in phones
    )


def add_emails(
    session: Session, customer_id: int, contact_id: int | None, emails: Sequence[str]
) -> None:
    """Add email rows to a customer (or one of its contacts)."""
    session.add_all(
        CustomerEmail(customer_id=customer_id, contact_id=contact_id, email=e) for e in emails
    )


def replace_tags(session: Session, customer_id: int, tags: Sequence[str]) -> None:
    """Make the customer's tags exactly `tags`."""
    session.execute(delete(CustomerTag).where(CustomerTag.customer_id == customer_id))
    session.add_all(CustomerTag(customer_id=customer_id, tag=t) for t in tags)


def load_summaries(session: Session, customer_ids: Sequence[int]) -> list[CustomerSummary]:
    """Summaries of these customers, in the order of `customer_ids` (missing ids skipped)."""
    if not customer_ids:
        return []
    rows = session.execute(
        select(Customer, User.display_name)
        .join(User, User.id == Customer.owner_user_id)
        .where(Customer.id.in_(customer_ids))
    ).all()
    tags: dict[int, list[str]] = defaultdict(list)
    for customer_id, tag in session.execute(
        select(CustomerTag.customer_id, CustomerTag.tag)
        .where(CustomerTag.customer_id.in_(customer_ids))
        .order_by(CustomerTag.tag)
    ):
        tags[customer_id].append(tag)
    by_id = {c.id: _summary(c, owner, tuple(tags[c.id])) for c, owner in rows}
    return [by_id[i] for i in customer_ids if i in by_id]


def load_detail(session: Session, customer_id: int) -> CustomerDetail | None:
    """Everything about one customer, or None if there is no such customer."""
    summaries = load_summaries(session, [customer_id])
    customer = session.get(Customer, customer_id)
    if not summaries or customer is None:
        return None
    return CustomerDetail(
        summary=summaries[0],
        custom_fields=dict(customer.custom_fields),
        created_at=customer.created_at,
        phones=tuple(_phones(session, customer_id)),
        emails=tuple(_emails(session, customer_id)),
        contacts=tuple(
            ContactView(c.id, c.name, c.title)
            for c in session.scalars(
                select(Contact).where(Contact.customer_id == customer_id).order_by(Contact.id)
            )
        ),
        shared_with=tuple(
            session.scalars(
                select(CustomerShare.department_id)
                .where(CustomerShare.customer_id == customer_id)
                .order_by(CustomerShare.department_id)
            )
        ),
    )


def _summary(customer: Customer, owner_name: str, tags: tuple[str, ...]) -> CustomerSummary:
    return CustomerSummary(
        id=customer.id,
        kind=CustomerKind(customer.kind),
        name=customer.name,
        city=customer.city,
        region=customer.region,
        vip_level=customer.vip_level,
        owner_user_id=customer.owner_user_id,
        owner_name=owner_name,
        shared_pool=customer.shared_pool,
        tags=tags,
        updated_at=customer.updated_at,
        merged_into_id=customer.merged_into_id,
    )


def _phones(session: Session, customer_id: int) -> list[PhoneView]:
    query = select(CustomerPhone).where(CustomerPhone.customer_id == customer_id)
    return [
        PhoneView(p.id, p.e164, p.extension, p.raw, p.label, p.contact_id)
        for p in session.scalars(query.order_by(CustomerPhone.id))
    ]


def _emails(session: Session, customer_id: int) -> list[EmailView]:
    query = select(CustomerEmail).where(CustomerEmail.customer_id == customer_id)
    return [
        EmailView(e.id, e.email, e.label, e.contact_id)
        for e in session.scalars(query.order_by(CustomerEmail.id))
    ]
