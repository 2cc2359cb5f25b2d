"""Merging customers on SQLite and PostgreSQL: everything moves, nothing is lost, audited."""

from __future__ import annotations

import pytest
from crm_support import Crm
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import to_datetime
from crm_core.audit import audit_entries
from crm_core.caller_lookup import lookup_caller
from crm_core.customer_errors import CustomerNotFound, NotAllowed
from crm_core.customer_merge import InvalidMerge, customer_references
from crm_core.customer_rules import ContactDraft, CustomerDraft
from crm_core.customer_search import CustomerQuery
from crm_core.timeline import link_call
from crm_core.users import Role

pytestmark = pytest.mark.integration

MOBILE, BEIJING, OTHER = "+8613800138000", "+861012345678", "+8613911112222"


@pytest.fixture
def crm(db_sessions: sessionmaker[Session]) -> Crm:
    crm = Crm(db_sessions)
    crm.team("sales", crm.user("sup", Role.SUPERVISOR), crm.user("alice"), crm.user("bob"))
    return crm


def _pair(crm: Crm) -> tuple[int, int]:
    p = crm.people
    keep = crm.customers.create(
        p["alice"],
        CustomerDraft(
            name="Acme Trading",
            phones=(MOBILE,),
            emails=("a@acme.cn",),
            tags=("wholesale",),
            vip_level=1,
            custom_fields={"tier": "gold"},
        ),
    ).id
    gone = crm.customers.create(
        p["sup"],
        CustomerDraft(
            name="ACME trading (old)",
            phones=(MOBILE, BEIJING),
            emails=("A@acme.cn", "b@acme.cn"),
            tags=("wholesale", "north"),
            vip_level=4,
            city="Beijing",
            custom_fields={"tier": "silver", "tax_id": "911"},
            contacts=(ContactDraft("Li Lei", phones=(OTHER,)),),
            owner_user_id=p["bob"].id,
        ),
        override_duplicates=True,
    ).id
    return keep, gone


def test_merge_moves_everything_to_the_kept_customer(crm: Crm):
    p = crm.people
    keep, gone = _pair(crm)
    dept = crm.team("support")
    crm.customers.share(p["bob"], gone, dept)
    crm.timeline.add_note(p["bob"], gone, "old note")
    with crm.sessions.begin() as session:
        link_call(session, gone, "call-9", to_datetime(crm.clock.t), "a call")
    crm.clock.advance(10)
    result = crm.merges.merge(p["sup"], keep, gone)
    kept = result.kept
    assert sorted((ph.e164, ph.contact_id is not None) for ph in kept.phones) == [
        (BEIJING, False),
        (MOBILE, False),
        (OTHER, True),
    ]
    assert sorted(e.email for e in kept.emails) == ["a@acme.cn", "b@acme.cn"]
    assert [c.name for c in kept.contacts] == ["Li Lei"]
    assert kept.summary.tags == ("north", "wholesale")
    assert kept.shared_with == (dept,)
    assert kept.summary.vip_level == 4
    assert kept.summary.city == "Beijing"
    assert kept.custom_fields == {"tier": "gold", "tax_id": "911"}
    assert kept.summary.owner_user_id == p["alice"].id
    summaries = [i.summary for i in crm.timeline.read(p["sup"], keep).items]
    assert summaries[0] == f"customer {gone} (ACME trading (old)) merged into this one"
    assert {"old note", "a call"} <= set(summaries)
    assert summaries.count("customer created") == 2


def test_merged_customer_stays_marked_and_drops_out_of_lists_and_lookups(crm: Crm):
    p = crm.people
    keep, gone = _pair(crm)
    crm.merges.merge(p["sup"], keep, gone)
    old = crm.customers.get(p["sup"], gone)
    assert old.summary.merged_into_id == keep
    assert (old.phones, old.emails, old.contacts) == ((), (), ())
    assert [c.id for c in crm.customers.search(p["sup"], CustomerQuery(name="acme")).items] == [
        keep
    ]
    pop = lookup_caller(crm.sessions, "010 1234 5678", "CN")
    assert pop is not None
    assert pop.customer_id == keep


def test_merge_is_audited_with_what_was_dropped(crm: Crm):
    p = crm.people
    keep, gone = _pair(crm)
    result = crm.merges.merge(p["sup"], keep, gone)
    with crm.sessions() as session:
        [entry] = audit_entries(session, "customer.merge")
    assert entry.id == result.audit_id
    assert entry.data["kept_id"] == keep
    assert entry.data["merged_id"] == gone
    assert entry.data["merged_owner_user_id"] == p["bob"].id
    assert entry.data["dropped_phones"] == [MOBILE]
    assert entry.data["dropped_emails"] == ["a@acme.cn"]
    assert entry.data["moved"]["timeline_entries.customer_id"] == 1
    assert entry.data["moved"]["contacts.customer_id"] == 1


def test_earlier_merges_into_the_merged_customer_follow_it(crm: Crm):
    p = crm.people
    keep, gone = _pair(crm)
    older = crm.customers.create(p["bob"], CustomerDraft(name="Acme older"))
    crm.merges.merge(p["sup"], gone, older.id)
    crm.merges.merge(p["sup"], keep, gone)
    assert crm.customers.get(p["sup"], older.id).summary.merged_into_id == keep


@pytest.mark.parametrize("case", ["agent", "self", "again", "invisible"])
def test_refused_merges_change_nothing(crm: Crm, case: str):
    p = crm.people
    keep, gone = _pair(crm)
    if case == "again":
        crm.merges.merge(p["sup"], keep, gone)
    stranger = crm.user("lonely", Role.SUPERVISOR)
    actor, second, error = {
        "agent": (p["alice"], gone, NotAllowed),
        "self": (p["sup"], keep, InvalidMerge),
        "again": (p["sup"], gone, InvalidMerge),
        "invisible": (stranger, gone, CustomerNotFound),
    }[case]
    with pytest.raises(error):
        crm.merges.merge(actor, keep, second)
    if case != "again":
        assert crm.customers.get(p["sup"], gone).summary.merged_into_id is None
        assert len(crm.customers.get(p["sup"], gone).phones) == 3


def test_every_foreign_key_to_customers_is_repointed_or_handled():
    names = {f"{t.name}.{c.name}" for t, c in customer_references()}
    assert {"contacts.customer_id", "timeline_entries.customer_id"} <= names
    assert not any(n.startswith(("customer_phones", "customer_tags", "customers.")) for n in names)
