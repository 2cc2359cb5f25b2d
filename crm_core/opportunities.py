"""Opportunities (possible sales): create them, move their stage, list them, alert on stalls.

`OpportunityService` applies `crm_core.pipeline` (stages 0-9, probabilities, expected values,
stalls) with the stage configuration admins keep in the database (`crm_core.service_settings`).
Every stage move is kept in `opportunity_stage_changes` and written on the customer's timeline.
An opportunity is visible exactly when its customer is. Its owner and supervisors/admins who can
see it may change it; others who can see it may only read it. Agents own what they create.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock, to_datetime
from crm_core.customer_errors import CustomerNotFound, CustomerUserNotFound
from crm_core.customer_models import Customer
from crm_core.models import User
from crm_core.money import from_cents, to_cents
from crm_core.pipeline import (
    OPEN_STAGES,
    OpportunityFacts,
    OwnerPipeline,
    PipelineConfig,
    StallAlert,
    check_stage,
    check_stage_move,
    expected_value,
    stall_alerts,
    stall_cutoff,
    weighted_pipeline,
)
from crm_core.service_errors import NotPermitted
from crm_core.service_models import Opportunity, OpportunityStageChange
from crm_core.service_settings import load_pipeline_config
from crm_core.timeline import TimelineKind, append_entry
from crm_core.users import Role
from crm_core.visibility import Viewer, customer_is_visible, visible_customers_clause

TITLE_MAX = 200
NOTE_MAX = 10_000
PAGE_MAX = 200
LEADS = frozenset({Role.ADMIN, Role.SUPERVISOR})


class OpportunityNotFound(LookupError):
    """No such opportunity, or not one the viewer may see."""

    def __init__(self, opportunity_id: int) -> None:
        super().__init__(f"no opportunity {opportunity_id}")
        self.opportunity_id = opportunity_id


@dataclass(frozen=True, slots=True)
class OpportunityDraft:
    """A new opportunity; the owner defaults to whoever creates it."""

    customer_id: int
    title: str
    amount: Decimal
    stage: int = 1
    owner_user_id: int | None = None


@dataclass(frozen=True, slots=True)
class OpportunityView:
    """An opportunity with its stage's name, probability (%) and expected value."""

    id: int
    customer_id: int
    owner_user_id: int
    title: str
    amount: Decimal
    stage: int
    stage_name: str
    probability: int
    expected_value: Decimal
    created_at: datetime
    updated_at: datetime
    stage_changed_at: datetime


@dataclass(frozen=True, slots=True)
class StageChangeView:
    """One stage move (`from_stage` None: the creation)."""

    id: int
    at: datetime
    actor_user_id: int | None
    from_stage: int | None
    to_stage: int
    amount: Decimal
    note: str | None


@dataclass(frozen=True, slots=True)
class OpportunityQuery:
    """Which opportunities to list; visibility always applies."""

    customer_id: int | None = None
    owner_user_id: int | None = None
    open_only: bool = False
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True)
class OpportunityPage:
    """A page of opportunities (newest first) and how many match in all."""

    items: tuple[OpportunityView, ...]
    total: int


def _clean_title(title: str) -> str:
    clean = title.strip()
    if not 1 <= len(clean) <= TITLE_MAX:
        raise ValueError(f"the title must be 1-{TITLE_MAX} characters")
    return clean


def _clean_note(note: str) -> str | None:
    clean = note.strip()
    if len(clean) > NOTE_MAX:
        raise ValueError(f"the note is over {NOTE_MAX} characters")
    return clean or None


def _view(row: Opportunity, config: PipelineConfig) -> OpportunityView:
    amount = from_cents(row.amount_cents)
    return OpportunityView(
        id=row.id,
        customer_id=row.customer_id,
        owner_user_id=row.owner_user_id,
        title=row.title,
        amount=amount,
        stage=row.stage,
        stage_name=config.name(row.stage),
        probability=config.stages[row.stage].probability,
        expected_value=expected_value(amount, row.stage, config),
        created_at=row.created_at,
        updated_at=row.updated_at,
        stage_changed_at=row.stage_changed_at,
    )


