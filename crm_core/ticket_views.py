"""What the ticket service takes and gives: drafts, queries, views of tickets and their history.

Plain frozen dataclasses; the database models never leave `crm_core`. Input checks that need no
database (`validate_draft`, `clean_note`) live here too, so they are tested without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crm_core.service_models import CATEGORY_MAX
from crm_core.sla import ANY
from crm_core.ticket_rules import TicketPriority, TicketStatus

SUBJECT_MAX = 200
DESCRIPTION_MAX = 20_000
NOTE_MAX = 10_000
DEFAULT_CATEGORY = "general"
PAGE_DEFAULT = 50
PAGE_MAX = 200


class TicketNotFound(LookupError):
    """No such ticket, or not one the viewer may see (the two are not told apart)."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__(f"no ticket {ticket_id}")
        self.ticket_id = ticket_id


class InvalidTicket(ValueError):
    """A field of a new ticket or a note is not acceptable; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """A new ticket as asked for."""

    customer_id: int
    subject: str
    description: str = ""
    category: str = DEFAULT_CATEGORY
    priority: TicketPriority | str = TicketPriority.NORMAL
    department_id: int | None = None
    assignee_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class ValidTicketDraft:
    """A draft whose fields passed `validate_draft` (trimmed, priority parsed)."""

    customer_id: int
    subject: str
    description: str
    category: str
    priority: TicketPriority
    department_id: int | None
    assignee_user_id: int | None


def validate_draft(draft: TicketDraft) -> ValidTicketDraft:
    """The draft cleaned up; InvalidTicket naming the first bad field."""
    subject = draft.subject.strip()
    if not 1 <= len(subject) <= SUBJECT_MAX:
        raise InvalidTicket("subject", f"the subject must be 1-{SUBJECT_MAX} characters")
    description = draft.description.strip()
    if len(description) > DESCRIPTION_MAX:
        raise InvalidTicket("description", f"the description is over {DESCRIPTION_MAX} characters")
    return ValidTicketDraft(
        customer_id=draft.customer_id,
        subject=subject,
        description=description,
        category=clean_category(draft.category),
        priority=parse_priority(draft.priority),
        department_id=draft.department_id,
        assignee_user_id=draft.assignee_user_id,
    )


def clean_category(category: str) -> str:
    """The category trimmed and lower-cased; InvalidTicket if empty, too long or '*'."""
    clean = category.strip().lower()
    if not 1 <= len(clean) <= CATEGORY_MAX or clean == ANY:
        raise InvalidTicket("category", f"the category must be 1-{CATEGORY_MAX} characters")
    return clean


def parse_priority(priority: TicketPriority | str) -> TicketPriority:
    """The priority; InvalidTicket naming the choices."""
    try:
        return TicketPriority(str(priority).strip().lower())
    except ValueError:
        choices = ", ".join(TicketPriority)
        raise InvalidTicket("priority", f"priority {priority!r} is not one of {choices}") from None


def clean_note(text: str, *, required: bool) -> str | None:
    """A comment or forwarding note trimmed; None when empty and not required."""
    note = text.strip()
    if not note:
        if required:
            raise InvalidTicket("note", "the comment is empty")
        return None
    if len(note) > NOTE_MAX:
        raise InvalidTicket("note", f"the note is over {NOTE_MAX} characters")
    return note


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket as the rest of Hotline sees it; `overdue` is as of when it was read."""

    id: int
    customer_id: int
    subject: str
    description: str
    category: str
    priority: TicketPriority
    status: TicketStatus
    department_id: int | None
    assignee_user_id: int | None
    created_by_user_id: int | None
    created_at: datetime
    updated_at: datetime
    response_minutes: int | None
    resolution_minutes: int
    business_hours: bool
    response_due_at: datetime | None
    first_response_at: datetime | None
    resolution_due_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class TicketEventView:
    """One entry of a ticket's history."""

    id: int
    ticket_id: int
    at: datetime
    kind: str
    actor_user_id: int | None
    status: TicketStatus | None
    note: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TicketQuery:
    """Which tickets to list; every filter given must hold. Visibility always applies."""

    statuses: frozenset[TicketStatus] = frozenset()
    mine: bool = False
    my_departments: bool = False
    department_id: int | None = None
    customer_id: int | None = None
    overdue: bool = False
    offset: int = 0
    limit: int = PAGE_DEFAULT


@dataclass(frozen=True, slots=True)
class TicketPage:
    """A page of tickets, newest first, and how many match in all."""

    items: tuple[TicketView, ...]
    total: int
