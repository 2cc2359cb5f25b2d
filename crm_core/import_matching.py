"""Duplicate decisions of a customer import: new, merged, flagged or rejected (pure: no I/O).

A row matches a customer when they share a phone (E.164 and extension ignored), an email, or the
name key (`customer_rules.name_key`). The customer is one already in the database (`Existing`) or
one an earlier row of the same file creates (`Planned`).

- No match: a new customer, owned by the row's owner or else the import's default owner (a row
  with neither is rejected: every customer has an owner).
- One customer shares a phone or email: the row is merged into it (its new phones, emails and
  tags are added) when the row names no owner or the same owner; when it names another owner the
  row is flagged, not imported: moving a customer to another owner is a decision for a person.
- Phones or emails shared with several customers: flagged (which one would be guesswork).
- The name alone matches: flagged. Two people called 张伟 are not one customer, and a company
  whose name matches but with no phone or email in common needs a person to look.

Flagged and rejected rows are written to the rejects file with the reason; nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from crm_core.import_rows import OwnerDirectory, RowDraft

MatchOn = Literal["phone", "email", "name"]
STRONG: frozenset[MatchOn] = frozenset({"phone", "email"})


@dataclass(frozen=True, slots=True)
class Existing:
    """A customer already stored."""

    customer_id: int
    owner_user_id: int


@dataclass(frozen=True, slots=True)
class Planned:
    """A customer an earlier row of this import creates (not stored yet, or in a dry run)."""

    row: int
    owner_user_id: int


Target = Existing | Planned


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """Create the row's customer, owned by `owner_user_id`."""

    draft: RowDraft
    owner_user_id: int


@dataclass(frozen=True, slots=True)
class MergeInto:
    """Add the row's phones, emails and tags to `target`."""

    draft: RowDraft
    target: Target


@dataclass(frozen=True, slots=True)
class Flag:
    """Do not import the row: it duplicates a customer in a way a person must resolve."""

    draft: RowDraft
    reason: str


@dataclass(frozen=True, slots=True)
class Refuse:
    """Reject a valid-looking row for a reason only known once duplicates are checked."""

    draft: RowDraft
    reason: str


Decision = NewCustomer | MergeInto | Flag | Refuse


_PREFIX: Mapping[MatchOn, str] = {"phone": "p:", "email": "e:", "name": "n:"}
_KIND: Mapping[str, MatchOn] = {prefix: on for on, prefix in _PREFIX.items()}


def index_key(on: MatchOn, value: str) -> str:
    """The index's key for a phone, email or name key (one short string: a dry run of a
    million rows keeps three million of them)."""
    return _PREFIX[on] + value


def match_keys(draft: RowDraft) -> list[str]:
    """The keys a row is matched on: every phone, every email, the name key."""
    valid = draft.valid
    keys = [index_key("phone", e164) for e164 in sorted(valid.all_e164)]
    keys += [index_key("email", email) for email in sorted(valid.all_emails)]
    keys.append(index_key("name", valid.name_key))
    return keys


@dataclass(slots=True)
class KeyIndex:
    """Which customers hold which key: filled from the database and from earlier rows.

    A key usually leads to one customer, stored bare; a set only where several share it.
    """

    entries: dict[str, Target | set[Target]] = field(default_factory=dict)

    def add(self, key: str, target: Target) -> None:
        """Record that `target` holds `key`."""
        held = self.entries.get(key)
        if held is None:
            self.entries[key] = target
        elif isinstance(held, set):
            held.add(target)
        elif held != target:
            self.entries[key] = {held, target}

    def find(self, draft: RowDraft) -> dict[Target, set[MatchOn]]:
        """Every customer sharing a key with the row, with what they share."""
        found: dict[Target, set[MatchOn]] = {}
        for key in match_keys(draft):
            held = self.entries.get(key)
            if held is None:
                continue
            for target in held if isinstance(held, set) else (held,):
                found.setdefault(target, set()).add(_KIND[key[:2]])
        return found

    def record(self, draft: RowDraft, target: Target) -> None:
        """After a row is created or merged: its keys now lead to `target`."""
        for key in match_keys(draft):
            self.add(key, target)


def describe(target: Target, owners: OwnerDirectory) -> str:
    """`customer #12 owned by li` or `the customer of row 40 of this file, owned by li`."""
    owner = owners.name_of(target.owner_user_id)
    if isinstance(target, Existing):
        return f"customer #{target.customer_id} owned by {owner}"
    return f"the customer of row {target.row} of this file, owned by {owner}"


def decide(
    draft: RowDraft,
    matches: Mapping[Target, set[MatchOn]],
    default_owner_id: int | None,
    owners: OwnerDirectory,
) -> Decision:
    """What to do with a valid row, given the customers it matches."""
    strong = {t: on for t, on in matches.items() if on & STRONG}
    if not matches:
        owner = draft.owner_user_id if draft.owner_user_id is not None else default_owner_id
        if owner is None:
            return Refuse(draft, "no owner: the row names none and no default owner was given")
        return NewCustomer(draft, owner)
    if len(strong) > 1:
        listed = "; ".join(_listed(t, on, owners) for t, on in _ordered(strong))
        return Flag(draft, f"matches several customers: {listed}")
    if not strong:
        listed = "; ".join(describe(t, owners) for t, _ in _ordered(matches))
        return Flag(draft, f"same name as {listed}, but no phone or email in common")
    target, on = next(iter(strong.items()))
    if draft.owner_user_id is not None and draft.owner_user_id != target.owner_user_id:
        wanted = owners.name_of(draft.owner_user_id)
        return Flag(draft, f"duplicate of {_listed(target, on, owners)}; the row names {wanted}")
    return MergeInto(draft, target)


def _listed(target: Target, on: set[MatchOn], owners: OwnerDirectory) -> str:
    shared = " and ".join(k for k in ("phone", "email", "name") if k in on)
    return f"{describe(target, owners)} (same {shared})"


def _ordered(matches: Mapping[Target, set[MatchOn]]) -> list[tuple[Target, set[MatchOn]]]:
    """Stored customers first, by id; then this file's rows, by row number."""

    def key(item: tuple[Target, set[MatchOn]]) -> tuple[int, int]:
        target = item[0]
        if isinstance(target, Existing):
            return (0, target.customer_id)
        return (1, target.row)

    return sorted(matches.items(), key=key)
