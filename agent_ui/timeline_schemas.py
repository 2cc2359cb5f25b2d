"""The shapes of customer timelines, notes and screen-pops in the REST API (pydantic).

A timeline page carries `next`, an opaque cursor (`encode_cursor`) to pass back as `before`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crm_core.caller_lookup import ScreenPop
from crm_core.timeline import NOTE_MAX, TimelineCursor, TimelineItem, TimelinePage


class TimelineItemOut(BaseModel):
    """One timeline entry."""

    id: int
    at: datetime
    kind: str
    summary: str
    author_user_id: int | None
    author_name: str | None
    ref: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, item: TimelineItem) -> TimelineItemOut:
        """The API view of an entry."""
        return cls(
            id=item.id,
            at=item.at,
            kind=str(item.kind),
            summary=item.summary,
            author_user_id=item.author_user_id,
            author_name=item.author_name,
            ref=item.ref,
            data=item.data,
        )


class TimelinePageOut(BaseModel):
    """A page of a timeline, newest first; pass `next` as `before` for the older page."""

    items: list[TimelineItemOut]
    next: str | None

    @classmethod
    def of(cls, page: TimelinePage) -> TimelinePageOut:
        """The API view of a timeline page."""
        cursor = None if page.next is None else encode_cursor(page.next)
        return cls(items=[TimelineItemOut.of(i) for i in page.items], next=cursor)


def encode_cursor(cursor: TimelineCursor) -> str:
    """A timeline cursor as text: microseconds since the epoch, a dot, the entry id."""
    micros = round(cursor.at.timestamp() * 1_000_000)
    return f"{micros}.{cursor.id}"


def decode_cursor(text: str) -> TimelineCursor:
    """The cursor `encode_cursor` wrote; ValueError for anything else."""
    micros, sep, entry_id = text.partition(".")
    if not sep or not micros.isdigit() or not entry_id.isdigit():
        raise ValueError(f"not a timeline cursor: {text!r}")
    at = datetime.fromtimestamp(int(micros) / 1_000_000, UTC)
    return TimelineCursor(at, int(entry_id))


class NoteIn(BaseModel):
    """A note for a customer's timeline."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=NOTE_MAX)


class ScreenPopOut(BaseModel):
    """What the agent's screen shows for an incoming number."""

    customer_id: int
    name: str
    kind: str
    vip_level: int
    owner_user_id: int
    owner_name: str
    e164: str
    contact_id: int | None
    contact_name: str | None
    open_tickets: list[Any]
    last_interactions: list[TimelineItemOut]
    other_matches: int

    @classmethod
    def of(cls, pop: ScreenPop) -> ScreenPopOut:
        """The API view of a screen-pop."""
        return cls(
            customer_id=pop.customer_id,
            name=pop.name,
            kind=pop.kind,
            vip_level=pop.vip_level,
            owner_user_id=pop.owner_user_id,
            owner_name=pop.owner_name,
            e164=pop.e164,
            contact_id=pop.contact_id,
            contact_name=pop.contact_name,
            open_tickets=list(pop.open_tickets),
            last_interactions=[TimelineItemOut.of(i) for i in pop.last_interactions],
            other_matches=pop.other_matches,
        )
