"""Who sees which customer, on SQLite and PostgreSQL: the rule of `crm_core.visibility`.

The world: sales = {sup_sales, alice, bob}; support = {sup_support, carol}. Customers: one private
to each agent, one in the shared pool, one of alice's shared with support, one owned by dave (no
department). Each viewer must see exactly the expected set through get, search and timeline.
"""

from __future__ import annotations

import pytest
from crm_support import Crm
from sqlalchemy.orm import Session, sessionmaker

from crm_core.customer_errors import CustomerNotFound
from crm_core.customer_rules import CustomerDraft
from crm_core.customer_search import CustomerQuery
from crm_core.users import Role

pytestmark = pytest.mark.integration

EXPECTED = {
    "alice": {"alice-private", "alice-shared", "pool"},
    "bob": {"bob-private", "pool"},
    "carol": {"carol-private", "alice-shared", "pool"},
    "dave": {"dave-private", "pool"},
    "sup_sales": {"alice-private", "alice-shared", "bob-private", "pool"},
    "sup_support": {"carol-private", "alice-shared", "pool"},
    "lonely_sup": {"pool"},
    "root": {
        "alice-private",
        "alice-shared",
        "bob-private",
        "carol-private",
        "dave-private",
        "pool",
    },
}


@pytest.fixture
def world(db_sessions: sessionmaker[Session]) -> tuple[Crm, dict[str, int]]:
    crm = Crm(db_sessions)
    for name in ("alice", "bob", "carol", "dave"):
        crm.user(name)
    for name in ("sup_sales", "sup_support", "lonely_sup"):
        crm.user(name, Role.SUPERVISOR)
    crm.user("root", Role.ADMIN)
    p = crm.people
    crm.team("sales", p["sup_sales"], p["alice"], p["bob"])
    support = crm.team("support", p["sup_support"], p["carol"])
    ids: dict[str, int] = {}
    for owner in ("alice", "bob", "carol", "dave"):
        made = crm.customers.create(p[owner], CustomerDraft(name=f"{owner}-private"))
        ids[f"{owner}-private"] = made.id
    ids["pool"] = crm.customers.create(p["bob"], CustomerDraft(name="pool", shared_pool=True)).id
    shared = crm.customers.create(p["alice"], CustomerDraft(name="alice-shared"))
    crm.customers.share(p["alice"], shared.id, support)
    ids["alice-shared"] = shared.id
    return crm, ids


@pytest.mark.parametrize("viewer", sorted(EXPECTED))
def test_each_viewer_lists_exactly_what_the_rule_allows(world, viewer):
    crm, _ids = world
    page = crm.customers.search(crm.people[viewer], CustomerQuery(), limit=200)
    assert {c.name for c in page.items} == EXPECTED[viewer]
    assert page.total == len(EXPECTED[viewer])


@pytest.mark.parametrize("viewer", sorted(EXPECTED))
def test_each_viewer_reads_only_visible_customers_and_timelines(world, viewer):
    crm, ids = world
    user = crm.people[viewer]
    for name, customer_id in ids.items():
        if name in EXPECTED[viewer]:
            assert crm.customers.get(user, customer_id).summary.name == name
            assert crm.timeline.read(user, customer_id).items
        else:
            with pytest.raises(CustomerNotFound):
                crm.customers.get(user, customer_id)
            with pytest.raises(CustomerNotFound):
                crm.timeline.read(user, customer_id)
            with pytest.raises(CustomerNotFound):
                crm.timeline.add_note(user, customer_id, "sneaky")


def test_search_by_name_does_not_reveal_a_private_customer(world):
    crm, _ids = world
    page = crm.customers.search(crm.people["bob"], CustomerQuery(text="alice-private"))
    assert page.items == ()
    assert page.total == 0


def test_leaving_a_department_ends_the_view_of_its_shares_and_team(world):
    crm, ids = world
    p = crm.people
    support = next(d for d in crm.departments.list_departments() if d.name == "support")
    crm.departments.remove_member(support.id, p["carol"].id)
    with pytest.raises(CustomerNotFound):
        crm.customers.get(p["carol"], ids["alice-shared"])
    with pytest.raises(CustomerNotFound):
        crm.customers.get(p["sup_support"], ids["carol-private"])
