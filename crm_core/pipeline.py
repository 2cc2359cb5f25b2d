"""The sales pipeline: opportunity stages 0-9, their win probabilities, weighted values, stalls.

Stages (names and probabilities are the defaults; admins change them, see `PipelineConfig`):

    0 lost          0 %    closed: the deal is gone
    1 lead         10 %    2 qualified     20 %    3 needs known   30 %
    4 solution     40 %    5 proposal      50 %    6 negotiation   60 %
    7 commitment   75 %    8 contract      90 %
    9 won         100 %    closed: the deal is signed

Stage 0 is "lost", not "prospecting", so the two ends of the scale are the two ways a deal
closes and every open deal sits in 1-8. Closed stages keep their fixed probabilities (0 % and
100 %); the open ones may be set to anything from 0 to 100 %.

The expected value of an opportunity is amount × probability of its stage, in money rounded to
cents. An open opportunity *stalls* when its stage has not changed for `stall_weeks` weeks
(default 2: the sales lead's "still at stage 2 after weeks"); closed ones never stall.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from crm_core.money import CENT
from crm_core.money import check_amount as check_amount  # re-exported

LOST = 0
WON = 9
STAGES = tuple(range(LOST, WON + 1))
OPEN_STAGES = frozenset(range(LOST + 1, WON))
CLOSED_STAGES = frozenset({LOST, WON})
HUNDRED = Decimal(100)
STALL_WEEKS_DEFAULT = 2
STALL_WEEKS_MAX = 104
STAGE_NAME_MAX = 64

DEFAULT_STAGE_NAMES: Mapping[int, str] = {
    0: "lost",
    1: "lead",
    2: "qualified",
    3: "needs known",
    4: "solution",
    5: "proposal",
    6: "negotiation",
    7: "commitment",
    8: "contract",
    9: "won",
}
DEFAULT_PROBABILITIES: Mapping[int, int] = {
    0: 0,
    1: 10,
    2: 20,
    3: 30,
    4: 40,
    5: 50,
    6: 60,
    7: 75,
    8: 90,
    9: 100,
}


class StageError(ValueError):
    """A stage, probability or stage move that is not allowed."""


@dataclass(frozen=True, slots=True)
class StageDef:
    """One stage: its number, name and win probability in percent."""

    stage: int
    name: str
    probability: int


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """The stages (all ten, 0-9) and after how many weeks without a move a deal stalls."""

    stages: tuple[StageDef, ...] = field(
        default_factory=lambda: tuple(
            StageDef(s, DEFAULT_STAGE_NAMES[s], DEFAULT_PROBABILITIES[s]) for s in STAGES
        )
    )
    stall_weeks: int = STALL_WEEKS_DEFAULT

    def __post_init__(self) -> None:
        ordered = tuple(sorted(self.stages, key=lambda s: s.stage))
        if tuple(s.stage for s in ordered) != STAGES:
            raise StageError(f"give each stage {LOST}-{WON} exactly once")
        for stage in ordered:
            _check_stage_def(stage)
        if not 1 <= self.stall_weeks <= STALL_WEEKS_MAX:
            raise StageError(f"stall weeks must be 1-{STALL_WEEKS_MAX}")
        object.__setattr__(self, "stages", ordered)

    def probability(self, stage: int) -> Decimal:
        """The win probability of `stage` as a fraction (0 to 1)."""
        return Decimal(self.stages[check_stage(stage)].probability) / HUNDRED

    def name(self, stage: int) -> str:
        """The name of `stage`."""
        return self.stages[check_stage(stage)].name


def _check_stage_def(stage: StageDef) -> None:
    if not 0 <= stage.probability <= 100:
        raise StageError(f"stage {stage.stage}: probability must be 0-100 %")
    fixed = {LOST: 0, WON: 100}.get(stage.stage)
    if fixed is not None and stage.probability != fixed:
        raise StageError(f"stage {stage.stage} closes the deal: its probability is {fixed} %")
    name = stage.name.strip()
    if not name or len(name) > STAGE_NAME_MAX or name != stage.name:
        raise StageError(f"stage {stage.stage}: name must be 1-{STAGE_NAME_MAX} characters")


def check_stage(stage: int) -> int:
    """`stage` if it is one of 0-9; StageError otherwise."""
    if isinstance(stage, bool) or stage not in STAGES:
        raise StageError(f"stage must be {LOST}-{WON}, not {stage!r}")
    return stage


def expected_value(amount: Decimal, stage: int, config: PipelineConfig) -> Decimal:
    """Amount × probability of the stage, in cents."""
    return (amount * config.probability(stage)).quantize(CENT, rounding=ROUND_HALF_UP)


def check_stage_move(current: int, to: int, *, may_reopen: bool) -> None:
    """Raise StageError unless an opportunity at `current` may move to `to`.

    Any open stage may move to any other stage; a closed deal (won or lost) moves again only if
    `may_reopen` (supervisors and admins), which keeps the win/loss figures trustworthy.
    """
    check_stage(to)
    if to == check_stage(current):
        raise StageError(f"the opportunity is already at stage {to}")
    if current in CLOSED_STAGES and not may_reopen:
        raise StageError("a won or lost opportunity is reopened only by a supervisor or admin")


@dataclass(frozen=True, slots=True)
class OpportunityFacts:
    """What pipeline figures need to know about one opportunity."""

    opportunity_id: int
    customer_id: int
    owner_id: int
    stage: int
    amount: Decimal
    stage_changed_at: datetime


@dataclass(frozen=True, slots=True)
class OwnerPipeline:
    """One owner's open deals: how many, their total amount and their weighted (expected) value."""

    owner_id: int
    open_count: int
    amount: Decimal
    expected: Decimal


