"""The sales pipeline: stage configuration, expected values, weighted pipeline, stall alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core.pipeline import (
    DEFAULT_PROBABILITIES,
    LOST,
    STAGES,
    WON,
    OpportunityFacts,
    OwnerPipeline,
    PipelineConfig,
    StageDef,
    StageError,
    check_amount,
    check_stage,
    check_stage_move,
    expected_value,
    stall_alerts,
    weighted_pipeline,
)

pytestmark = pytest.mark.unit

NOW = datetime(2025, 3, 3, 12, tzinfo=UTC)
WEEK = timedelta(weeks=1)
DEFAULT = PipelineConfig()


def stages(**overrides: int) -> tuple[StageDef, ...]:
    """The default stages with some probabilities changed (`s3=35`)."""
    return tuple(
        StageDef(s, DEFAULT.name(s), overrides.get(f"s{s}", DEFAULT_PROBABILITIES[s]))
        for s in STAGES
    )


def opp(
    oid: int, stage: int, amount: str, owner: int = 1, since: timedelta = WEEK
) -> OpportunityFacts:
    return OpportunityFacts(oid, 100 + oid, owner, stage, Decimal(amount), NOW - since)


# --- configuration ------------------------------------------------------------------------------


def test_default_stages_run_from_lost_to_won() -> None:
    assert [DEFAULT.probability(s) for s in (LOST, 1, 2, 7, 8, WON)] == [
        Decimal(0), Decimal("0.1"), Decimal("0.2"), Decimal("0.75"), Decimal("0.9"), Decimal(1)
    ]  # fmt: skip
    assert (DEFAULT.name(LOST), DEFAULT.name(2), DEFAULT.name(WON)) == ("lost", "qualified", "won")
    assert DEFAULT.stall_weeks == 2


def test_open_stage_probabilities_are_configurable() -> None:
    assert PipelineConfig(stages(s3=35)).probability(3) == Decimal("0.35")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (lambda: PipelineConfig(stages(s3=101)), "0-100"),
        (lambda: PipelineConfig(stages(s3=-1)), "0-100"),
        (lambda: PipelineConfig(stages(s0=5)), "closes the deal"),
        (lambda: PipelineConfig(stages(s9=99)), "closes the deal"),
        (lambda: PipelineConfig(stages()[:9]), "exactly once"),
        (lambda: PipelineConfig((*stages(), StageDef(3, "again", 30))), "exactly once"),
        (lambda: PipelineConfig(stall_weeks=0), "stall weeks"),
        (lambda: PipelineConfig(stall_weeks=105), "stall weeks"),
        (lambda: PipelineConfig((*stages()[:3], StageDef(3, " ", 30), *stages()[4:])), "name"),
    ],
)
def test_given_a_bad_configuration_then_it_is_refused_with_the_reason(
    config: object, message: str
) -> None:
    with pytest.raises(StageError, match=message):
        config()  # type: ignore[operator]


@pytest.mark.parametrize("bad", [-1, 10, True])
def test_given_a_stage_outside_0_to_9_then_it_is_refused(bad: int) -> None:
    with pytest.raises(StageError, match="stage must be 0-9"):
        check_stage(bad)


# --- values -------------------------------------------------------------------------------------


def test_expected_value_is_amount_times_probability_in_cents() -> None:
    assert expected_value(Decimal("1000.00"), 2, DEFAULT) == Decimal("200.00")
    assert expected_value(Decimal("0.05"), 5, DEFAULT) == Decimal("0.03")  # half up
    assert expected_value(Decimal("999.99"), WON, DEFAULT) == Decimal("999.99")
    assert expected_value(Decimal("999.99"), LOST, DEFAULT) == Decimal("0.00")


@pytest.mark.parametrize("bad", ["-0.01", "NaN", "Infinity", "1000000000000"])
def test_given_a_bad_amount_then_it_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="amount"):
        check_amount(Decimal(bad))


def test_amounts_are_rounded_to_cents() -> None:
    assert check_amount(Decimal("10.005")) == Decimal("10.01")


@given(st.decimals(0, 10**9, places=2), st.sampled_from(STAGES))
def test_expected_value_never_exceeds_the_amount(amount: Decimal, stage: int) -> None:
    assert Decimal(0) <= expected_value(amount, stage, DEFAULT) <= amount


def test_weighted_pipeline_sums_open_deals_per_owner() -> None:
    deals = [
        opp(1, 2, "1000", owner=7),
        opp(2, 5, "200.50", owner=7),
        opp(3, WON, "5000", owner=7),  # closed: not pipeline
        opp(4, 8, "100", owner=3),
        opp(5, LOST, "100", owner=9),
    ]
    assert weighted_pipeline(deals, DEFAULT) == [
        OwnerPipeline(3, 1, Decimal("100.00"), Decimal("90.00")),
        OwnerPipeline(7, 2, Decimal("1200.50"), Decimal("300.25")),
    ]


# --- stage moves --------------------------------------------------------------------------------


def test_open_deals_move_to_any_other_stage() -> None:
    check_stage_move(2, 5, may_reopen=False)
    check_stage_move(5, 1, may_reopen=False)
    check_stage_move(3, WON, may_reopen=False)


def test_moving_to_the_same_stage_is_refused() -> None:
    with pytest.raises(StageError, match="already at stage 2"):
        check_stage_move(2, 2, may_reopen=True)


@pytest.mark.parametrize("closed", [LOST, WON])
def test_closed_deals_are_reopened_only_by_leads(closed: int) -> None:
    with pytest.raises(StageError, match="reopened only"):
        check_stage_move(closed, 3, may_reopen=False)
    check_stage_move(closed, 3, may_reopen=True)


# --- stalls -------------------------------------------------------------------------------------


def test_an_open_deal_unmoved_for_the_configured_weeks_stalls() -> None:
    deals = [
        opp(1, 2, "1", since=2 * WEEK),  # exactly two weeks: stalled
        opp(2, 2, "1", since=2 * WEEK - timedelta(seconds=1)),
        opp(3, 4, "1", since=5 * WEEK + timedelta(days=3)),
        opp(4, WON, "1", since=50 * WEEK),
        opp(5, LOST, "1", since=50 * WEEK),
    ]
    alerts = stall_alerts(deals, DEFAULT, NOW)
    assert [(a.opportunity_id, a.stage, a.weeks) for a in alerts] == [(3, 4, 5), (1, 2, 2)]
    assert alerts[1].since == NOW - 2 * WEEK
    assert alerts[1].customer_id == 101


def test_stall_weeks_are_configurable() -> None:
    deals = [opp(1, 2, "1", since=3 * WEEK)]
    assert stall_alerts(deals, PipelineConfig(stall_weeks=4), NOW) == []
    assert len(stall_alerts(deals, PipelineConfig(stall_weeks=3), NOW)) == 1
