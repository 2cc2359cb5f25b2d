"""CustomerService on SQLite and PostgreSQL: create, duplicates, owners, search, update, share."""

from __future__ import annotations

import pytest
from crm_support import Crm
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from crm_core.audit import audit_entries
from crm_core.customer_errors import (
    CustomerNotFound,
    CustomerUserNotFound,
    DepartmentNotFound,
    NotAllowed,
)
from crm_core.customer_models import Customer
from crm_core.customer_rules import ContactDraft, CustomerDraft, InvalidCustomer, PhoneInput
from crm_core.customer_search import CustomerQuery
from crm_core.customer_update import CustomerChanges
from crm_core.customers import Created, Duplicate, Invalid
from crm_core.duplicates import DuplicateCustomer
from crm_core.users import Role

pytestmark = pytest.mark.integration

MOBILE = "+8613800138000"
BEIJING = "+861012345678"


@pytest.fixture
def crm(db_sessions: sessionmaker[Session]) -> Crm:
    return Crm(db_sessions)


def _count(crm: Crm) -> int:
    with crm.sessions() as session:
        return session.scalar(select(func.count()).select_from(Customer)) or 0


def _draft(name: str = "Acme Trading", **kwargs: object) -> CustomerDraft:
    return CustomerDraft(name=name, **kwargs)  # type: ignore[arg-type]


# --- create -------------------------------------------------------------------------------------


def test_given_messy_input_when_created_then_stored_normalised_and_owned_by_creator(crm: Crm):
    alice = crm.user("alice")
    detail = crm.customers.create(
        alice,
        _draft(
            "  ＡＣＭＥ   Trading ",
            kind="company",
            phones=(PhoneInput("１３８ ００１３ ８０００", "mobile"), "010-12345678 转 88"),
            emails=(" Info@ACME.example ",),
            tags=("Wholesale", "wholesale ", "VIP"),
            city="北京",
            vip_level=3,
            custom_fields={"tax_id": "91110000"},
            contacts=(ContactDraft("Li Lei", "buyer", phones=("139 1000 2000",)),),
        ),
    )
    summary = detail.summary
    assert (summary.name, summary.kind, summary.city, summary.vip_level) == (
        "ACME Trading",
        "company",
        "北京",
        3,
    )
    assert summary.owner_user_id == alice.id
    assert summary.owner_name == "alice"
    assert summary.tags == ("vip", "wholesale")
    own = [(p.e164, p.extension, p.label) for p in detail.phones if p.contact_id is None]
    assert own == [(MOBILE, None, "mobile"), (BEIJING, "88", None)]
    assert [p.e164 for p in detail.phones if p.contact_id is not None] == ["+8613910002000"]
    assert [e.email for e in detail.emails] == ["info@acme.example"]
    assert [(c.name, c.title) for c in detail.contacts] == [("Li Lei", "buyer")]
    assert detail.custom_fields == {"tax_id": "91110000"}
    assert crm.customers.get(alice, detail.id) == detail
    entries = crm.timeline.read(alice, detail.id).items
    assert [(e.kind, e.summary) for e in entries] == [("system", "customer created")]


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        (CustomerDraft(name="  "), "name"),
        (CustomerDraft(name="x" * 201), "name"),
        (CustomerDraft(name="Bob", kind="robot"), "kind"),
        (CustomerDraft(name="Bob", vip_level=6), "vip_level"),
        (CustomerDraft(name="Bob", phones=("12345",)), "phones"),
        (CustomerDraft(name="Bob", emails=("bob@",)), "emails"),
        (CustomerDraft(name="Bob", tags=("t" * 65,)), "tags"),
        (CustomerDraft(name="Bob", custom_fields={"k": object()}), "custom_fields"),
        (CustomerDraft(name="Bob", contacts=(ContactDraft(""),)), "contacts[0].name"),
    ],
)
def test_given_bad_field_when_created_then_refused_naming_it_and_nothing_saved(
    crm: Crm, draft: CustomerDraft, field: str
):
    with pytest.raises(InvalidCustomer) as caught:
        crm.customers.create(crm.user("alice"), draft)
    assert caught.value.field == field
    assert _count(crm) == 0