def weighted_pipeline(
    opportunities: Iterable[OpportunityFacts], config: PipelineConfig
) -> list[OwnerPipeline]:
    """The open pipeline per owner, by owner id; owners without open deals are left out."""
    totals: dict[int, tuple[int, Decimal, Decimal]] = {}
    for opp in opportunities:
        if opp.stage not in OPEN_STAGES:
            continue
        count, amount, expected = totals.get(opp.owner_id, (0, Decimal(0), Decimal(0)))
        value = expected_value(opp.amount, opp.stage, config)
        totals[opp.owner_id] = (count + 1, amount + opp.amount, expected + value)
    return [
        OwnerPipeline(owner, count, amount.quantize(CENT), expected.quantize(CENT))
        for owner, (count, amount, expected) in sorted(totals.items())
    ]


@dataclass(frozen=True, slots=True)
class StallAlert:
    """An open opportunity whose stage has not moved for at least the configured weeks."""

    opportunity_id: int
    customer_id: int
    owner_id: int
    stage: int
    since: datetime
    weeks: int


def stall_cutoff(now: datetime, config: PipelineConfig) -> datetime:
    """Opportunities whose stage last changed at or before this instant have stalled."""
    return now - timedelta(weeks=config.stall_weeks)


def stall_alerts(
    opportunities: Iterable[OpportunityFacts], config: PipelineConfig, now: datetime
) -> list[StallAlert]:
    """The stalled open opportunities, longest stalled first."""
    cutoff = stall_cutoff(now, config)
    alerts = [
        StallAlert(
            opportunity_id=opp.opportunity_id,
            customer_id=opp.customer_id,
            owner_id=opp.owner_id,
            stage=opp.stage,
            since=opp.stage_changed_at,
            weeks=(now - opp.stage_changed_at) // timedelta(weeks=1),
        )
        for opp in opportunities
        if opp.stage in OPEN_STAGES and opp.stage_changed_at <= cutoff
    ]
    return sorted(alerts, key=lambda alert: (alert.since, alert.opportunity_id))
