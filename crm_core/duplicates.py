"""Duplicate detection: which existing customers share a phone, an email or the name of a draft.

Matching ignores visibility on purpose: the point is to tell the user that a customer already
exists and who owns it, instead of letting them create a second one. A match names only the
customer's id and its owner, nothing of the customer's details.

The rule (`is_blocking`, pure): a match by phone or email is strong; an agent may not override
it, a supervisor or an admin may (audited). A match by name alone is weak (two people may be
called 张伟): anybody may override it (audited).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from crm_core.customer_models import Customer, CustomerEmail, CustomerPhone
from crm_core.customer_rules import ValidDraft
from crm_core.models import User
from crm_core.users import Role

MatchField = Literal["phone", "email", "name"]
STRONG_FIELDS: frozenset[MatchField] = frozenset({"phone", "email"})
_FIELD_ORDER: tuple[MatchField, ...] = ("phone", "email", "name")
MATCHES_MAX = 20  # enough to tell the user; a draft matching more is reported by its first ones


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    """An existing customer matching a draft, who owns it, and on which fields it matched."""

    customer_id: int
    owner_user_id: int
    owner_name: str
    matched_on: tuple[MatchField, ...]

    @property
    def strong(self) -> bool:
        """True for a match by phone or email."""
        return any(f in STRONG_FIELDS for f in self.matched_on)


class DuplicateCustomer(Exception):
    """The customer already exists; `matches` say which one(s) and who owns them."""

    def __init__(self, matches: list[DuplicateMatch]) -> None:
        first = matches[0]
        fields = " and ".join(first.matched_on)
        super().__init__(
            f"customer {first.customer_id} owned by {first.owner_name} has the same {fields}"
        )
        self.matches = matches


def is_blocking(matches: Iterable[DuplicateMatch], role: Role, override: bool) -> bool:
    """True when these matches stop a creation by a user of `role` asking `override` or not."""
    found = list(matches)
    if not found:
        return False
    if not override:
        return True
    strong = any(m.strong for m in found)
    return strong and Role(role) is Role.AGENT


def find_matches(
    session: Session, valid: ValidDraft, exclude_ids: Collection[int] = ()
) -> list[DuplicateMatch]:
    """Customers (not merged away) matching the draft's phones, emails or name, strong first."""
    fields: dict[int, set[MatchField]] = defaultdict(set)
    for match_field, query in _match_queries(valid):
        for customer_id in session.scalars(query.distinct().limit(MATCHES_MAX)):
            if customer_id not in exclude_ids:
                fields[customer_id].add(match_field)
    if not fields:
        return []
    owners = session.execute(
        select(Customer.id, Customer.owner_user_id, User.display_name)
        .join(User, User.id == Customer.owner_user_id)
        .where(Customer.id.in_(fields))
    ).all()
    matches = [
        DuplicateMatch(cid, owner_id, owner, tuple(f for f in _FIELD_ORDER if f in fields[cid]))
        for cid, owner_id, owner in owners
    ]
    matches.sort(key=lambda m: (not m.strong, m.customer_id))
    return matches[:MATCHES_MAX]


def _match_queries(valid: ValidDraft) -> list[tuple[MatchField, Select[Any]]]:
    # "+ 0" keeps SQLite's planner off the merged_into_id index: nearly every customer is live,
    # so that index would read them all instead of the few with this name, phone or email.
    live = (Customer.merged_into_id + 0).is_(None)
    queries: list[tuple[MatchField, Select[Any]]] = []
    if valid.all_e164:
        phones = select(CustomerPhone.customer_id).join(Customer)
        queries.append(("phone", phones.where(CustomerPhone.e164.in_(valid.all_e164), live)))
    if valid.all_emails:
        emails = select(CustomerEmail.customer_id).join(Customer)
        queries.append(("email", emails.where(CustomerEmail.email.in_(valid.all_emails), live)))
    if valid.name_key:  # empty in an update's probe when the name did not change
        by_name = select(Customer.id).where(Customer.name_key == valid.name_key, live)
        queries.append(("name", by_name))
    return queries