def test_given_same_phone_in_other_format_when_created_then_duplicate_names_the_owner(crm: Crm):
    alice, bob = crm.user("alice"), crm.user("bob")
    existing = crm.customers.create(alice, _draft("Zhang Wei", phones=("13800138000",)))
    with pytest.raises(DuplicateCustomer) as caught:
        crm.customers.create(bob, _draft("Mr Zhang", phones=("+86 138-0013-8000",)))
    [match] = caught.value.matches
    assert (match.customer_id, match.owner_user_id, match.owner_name) == (
        existing.id,
        alice.id,
        "alice",
    )
    assert match.matched_on == ("phone",)
    assert "owned by alice" in str(caught.value)
    assert _count(crm) == 1


def test_given_email_in_other_case_then_duplicate_and_agent_may_not_override(crm: Crm):
    alice, bob = crm.user("alice"), crm.user("bob")
    crm.customers.create(alice, _draft("A", emails=("li@x.cn",)))
    with pytest.raises(DuplicateCustomer) as caught:
        crm.customers.create(bob, _draft("B", emails=("LI@X.CN",)), override_duplicates=True)
    assert caught.value.matches[0].matched_on == ("email",)
    assert _count(crm) == 1


def test_given_phone_match_when_supervisor_overrides_then_created_and_audited(crm: Crm):
    alice, sup = crm.user("alice"), crm.user("sup", Role.SUPERVISOR)
    first = crm.customers.create(alice, _draft("Family A", phones=(BEIJING,)))
    second = crm.customers.create(
        sup, _draft("Family B", phones=(BEIJING,)), override_duplicates=True
    )
    assert second.id != first.id
    with crm.sessions() as session:
        [entry] = audit_entries(session, "customer.duplicate-override")
    assert entry.actor_user_id == sup.id
    assert entry.data == {"customer_id": second.id, "matches": [first.id]}


def test_given_name_only_match_then_blocked_unless_overridden_by_anyone(crm: Crm):
    alice, bob = crm.user("alice"), crm.user("bob")
    crm.customers.create(alice, _draft("ACME Co., Ltd."))
    with pytest.raises(DuplicateCustomer) as caught:
        crm.customers.create(bob, _draft("acme limited"))
    assert caught.value.matches[0].matched_on == ("name",)
    created = crm.customers.create(bob, _draft("acme limited"), override_duplicates=True)
    assert created.summary.owner_user_id == bob.id
    assert _count(crm) == 2


def test_find_duplicates_reports_every_field_and_strong_matches_first(crm: Crm):
    alice = crm.user("alice")
    by_name = crm.customers.create(alice, _draft("Wang Fang"))
    by_both = crm.customers.create(
        alice, _draft("Other", phones=(MOBILE,), emails=("w@f.cn",)), override_duplicates=True
    )
    matches = crm.customers.find_duplicates(
        _draft("wang  FANG", phones=("13800138000",), emails=("W@F.CN",))
    )
    assert [(m.customer_id, m.matched_on) for m in matches] == [
        (by_both.id, ("phone", "email")),
        (by_name.id, ("name",)),
    ]


def test_agent_may_not_create_for_another_user(crm: Crm):
    alice, bob = crm.user("alice"), crm.user("bob")
    with pytest.raises(NotAllowed):
        crm.customers.create(alice, _draft(owner_user_id=bob.id))
    assert _count(crm) == 0


def test_supervisor_creates_for_team_members_only_and_admin_for_anyone(crm: Crm):
    sup, alice, carol = crm.user("sup", Role.SUPERVISOR), crm.user("alice"), crm.user("carol")
    crm.team("sales", sup, alice)
    made = crm.customers.create(sup, _draft("For Alice", owner_user_id=alice.id))
    assert made.summary.owner_user_id == alice.id
    with pytest.raises(NotAllowed):
        crm.customers.create(sup, _draft("For Carol", owner_user_id=carol.id))
    admin = crm.user("root", Role.ADMIN)
    assert crm.customers.create(admin, _draft("X", owner_user_id=carol.id)).summary.owner_name == (
        "carol"
    )


@pytest.mark.parametrize("owner", ["missing", "inactive"])
def test_owner_must_be_an_active_user(crm: Crm, owner: str):
    admin = crm.user("root", Role.ADMIN)
    owner_id = 99_999
    if owner == "inactive":
        owner_id = crm.users.deactivate(crm.user("gone").id).id
    with pytest.raises(CustomerUserNotFound):
        crm.customers.create(admin, _draft(owner_user_id=owner_id))


