"""Service-desk and sales settings on SQLite and PostgreSQL: defaults, admin-only changes,
replacing and deleting SLA policies, audit records, and policies not rewriting old tickets."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from service_support import World, make_world
from sqlalchemy.orm import Session, sessionmaker

from crm_core.audit import audit_entries
from crm_core.key_accounts import KeyAccountConfig
from crm_core.pipeline import PipelineConfig
from crm_core.service_errors import NotPermitted
from crm_core.service_models import CrmSetting
from crm_core.service_settings import STALL_WEEKS, SlaPolicyNotFound
from crm_core.sla import ANY, SlaPolicy
from crm_core.ticket_views import TicketDraft

pytestmark = pytest.mark.integration

H = timedelta(hours=1)


@pytest.fixture
def world(db_sessions: sessionmaker[Session]) -> World:
    return make_world(db_sessions)


def test_nothing_stored_means_the_documented_defaults(world: World) -> None:
    assert world.settings.sla_policies() == []
    assert world.settings.pipeline() == PipelineConfig()
    assert world.settings.key_accounts() == KeyAccountConfig()


def test_an_admin_adds_replaces_and_deletes_sla_policies_audited(
    world: World, db_sessions: sessionmaker[Session]
) -> None:
    root = world.people["root"]
    world.settings.put_sla_policy(root, SlaPolicy("billing", ANY, 8 * H))
    world.settings.put_sla_policy(root, SlaPolicy("billing", ANY, 4 * H, response=H))
    world.settings.put_sla_policy(root, SlaPolicy(ANY, "urgent", 2 * H, business_hours=True))
    assert world.settings.sla_policies() == [
        SlaPolicy(ANY, "urgent", 2 * H, business_hours=True),
        SlaPolicy("billing", ANY, 4 * H, response=H),
    ]
    world.settings.delete_sla_policy(root, "billing", ANY)
    with pytest.raises(SlaPolicyNotFound):
        world.settings.delete_sla_policy(root, "billing", ANY)
    with db_sessions() as session:
        actions = [entry.action for entry in audit_entries(session)]
    assert actions.count("settings.sla_policy.put") == 3
    assert actions[0] == "settings.sla_policy.delete"


def test_supervisors_and_agents_cannot_change_settings(world: World) -> None:
    for name in ("sup_sales", "alice"):
        user = world.people[name]
        with pytest.raises(NotPermitted):
            world.settings.put_sla_policy(user, SlaPolicy(ANY, ANY, H))
        with pytest.raises(NotPermitted):
            world.settings.delete_sla_policy(user, ANY, ANY)
        with pytest.raises(NotPermitted):
            world.settings.set_key_accounts(user, KeyAccountConfig())


def test_sla_targets_must_be_whole_minutes(world: World) -> None:
    with pytest.raises(ValueError, match="whole minutes"):
        world.settings.put_sla_policy(
            world.people["root"], SlaPolicy(ANY, ANY, H + timedelta(seconds=1))
        )


def test_a_changed_policy_does_not_rewrite_open_tickets(world: World) -> None:
    root = world.people["root"]
    world.settings.put_sla_policy(root, SlaPolicy(ANY, ANY, 10 * H))
    draft = TicketDraft(world.customers["pool"], "old")
    before = world.tickets.create(root, draft)
    world.settings.put_sla_policy(root, SlaPolicy(ANY, ANY, 1 * H))
    after = world.tickets.create(root, draft)
    assert before.resolution_minutes == 600
    assert world.tickets.get(root, before.id).resolution_due_at == before.created_at + 10 * H
    assert after.resolution_due_at == after.created_at + H


def test_key_account_settings_round_trip_with_a_threshold(world: World) -> None:
    root = world.people["root"]
    config = KeyAccountConfig(2, Decimal("0.1"), Decimal("50000.50"), 6)
    assert world.settings.set_key_accounts(root, config) == config
    assert world.settings.key_accounts() == config


def test_a_stored_value_edited_by_hand_into_nonsense_is_reported_by_name(
    world: World, db_sessions: sessionmaker[Session]
) -> None:
    world.settings.set_pipeline(world.people["root"], PipelineConfig(stall_weeks=3))
    with db_sessions.begin() as session:
        row = session.get(CrmSetting, STALL_WEEKS)
        assert row is not None
        row.value = "three"
    with pytest.raises(ValueError, match=r"pipeline\.stall_weeks"):
        world.settings.pipeline()
