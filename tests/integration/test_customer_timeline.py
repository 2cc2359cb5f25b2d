"""Customer timelines on SQLite and PostgreSQL: writing entries, linking calls, reading pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from crm_support import Crm
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import to_datetime
from crm_core.customer_errors import CustomerNotFound
from crm_core.customer_rules import CustomerDraft
from crm_core.timeline import NOTE_MAX, TimelineKind, append_entry, link_call

pytestmark = pytest.mark.integration


@pytest.fixture
def crm(db_sessions: sessionmaker[Session]) -> Crm:
    return Crm(db_sessions)


def test_entries_read_newest_first_in_pages_that_join_up(crm: Crm):
    alice = crm.user("alice")
    customer = crm.customers.create(alice, CustomerDraft(name="Acme")).id
    start = to_datetime(crm.clock.t)
    with crm.sessions.begin() as session:
        for i in range(7):
            # Two entries share each moment: the id breaks the tie.
            append_entry(
                session,
                customer_id=customer,
                kind="ticket",
                summary=f"t{i}",
                at=start + timedelta(minutes=i // 2),
                ref=str(i),
                data={"n": i},
            )
    first = crm.timeline.read(alice, customer, limit=3)
    assert [e.summary for e in first.items] == ["t6", "t5", "t4"]
    assert first.next is not None
    second = crm.timeline.read(alice, customer, limit=3, before=first.next)
    third = crm.timeline.read(alice, customer, limit=3, before=second.next)
    assert [e.summary for e in second.items] == ["t3", "t2", "t1"]
    assert [e.summary for e in third.items] == ["t0", "customer created"]
    assert third.next is None
    assert first.items[0].data == {"n": 6}
    assert first.items[0].ref == "6"
    assert first.items[0].kind is TimelineKind.TICKET


def test_linking_a_call_twice_adds_one_entry(crm: Crm):
    alice = crm.user("alice")
    customer = crm.customers.create(alice, CustomerDraft(name="Acme")).id
    at = to_datetime(crm.clock.t + 30)
    with crm.sessions.begin() as session:
        first = link_call(session, customer, "call-1", at, "inbound call, 3 min")
        again = link_call(session, customer, "call-1", at, "inbound call, 3 min")
    assert first == again
    newest = crm.timeline.read(alice, customer).items[0]
    assert (newest.kind, newest.ref, newest.data) == ("call", "call-1", {"call_id": "call-1"})


def test_unknown_kind_is_refused(crm: Crm):
    customer = crm.customers.create(crm.user("alice"), CustomerDraft(name="Acme")).id
    with crm.sessions.begin() as session, pytest.raises(ValueError, match="gossip"):
        append_entry(
            session, customer_id=customer, kind="gossip", at=to_datetime(crm.clock.t), summary="x"
        )


def test_a_note_carries_its_author_and_the_clock_time(crm: Crm):
    alice = crm.user("alice")
    customer = crm.customers.create(alice, CustomerDraft(name="Acme", shared_pool=True)).id
    crm.clock.advance(90)
    bob = crm.user("bob")
    note = crm.timeline.add_note(bob, customer, "  called back, wants a quote  ")
    assert (note.kind, note.summary, note.author_user_id, note.author_name) == (
        "note",
        "called back, wants a quote",
        bob.id,
        "bob",
    )
    assert note.at.timestamp() == crm.clock.t
    assert crm.timeline.read(alice, customer).items[0] == note


@pytest.mark.parametrize("text", ["", "   ", "x" * (NOTE_MAX + 1)])
def test_empty_or_huge_note_is_refused(crm: Crm, text: str):
    alice = crm.user("alice")
    customer = crm.customers.create(alice, CustomerDraft(name="Acme")).id
    with pytest.raises(ValueError, match="note"):
        crm.timeline.add_note(alice, customer, text)
    assert len(crm.timeline.read(alice, customer).items) == 1


def test_timeline_of_missing_customer_is_not_found(crm: Crm):
    with pytest.raises(CustomerNotFound):
        crm.timeline.read(crm.user("root"), 777)