# --- create_many (import) -----------------------------------------------------------------------


def test_create_many_creates_what_it_can_and_reports_each_row(crm: Crm):
    alice, admin = crm.user("alice"), crm.user("root", Role.ADMIN)
    existing = crm.customers.create(alice, _draft("Old", phones=(MOBILE,)))
    outcomes = crm.customers.create_many(
        admin,
        [
            _draft("New One", phones=("010 1234 5678",)),
            _draft("Dup of DB", phones=("+86 13800138000",)),
            _draft("Bad", emails=("nope",)),
            _draft("Dup in batch", phones=("01012345678",)),
            _draft("Second New", emails=("s@n.cn",)),
        ],
        owner_user_id=alice.id,
    )
    assert isinstance(outcomes[0], Created)
    assert isinstance(outcomes[1], Duplicate)
    assert outcomes[1].matches[0].customer_id == existing.id
    assert outcomes[2] == Invalid(2, "emails", "'nope' is not an email address")
    assert isinstance(outcomes[3], Duplicate)
    assert outcomes[3].matches[0].customer_id == outcomes[0].customer_id
    assert isinstance(outcomes[4], Created)
    assert crm.customers.get(alice, outcomes[4].customer_id).summary.owner_user_id == alice.id
    assert _count(crm) == 3


# --- get and search -----------------------------------------------------------------------------


def test_get_of_missing_or_invisible_customer_is_not_found(crm: Crm):
    alice, bob = crm.user("alice"), crm.user("bob")
    private = crm.customers.create(alice, _draft())
    for viewer, customer_id in ((bob, private.id), (alice, 12345)):
        with pytest.raises(CustomerNotFound):
            crm.customers.get(viewer, customer_id)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (CustomerQuery(name="ｔｒａｄｉｎｇ"), ["Acme Trading"]),
        (CustomerQuery(name="华为"), ["华为技术有限公司"]),
        (CustomerQuery(phone="+86 10 1234-5678"), ["华为技术有限公司"]),
        (CustomerQuery(phone="0086 138 0013 8000"), ["Acme Trading"]),
        (CustomerQuery(phone="5678"), ["华为技术有限公司"]),
        (CustomerQuery(email="SALES@ACME.CN"), ["Acme Trading"]),
        (CustomerQuery(email="acme"), ["Acme Trading"]),
        (CustomerQuery(tag="Key Account"), ["华为技术有限公司"]),
        (CustomerQuery(text="13800138000"), ["Acme Trading"]),
        (CustomerQuery(text="key account"), ["华为技术有限公司"]),
        (CustomerQuery(name="acme", tag="key account"), []),
        (CustomerQuery(name="50%_off"), []),
    ],
)
def test_search_filters(crm: Crm, query: CustomerQuery, expected: list[str]):
    alice = crm.user("alice")
    crm.customers.create(alice, _draft("Acme Trading", phones=(MOBILE,), emails=("sales@acme.cn",)))
    crm.customers.create(
        alice, _draft("华为技术有限公司", phones=(BEIJING,), tags=("key account",))
    )
    page = crm.customers.search(alice, query)
    assert [c.name for c in page.items] == expected
    assert page.total == len(expected)


@pytest.mark.parametrize(
    "query", [CustomerQuery(name=" "), CustomerQuery(phone="12"), CustomerQuery(text="x" * 201)]
)
def test_unusable_search_filter_is_a_value_error(crm: Crm, query: CustomerQuery):
    with pytest.raises(ValueError, match=r"phone|empty|at most"):
        crm.customers.search(crm.user("alice"), query)


def test_search_pages_newest_update_first_with_total(crm: Crm):
    alice = crm.user("alice")
    for i in range(5):
        crm.clock.advance(1)
        crm.customers.create(alice, _draft(f"Customer {i}"))
    first = crm.customers.search(alice, CustomerQuery(), limit=2)
    second = crm.customers.search(alice, CustomerQuery(), offset=2, limit=2)
    assert [c.name for c in first.items] == ["Customer 4", "Customer 3"]
    assert [c.name for c in second.items] == ["Customer 2", "Customer 1"]
    assert first.total == second.total == 5


