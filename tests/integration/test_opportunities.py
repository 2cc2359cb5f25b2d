"""OpportunityService and pipeline settings on SQLite and PostgreSQL: stages, expected values,
history on the timeline, who may change what, visibility, stall alerts, the weighted pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from service_support import World, make_world
from sqlalchemy.orm import Session, sessionmaker

from crm_core.customer_errors import CustomerNotFound
from crm_core.opportunities import (
    OpportunityDraft,
    OpportunityNotFound,
    OpportunityQuery,
    OpportunityView,
)
from crm_core.pipeline import LOST, WON, PipelineConfig, StageDef, StageError
from crm_core.service_errors import NotPermitted

pytestmark = pytest.mark.integration

T0 = datetime(2024, 6, 1, 12, tzinfo=UTC)
WEEK_S = 7 * 24 * 3600


@pytest.fixture
def world(db_sessions: sessionmaker[Session]) -> World:
    return make_world(db_sessions)


def deal(
    world: World,
    who: str = "alice",
    customer: str = "alice-private",
    amount: str = "1000",
    **kw: object,
) -> OpportunityView:
    draft = OpportunityDraft(world.customers[customer], "Fleet renewal", Decimal(amount), **kw)  # type: ignore[arg-type]
    return world.opportunities.create(world.people[who], draft)


def test_a_new_opportunity_starts_as_a_lead_owned_by_its_creator(world: World) -> None:
    opp = deal(world, amount="1234.565")
    assert (opp.stage, opp.stage_name, opp.probability) == (1, "lead", 10)
    assert opp.amount == Decimal("1234.57")
    assert opp.expected_value == Decimal("123.46")
    assert opp.owner_user_id == world.people["alice"].id
    assert opp.stage_changed_at == T0


def test_moving_the_stage_keeps_history_and_writes_the_timeline(world: World) -> None:
    alice = world.people["alice"]
    opp = deal(world)
    world.advance(3600)
    moved = world.opportunities.move_stage(alice, opp.id, 3, note="demo done")
    assert (moved.stage, moved.expected_value) == (3, Decimal("300.00"))
    assert moved.stage_changed_at == T0 + timedelta(hours=1)
    history = world.opportunities.history(alice, opp.id)
    assert [(h.from_stage, h.to_stage, h.note) for h in history] == [
        (None, 1, None),
        (1, 3, "demo done"),
    ]
    items = world.crm.timeline.read(alice, opp.customer_id).items
    summaries = [i.summary for i in items if i.kind == "opportunity"]
    assert summaries == [
        f"Opportunity #{opp.id} Fleet renewal moved: stage 1 → 3 needs known",
        f"Opportunity #{opp.id} Fleet renewal opened: stage 1 lead",
    ]


def test_bad_stage_moves_are_refused(world: World) -> None:
    alice = world.people["alice"]
    opp = deal(world)
    with pytest.raises(StageError, match="already at stage 1"):
        world.opportunities.move_stage(alice, opp.id, 1)
    with pytest.raises(StageError, match="stage must be 0-9"):
        world.opportunities.move_stage(alice, opp.id, 10)
    world.opportunities.move_stage(alice, opp.id, WON)
    with pytest.raises(StageError, match="reopened only"):
        world.opportunities.move_stage(alice, opp.id, 5)
    reopened = world.opportunities.move_stage(world.people["sup_sales"], opp.id, 5)
    assert reopened.stage == 5


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"amount": "-1"}, ValueError),
        ({"amount": "NaN"}, ValueError),
        ({"stage": 11}, StageError),
    ],
)
def test_bad_drafts_are_refused(world: World, kwargs: dict[str, object], error: type) -> None:
    rest = dict(kwargs)  # the parameters are shared by the SQLite and PostgreSQL runs
    amount = str(rest.pop("amount", "10"))
    with pytest.raises(error):
        deal(world, amount=amount, **rest)


def test_only_owner_or_leads_change_an_opportunity_others_only_read(world: World) -> None:
    opp = deal(world, who="bob", customer="pool")
    alice = world.people["alice"]
    assert world.opportunities.get(alice, opp.id).id == opp.id
    with pytest.raises(NotPermitted):
        world.opportunities.move_stage(alice, opp.id, 2)
    with pytest.raises(NotPermitted):
        world.opportunities.update(alice, opp.id, amount=Decimal(1))
    assert world.opportunities.move_stage(world.people["sup_sales"], opp.id, 2).stage == 2
    with pytest.raises(ValueError, match="nothing to change"):
        world.opportunities.update(world.people["bob"], opp.id)
    renamed = world.opportunities.update(world.people["bob"], opp.id, title=" Fleet 2 ")
    assert (renamed.title, renamed.amount) == ("Fleet 2", Decimal(1000))


def test_agents_own_what_they_create_leads_may_name_an_owner(world: World) -> None:
    bob = world.people["bob"]
    with pytest.raises(NotPermitted):
        deal(world, owner_user_id=bob.id)
    made = deal(world, who="sup_sales", owner_user_id=bob.id)
    assert made.owner_user_id == bob.id


def test_opportunities_are_visible_exactly_when_their_customer_is(world: World) -> None:
    private = deal(world)
    pool = deal(world, who="bob", customer="pool")
    for who, expected in {
        "alice": {private.id, pool.id},
        "bob": {pool.id},
        "carol": {pool.id},
        "sup_sales": {private.id, pool.id},
        "sup_support": {pool.id},
        "root": {private.id, pool.id},
    }.items():
        page = world.opportunities.list_opportunities(world.people[who])
        assert {o.id for o in page.items} == expected, who
    with pytest.raises(OpportunityNotFound):
        world.opportunities.get(world.people["bob"], private.id)
    with pytest.raises(CustomerNotFound):
        deal(world, who="bob", customer="alice-private")


def test_stall_alerts_after_the_configured_weeks_not_for_closed_deals(world: World) -> None:
    alice = world.people["alice"]
    stalled = deal(world)
    moving = deal(world)
    lost = deal(world)
    world.opportunities.move_stage(alice, lost.id, LOST)
    world.advance(WEEK_S)
    world.opportunities.move_stage(alice, moving.id, 2)
    world.advance(WEEK_S)
    alerts = world.opportunities.stall_alerts(alice)
    assert [(a.opportunity_id, a.weeks) for a in alerts] == [(stalled.id, 2)]
    assert world.opportunities.stall_alerts(world.people["bob"]) == []  # not visible to him
    root = world.people["root"]
    world.settings.set_pipeline(root, PipelineConfig(stall_weeks=1))
    assert {a.opportunity_id for a in world.opportunities.stall_alerts(alice)} == {
        stalled.id, moving.id,
    }  # fmt: skip


def test_weighted_pipeline_per_owner_follows_admin_probabilities(world: World) -> None:
    alice = world.people["alice"]
    first = deal(world, amount="1000")
    world.opportunities.move_stage(alice, first.id, 4)
    deal(world, who="bob", customer="pool", amount="500")
    root = world.people["root"]
    rows = world.opportunities.pipeline(root)
    assert [(r.owner_id, r.open_count, r.expected) for r in rows] == [
        (alice.id, 1, Decimal("400.00")),
        (world.people["bob"].id, 1, Decimal("50.00")),
    ]
    stages = tuple(
        StageDef(s.stage, s.name, 55 if s.stage == 4 else s.probability)
        for s in PipelineConfig().stages
    )
    world.settings.set_pipeline(root, PipelineConfig(stages))
    assert world.opportunities.get(alice, first.id).expected_value == Decimal("550.00")
    assert [r.expected for r in world.opportunities.pipeline(alice)] == [
        Decimal("550.00"), Decimal("50.00"),
    ]  # fmt: skip


def test_only_admins_change_pipeline_settings(world: World) -> None:
    with pytest.raises(NotPermitted):
        world.settings.set_pipeline(world.people["sup_sales"], PipelineConfig(stall_weeks=3))
    assert world.settings.pipeline().stall_weeks == 2


def test_list_filters_by_owner_customer_and_open(world: World) -> None:
    alice = world.people["alice"]
    first = deal(world)
    second = deal(world, who="bob", customer="pool")
    world.opportunities.move_stage(alice, first.id, WON)
    query = world.opportunities.list_opportunities
    assert [o.id for o in query(alice, OpportunityQuery(open_only=True)).items] == [second.id]
    owner = OpportunityQuery(owner_user_id=alice.id)
    assert [o.id for o in query(alice, owner).items] == [first.id]
    by_customer = OpportunityQuery(customer_id=world.customers["pool"])
    assert [o.id for o in query(alice, by_customer).items] == [second.id]
