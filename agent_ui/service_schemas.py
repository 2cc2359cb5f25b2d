"""The shapes of the service-desk and sales REST API (tickets, SLA policies, opportunities, the
pipeline, orders, key accounts), pydantic.

Answers are built from the services' frozen dataclasses (`model_validate(view)` reads their
attributes); requests are checked here for shape and size only, the rules answer 422 or 409 from
the services. Money travels as decimal strings ("1234.50"), never as floats.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from crm_core.key_accounts import FALLING_MONTHS_MAX, TRAILING_MONTHS_MAX, KeyAccountConfig
from crm_core.opportunities import OpportunityDraft
from crm_core.orders import OrderDraft
from crm_core.pipeline import STALL_WEEKS_MAX, PipelineConfig, StageDef
from crm_core.sla import SlaPolicy
from crm_core.ticket_views import TicketDraft

TEXT_MAX = 200
LONG_TEXT_MAX = 20_000
MINUTES_MAX = 366 * 24 * 60


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- tickets ------------------------------------------------------------------------------------


class TicketCreate(_In):
    """A new ticket."""

    customer_id: int
    subject: str = Field(max_length=TEXT_MAX)
    description: str = Field("", max_length=LONG_TEXT_MAX)
    category: str = Field("general", max_length=TEXT_MAX)
    priority: str = Field("normal", max_length=TEXT_MAX)
    department_id: int | None = None
    assignee_user_id: int | None = None

    def to_draft(self) -> TicketDraft:
        """The service-layer draft."""
        return TicketDraft(**self.model_dump())


class TicketOut(_Out):
    """A ticket with its SLA targets and due times; `overdue` as of the answer."""

    id: int
    customer_id: int
    subject: str
    description: str
    category: str
    priority: str
    status: str
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


class TicketPageOut(_Out):
    """A page of tickets and how many match in all."""

    items: list[TicketOut]
    total: int


class TicketEventOut(_Out):
    """One entry of a ticket's history."""

    id: int
    at: datetime
    kind: str
    actor_user_id: int | None
    status: str | None
    note: str | None
    data: dict[str, Any]


class StatusChangeIn(_In):
    """A status change, with an optional note."""

    status: str = Field(max_length=16)
    note: str = Field("", max_length=LONG_TEXT_MAX)


class AssignIn(_In):
    """Who should work the ticket (null: nobody)."""

    assignee_user_id: int | None


class ForwardIn(_In):
    """The department to send the ticket to, with an optional note."""

    department_id: int
    note: str = Field("", max_length=LONG_TEXT_MAX)


class CommentIn(_In):
    """A comment on a ticket."""

    text: str = Field(max_length=LONG_TEXT_MAX)


class TicketFiguresOut(BaseModel):
    """The backlog and overdue counts at an instant, over the tickets the user may see."""

    at: datetime
    backlog: int
    overdue: int


class BacklogRowOut(_Out):
    """The backlog figures of one period [start, end)."""

    start: date
    end: date
    created: int
    resolved: int
    reopened: int
    backlog_start: int
    backlog_end: int
    growth: int
    net_flow: int
    overdue_end: int


class SlaPolicyIn(_In):
    """The targets of one (category, priority) policy, in minutes."""

    resolution_minutes: int = Field(gt=0, le=MINUTES_MAX)
    response_minutes: int | None = Field(None, gt=0, le=MINUTES_MAX)
    business_hours: bool = False

    def to_policy(self, category: str, priority: str) -> SlaPolicy:
        """The service-layer policy (ValueError from its checks)."""
        response = None if self.response_minutes is None else _minutes(self.response_minutes)
        return SlaPolicy(
            category=category,
            priority=priority,
            resolution=_minutes(self.resolution_minutes),
            response=response,
            business_hours=self.business_hours,
        )