# --- update -------------------------------------------------------------------------------------


def test_update_changes_fields_replaces_phones_and_notes_it_on_the_timeline(crm: Crm):
    alice = crm.user("alice")
    made = crm.customers.create(alice, _draft(city="Shanghai", phones=(MOBILE,), tags=("a",)))
    crm.clock.advance(60)
    changed = crm.customers.update(
        alice,
        made.id,
        CustomerChanges(city="", vip_level=2, phones=("010-12345678",), tags=("b",)),
    )
    assert changed.summary.city is None
    assert changed.summary.vip_level == 2
    assert [p.e164 for p in changed.phones] == [BEIJING]
    assert changed.summary.tags == ("b",)
    assert changed.summary.updated_at.timestamp() == crm.clock.t
    newest = crm.timeline.read(alice, made.id).items[0]
    assert newest.summary == "changed: city, vip_level, tags, phones"


def test_update_to_another_customers_phone_is_a_duplicate_and_changes_nothing(crm: Crm):
    alice = crm.user("alice")
    crm.customers.create(alice, _draft("First", phones=(MOBILE,)))
    second = crm.customers.create(alice, _draft("Second", phones=(BEIJING,)))
    with pytest.raises(DuplicateCustomer):
        crm.customers.update(
            alice, second.id, CustomerChanges(phones=("13800138000",), vip_level=1)
        )
    after = crm.customers.get(alice, second.id)
    assert [p.e164 for p in after.phones] == [BEIJING]
    assert after.summary.vip_level == 0


def test_update_keeping_own_phone_is_no_duplicate(crm: Crm):
    alice = crm.user("alice")
    made = crm.customers.create(alice, _draft(phones=(MOBILE,)))
    changed = crm.customers.update(alice, made.id, CustomerChanges(phones=(MOBILE, BEIJING)))
    assert [p.e164 for p in changed.phones] == [MOBILE, BEIJING]


def test_agent_may_edit_a_pool_customer_but_not_take_it_out_of_the_pool(crm: Crm):
    alice, bob = crm.user("alice"), crm.user("bob")
    pooled = crm.customers.create(alice, _draft(shared_pool=True))
    assert crm.customers.update(bob, pooled.id, CustomerChanges(vip_level=1)).summary.vip_level == 1
    with pytest.raises(NotAllowed):
        crm.customers.update(bob, pooled.id, CustomerChanges(shared_pool=False))
    assert crm.customers.update(alice, pooled.id, CustomerChanges(shared_pool=False))


def test_bad_update_is_refused_whole(crm: Crm):
    alice = crm.user("alice")
    made = crm.customers.create(alice, _draft())
    with pytest.raises(InvalidCustomer):
        crm.customers.update(alice, made.id, CustomerChanges(name="New", emails=("bad",)))
    assert crm.customers.get(alice, made.id).summary.name == "Acme Trading"


# --- share --------------------------------------------------------------------------------------


def test_sharing_with_a_department_lets_its_members_see_the_customer(crm: Crm):
    alice, bob, carol = crm.user("alice"), crm.user("bob"), crm.user("carol")
    support = crm.team("support", bob)
    made = crm.customers.create(alice, _draft())
    with pytest.raises(CustomerNotFound):
        crm.customers.get(bob, made.id)
    shared = crm.customers.share(alice, made.id, support)
    assert shared.shared_with == (support,)
    assert crm.customers.get(bob, made.id).id == made.id
    with pytest.raises(CustomerNotFound):
        crm.customers.get(carol, made.id)
    with pytest.raises(NotAllowed):
        crm.customers.unshare(bob, made.id, support)
    crm.customers.unshare(alice, made.id, support)
    with pytest.raises(CustomerNotFound):
        crm.customers.get(bob, made.id)
    with crm.sessions() as session:
        actions = [e.action for e in audit_entries(session)]
    assert sorted(actions) == ["customer.share", "customer.unshare"]


def test_sharing_with_a_missing_department_is_refused(crm: Crm):
    alice = crm.user("alice")
    made = crm.customers.create(alice, _draft())
    with pytest.raises(DepartmentNotFound):
        crm.customers.share(alice, made.id, 4242)
