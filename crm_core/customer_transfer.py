"""Moving customers from one owner to another (a user leaving, a territory changing hands).

One transaction moves all (or the selected) customers of a user, writes one system entry on each
customer's timeline and one audit record listing every customer moved: nothing is lost, the
timelines stay as they were. Admins may transfer between any users; a supervisor only within
their team (see `crm_core.visibility`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock, to_datetime
from crm_core.audit import record_audit
from crm_core.customer_errors import CustomerUserNotFound, NotAllowed
from crm_core.customer_models import Customer, TimelineEntry
from crm_core.models import User
from crm_core.timeline import TimelineKind
from crm_core.users import Role
from crm_core.visibility import Viewer, team_of

CHUNK = 500  # ids per IN (...) list: well under every backend's parameter limit
TRANSFER_ACTION = "customer.transfer"


class InvalidTransfer(ValueError):
    """The transfer cannot be done as asked (same user, customers not owned by the source)."""


@dataclass(frozen=True, slots=True)
class TransferResult:
    """What a transfer moved, and the id of its audit record."""

    from_user_id: int
    to_user_id: int
    customer_ids: tuple[int, ...]
    audit_id: int


class CustomerTransferService:
    """Transfers customers between owners, audited, in one transaction."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def transfer(
        self,
        actor: Viewer,
        from_user_id: int,
        to_user_id: int,
        customer_ids: Sequence[int] | None = None,
    ) -> TransferResult:
        """Give `to_user_id` all (or the listed) customers of `from_user_id`.

        Raises NotAllowed for agents (and supervisors outside their team), CustomerUserNotFound
        for a missing source or an inactive target, InvalidTransfer when a listed customer is
        not owned by the source. Nothing changes unless everything can.
        """
        if from_user_id == to_user_id:
            raise InvalidTransfer("the source and the target are the same user")
        with self._sessions.begin() as session:
            source, target = _user(session, from_user_id), _user(session, to_user_id)
            if not target.active:
                raise CustomerUserNotFound(f"user {to_user_id} is inactive")
            _check_actor(session, actor, (from_user_id, to_user_id))
            ids = _customers_to_move(session, from_user_id, customer_ids)
            now = to_datetime(self._clock.now())
            _move(session, ids, to_user_id, now)
            _note_on_timelines(session, ids, source, target, actor.id, now)
            audit_id = record_audit(
                session,
                at=now,
                actor_user_id=actor.id,
                action=TRANSFER_ACTION,
                data={
                    "from_user_id": from_user_id,
                    "to_user_id": to_user_id,
                    "selected": customer_ids is not None,
                    "customer_ids": list(ids),
                },
            )
            return TransferResult(from_user_id, to_user_id, ids, audit_id)


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise CustomerUserNotFound(f"no user {user_id}")
    return user


def _check_actor(session: Session, actor: Viewer, user_ids: Sequence[int]) -> None:
    role = Role(actor.role)
    if role is Role.ADMIN:
        return
    if role is not Role.SUPERVISOR:
        raise NotAllowed("only supervisors and admins transfer customers")
    team = set(session.scalars(team_of(actor.id))) | {actor.id}
    if not set(user_ids) <= team:
        raise NotAllowed("supervisors transfer customers only within their team")


def _customers_to_move(
    session: Session, from_user_id: int, selected: Sequence[int] | None
) -> tuple[int, ...]:
    owned = select(Customer.id).where(Customer.owner_user_id == from_user_id)
    if selected is None:
        return tuple(session.scalars(owned.order_by(Customer.id)))
    wanted = sorted(set(selected))
    found: set[int] = set()
    for start in range(0, len(wanted), CHUNK):
        found.update(session.scalars(owned.where(Customer.id.in_(wanted[start : start + CHUNK]))))
    missing = [i for i in wanted if i not in found]
    if missing:
        shown = ", ".join(map(str, missing[:10]))
        raise InvalidTransfer(f"not owned by user {from_user_id}: customer(s) {shown}")
    return tuple(wanted)


def _move(session: Session, ids: Sequence[int], to_user_id: int, now: datetime) -> None:
    for start in range(0, len(ids), CHUNK):
        session.execute(
            update(Customer)
            .where(Customer.id.in_(ids[start : start + CHUNK]))
            .values(owner_user_id=to_user_id, updated_at=now)
        )


def _note_on_timelines(
    session: Session, ids: Sequence[int], source: User, target: User, actor_id: int, at: datetime
) -> None:
    summary = f"owner changed from {source.display_name} to {target.display_name}"
    data = {"from_user_id": source.id, "to_user_id": target.id}
    rows = [
        {
            "customer_id": customer_id,
            "at": at,
            "kind": TimelineKind.SYSTEM.value,
            "author_user_id": actor_id,
            "summary": summary,
            "ref": None,
            "data": data,
        }
        for customer_id in ids
    ]
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(TimelineEntry), rows[start : start + CHUNK])