def _facts(row: Opportunity) -> OpportunityFacts:
    return OpportunityFacts(
        row.id,
        row.customer_id,
        row.owner_user_id,
        row.stage,
        from_cents(row.amount_cents),
        row.stage_changed_at,
    )


def _visible(viewer: Viewer | None) -> Select[Opportunity]:
    query = select(Opportunity)
    if viewer is None:
        return query
    return query.join(Customer, Customer.id == Opportunity.customer_id).where(
        visible_customers_clause(viewer)
    )


class OpportunityService:
    """Creates, moves and lists opportunities; stall alerts and the weighted pipeline."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def create(self, actor: Viewer, draft: OpportunityDraft) -> OpportunityView:
        """A new opportunity for a customer `actor` can see (stage 1 'lead' by default)."""
        title = _clean_title(draft.title)
        cents = to_cents(draft.amount)
        stage = check_stage(draft.stage)
        now = self._now()
        with self._sessions.begin() as session:
            if not customer_is_visible(session, actor, draft.customer_id):
                raise CustomerNotFound(draft.customer_id)
            owner = _owner(session, actor, draft.owner_user_id)
            row = Opportunity(
                customer_id=draft.customer_id,
                owner_user_id=owner,
                title=title,
                amount_cents=cents,
                stage=stage,
                created_at=now,
                updated_at=now,
                stage_changed_at=now,
            )
            session.add(row)
            session.flush()
            self._record(session, row, actor, now, None, None)
            return _view(row, load_pipeline_config(session))

    def get(self, viewer: Viewer, opportunity_id: int) -> OpportunityView:
        """The opportunity; OpportunityNotFound if the viewer may not see it."""
        with self._sessions() as session:
            row = _load(session, viewer, opportunity_id)
            return _view(row, load_pipeline_config(session))

    def history(self, viewer: Viewer, opportunity_id: int) -> list[StageChangeView]:
        """The opportunity's stage changes, oldest first."""
        with self._sessions() as session:
            _load(session, viewer, opportunity_id)
            rows = session.scalars(
                select(OpportunityStageChange)
                .where(OpportunityStageChange.opportunity_id == opportunity_id)
                .order_by(OpportunityStageChange.at, OpportunityStageChange.id)
            )
            return [
                StageChangeView(
                    r.id,
                    r.at,
                    r.actor_user_id,
                    r.from_stage,
                    r.to_stage,
                    from_cents(r.amount_cents),
                    r.note,
                )
                for r in rows
            ]

    def move_stage(
        self, actor: Viewer, opportunity_id: int, to: int, note: str = ""
    ) -> OpportunityView:
        """Move to stage `to`; StageError if not allowed, NotPermitted if not the actor's."""
        text = _clean_note(note)
        now = self._now()
        with self._sessions.begin() as session:
            row = _load(session, actor, opportunity_id, for_update=True)
            _require_may_change(actor, row)
            check_stage_move(row.stage, to, may_reopen=actor.role in LEADS)
            before = row.stage
            row.stage = to
            row.stage_changed_at = row.updated_at = now
            self._record(session, row, actor, now, before, text)
            return _view(row, load_pipeline_config(session))

    def update(
        self,
        actor: Viewer,
        opportunity_id: int,
        *,
        title: str | None = None,
        amount: Decimal | None = None,
    ) -> OpportunityView:
        """Change the title or amount (the stage does not move, so no stall clock resets)."""
        if title is None and amount is None:
            raise ValueError("nothing to change: give a title or an amount")
        now = self._now()
        with self._sessions.begin() as session:
            row = _load(session, actor, opportunity_id, for_update=True)
            _require_may_change(actor, row)
            if title is not None:
                row.title = _clean_title(title)
            if amount is not None:
                row.amount_cents = to_cents(amount)
            row.updated_at = now
            summary = f"Opportunity #{row.id} {row.title}: amount {from_cents(row.amount_cents)}"
            self._timeline(session, row, actor, now, summary)
            return _view(row, load_pipeline_config(session))

    def list_opportunities(
        self, viewer: Viewer, query: OpportunityQuery | None = None
    ) -> OpportunityPage:
        """The opportunities `viewer` may see matching `query`, newest first."""
        query = query or OpportunityQuery()
        selected = _visible(viewer)
        if query.customer_id is not None:
            selected = selected.where(Opportunity.customer_id == query.customer_id)
        if query.owner_user_id is not None:
            selected = selected.where(Opportunity.owner_user_id == query.owner_user_id)
        if query.open_only:
            selected = selected.where(Opportunity.stage.in_(sorted(OPEN_STAGES)))
        with self._sessions() as session:
            total = session.scalar(select(func.count()).select_from(selected.subquery())) or 0
            rows = session.scalars(
                selected.order_by(Opportunity.created_at.desc(), Opportunity.id.desc())
                .offset(max(0, query.offset))
                .limit(max(1, min(query.limit, PAGE_MAX)))
            )
            config = load_pipeline_config(session)
            return OpportunityPage(tuple(_view(row, config) for row in rows), total)

    def stall_alerts(self, viewer: Viewer | None) -> list[StallAlert]:
        """Visible open opportunities whose stage has not moved for the configured weeks."""
        now = self._now()
        with self._sessions() as session:
            config = load_pipeline_config(session)
            rows = session.scalars(
                _visible(viewer).where(
                    Opportunity.stage.in_(sorted(OPEN_STAGES)),
                    Opportunity.stage_changed_at <= stall_cutoff(now, config),
                )
            )
            return stall_alerts([_facts(row) for row in rows], config, now)

    def pipeline(self, viewer: Viewer | None) -> list[OwnerPipeline]:
        """The weighted open pipeline per owner, over the opportunities `viewer` may see."""
        with self._sessions() as session:
            config = load_pipeline_config(session)
            rows = session.scalars(
                _visible(viewer).where(Opportunity.stage.in_(sorted(OPEN_STAGES)))
            )
            return weighted_pipeline([_facts(row) for row in rows], config)

    def _record(
        self,
        session: Session,
        row: Opportunity,
        actor: Viewer,
        now: datetime,
        before: int | None,
        note: str | None,
    ) -> None:
        session.add(
            OpportunityStageChange(
                opportunity_id=row.id,
                at=now,
                actor_user_id=actor.id,
                from_stage=before,
                to_stage=row.stage,
                amount_cents=row.amount_cents,
                note=note,
            )
        )
        config = load_pipeline_config(session)
        stage = f"{row.stage} {config.name(row.stage)}"
        moved = f"stage {stage}" if before is None else f"stage {before} → {stage}"
        what = "opened" if before is None else "moved"
        summary = f"Opportunity #{row.id} {row.title} {what}: {moved}"
        self._timeline(session, row, actor, now, summary)

    def _timeline(
        self, session: Session, row: Opportunity, actor: Viewer, now: datetime, summary: str
    ) -> None:
        append_entry(
            session,
            customer_id=row.customer_id,
            kind=TimelineKind.OPPORTUNITY,
            at=now,
            summary=summary,
            author_user_id=actor.id,
            ref=str(row.id),
            data={
                "opportunity_id": row.id,
                "stage": row.stage,
                "amount": str(from_cents(row.amount_cents)),
                "owner_user_id": row.owner_user_id,
            },
        )

    def _now(self) -> datetime:
        return to_datetime(self._clock.now())


def _load(
    session: Session, viewer: Viewer, opportunity_id: int, *, for_update: bool = False
) -> Opportunity:
    query = _visible(viewer).where(Opportunity.id == opportunity_id)
    if for_update:
        query = query.with_for_update(of=Opportunity)
    row = session.scalar(query)
    if row is None:
        raise OpportunityNotFound(opportunity_id)
    return row


def _owner(session: Session, actor: Viewer, owner_id: int | None) -> int:
    if owner_id is None or owner_id == actor.id:
        return actor.id
    if actor.role not in LEADS:
        raise NotPermitted("agents own the opportunities they create")
    user = session.get(User, owner_id)
    if user is None or not user.active:
        raise CustomerUserNotFound(f"no active user {owner_id}")
    return owner_id


def _require_may_change(actor: Viewer, row: Opportunity) -> None:
    if actor.role not in LEADS and row.owner_user_id != actor.id:
        raise NotPermitted("only the owner, a supervisor or an admin changes an opportunity")