class SlaPolicyOut(BaseModel):
    """One SLA policy ('*' matches any category or priority)."""

    category: str
    priority: str
    resolution_minutes: int
    response_minutes: int | None
    business_hours: bool

    @classmethod
    def of(cls, policy: SlaPolicy) -> SlaPolicyOut:
        """The API view of a policy."""
        response = policy.response
        return cls(
            category=policy.category,
            priority=policy.priority,
            resolution_minutes=int(policy.resolution.total_seconds() // 60),
            response_minutes=None if response is None else int(response.total_seconds() // 60),
            business_hours=policy.business_hours,
        )


def _minutes(count: int) -> timedelta:
    return timedelta(minutes=count)


# --- opportunities and the pipeline -------------------------------------------------------------


class OpportunityCreate(_In):
    """A new opportunity (owner: the creator unless a supervisor or admin names one)."""

    customer_id: int
    title: str = Field(max_length=TEXT_MAX)
    amount: Decimal = Field(max_digits=16, decimal_places=4)
    stage: int = 1
    owner_user_id: int | None = None

    def to_draft(self) -> OpportunityDraft:
        """The service-layer draft."""
        return OpportunityDraft(**self.model_dump())


class OpportunityUpdate(_In):
    """A new title or amount (the stage moves through `/stage`)."""

    title: str | None = Field(None, max_length=TEXT_MAX)
    amount: Decimal | None = Field(None, max_digits=16, decimal_places=4)


class StageMoveIn(_In):
    """The stage to move to, with an optional note."""

    stage: int
    note: str = Field("", max_length=LONG_TEXT_MAX)


class OpportunityOut(_Out):
    """An opportunity with its stage's name, probability and expected value."""

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


class OpportunityPageOut(_Out):
    """A page of opportunities and how many match in all."""

    items: list[OpportunityOut]
    total: int


class StageChangeOut(_Out):
    """One stage move (`from_stage` null: the creation)."""

    id: int
    at: datetime
    actor_user_id: int | None
    from_stage: int | None
    to_stage: int
    amount: Decimal
    note: str | None


class StallAlertOut(_Out):
    """An open opportunity whose stage has not moved for the configured weeks."""

    opportunity_id: int
    customer_id: int
    owner_id: int
    stage: int
    since: datetime
    weeks: int


class OwnerPipelineOut(_Out):
    """One owner's open deals: count, amount and weighted (expected) value."""

    owner_id: int
    open_count: int
    amount: Decimal
    expected: Decimal


class StageIn(_In):
    """One stage's name and win probability in percent."""

    stage: int
    name: str = Field(max_length=TEXT_MAX)
    probability: int


class PipelineIn(_In):
    """All ten stages and the stall weeks."""

    stages: list[StageIn] = Field(max_length=20)
    stall_weeks: int = Field(ge=1, le=STALL_WEEKS_MAX)

    def to_config(self) -> PipelineConfig:
        """The service-layer configuration (StageError from its checks)."""
        stages = tuple(StageDef(s.stage, s.name, s.probability) for s in self.stages)
        return PipelineConfig(stages, self.stall_weeks)


class StageOut(_Out):
    """One stage as configured."""

    stage: int
    name: str
    probability: int


class PipelineOut(_Out):
    """The pipeline configuration in force."""

    stages: list[StageOut]
    stall_weeks: int


# --- orders and key accounts --------------------------------------------------------------------


class OrderCreate(_In):
    """A new order."""

    customer_id: int
    ordered_on: date
    amount: Decimal = Field(max_digits=16, decimal_places=4)
    reference: str | None = Field(None, max_length=TEXT_MAX)

    def to_draft(self) -> OrderDraft:
        """The service-layer draft."""
        return OrderDraft(self.customer_id, self.ordered_on, self.amount, self.reference)


class OrderOut(_Out):
    """An order."""

    id: int
    customer_id: int
    ordered_on: date
    amount: Decimal
    reference: str | None
    created_at: datetime
    created_by_user_id: int | None


class OrderPageOut(_Out):
    """A page of orders, how many match and their total amount."""

    items: list[OrderOut]
    total: int
    amount: Decimal


class RowProblemOut(_Out):
    """A row that was not imported, and why."""

    number: int
    message: str


class ImportReportOut(_Out):
    """What an import did."""

    created: int
    skipped: list[int]
    problems: list[RowProblemOut]


class MonthVolumeOut(_Out):
    """A month's order volume."""

    month: date
    volume: Decimal


class KeyAccountAlertOut(_Out):
    """A key account whose monthly volume has fallen for the configured months."""

    customer_id: int
    trailing_volume: Decimal
    falling_months: int
    months: list[MonthVolumeOut]


class KeyAccountSettings(_Out):
    """The key-account rules (input and output)."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")

    falling_months: int = Field(ge=1, le=FALLING_MONTHS_MAX)
    top_share: Decimal = Field(ge=0, le=1, max_digits=6, decimal_places=4)
    min_volume: Decimal | None = Field(None, gt=0, max_digits=16, decimal_places=2)
    trailing_months: int = Field(12, ge=1, le=TRAILING_MONTHS_MAX)

    def to_config(self) -> KeyAccountConfig:
        """The service-layer rules."""
        return KeyAccountConfig(
            self.falling_months, self.top_share, self.min_volume, self.trailing_months
        )
