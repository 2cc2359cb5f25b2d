"""The `StateStore` contract: every implementation must pass these tests unchanged.

`make_store` runs each test on every implementation: the in-memory store, and the Redis store on
the session's real redis-server (marked `integration`). Each store a Redis test makes has a key
prefix of its own, so it starts empty; the test's keys are deleted afterwards. The tests use only
the `StateStore` protocol, so they run unchanged on every store.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace

import pytest
import redis.asyncio as aioredis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acd.contacts import WaitingContact
from acd.presence import AgentPresence, AgentState
from acd.state import MemoryStateStore, QueueChoice, StateStore, with_offer
from acd.store_redis import RedisStateStore

pytestmark = pytest.mark.unit

StoreFactory = Callable[[], Awaitable[StateStore]]
S = AgentState
AT = 1_000.0


async def _memory_store() -> StateStore:
    return MemoryStateStore()


_test_numbers = itertools.count(1)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
async def make_store(request: pytest.FixtureRequest) -> AsyncIterator[StoreFactory]:
    """Makes a new, empty store of one implementation (Hypothesis needs one per example)."""
    if request.param == "memory":
        yield _memory_store
        return
    url: str = request.getfixturevalue("redis_url")
    client = aioredis.Redis.from_url(url)
    test_prefix = f"contract{next(_test_numbers)}"
    store_numbers = itertools.count(1)

    async def redis_store() -> StateStore:
        return RedisStateStore(client, prefix=f"{test_prefix}-{next(store_numbers)}")

    try:
        yield redis_store
    finally:
        keys = [key async for key in client.scan_iter(match=f"{test_prefix}-*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture
async def store(make_store: StoreFactory) -> StateStore:
    """A new, empty store."""
    return await make_store()


def agent(agent_id: str, state: AgentState = S.AVAILABLE, **fields: object) -> AgentPresence:
    presence = AgentPresence(agent_id, state=state, since=AT, idle_since=AT)
    return replace(presence, **fields)  # type: ignore[arg-type]


def contact(
    call_id: str,
    *,
    queue: str = "sales",
    enqueued_at: float = AT,
    seq: int = 0,
    priority: int = 0,
) -> WaitingContact:
    return WaitingContact(call_id, queue, enqueued_at, enqueued_at, seq, priority)


async def call_ids(store: StateStore, queue: str = "sales") -> list[str]:
    return [c.call_id for c in await store.waiting(queue)]


# --- agents ------------------------------------------------------------------------------------


async def test_an_unknown_agent_is_none(store: StateStore) -> None:
    assert await store.get_agent("nobody") is None
    assert await store.agents() == []
    assert await store.available_agents() == []


async def test_a_stored_agent_is_read_back_equal(store: StateStore) -> None:
    stored = agent("a1", S.PAUSED, reason="lunch", calls_handled=3, talk_s=42.5)
    await store.put_agent(stored)
    assert await store.get_agent("a1") == stored
    assert await store.agents() == [stored]


async def test_put_agent_replaces_the_previous_presence(store: StateStore) -> None:
    await store.put_agent(agent("a1", S.AVAILABLE))
    await store.put_agent(agent("a1", S.PAUSED, reason="break"))
    assert await store.get_agent("a1") == agent("a1", S.PAUSED, reason="break")
    assert len(await store.agents()) == 1


async def test_available_agents_follow_state_changes(store: StateStore) -> None:
    for agent_id, state in (("a1", S.AVAILABLE), ("a2", S.PAUSED), ("a3", S.AVAILABLE)):
        await store.put_agent(agent(agent_id, state))
    assert {a.agent_id for a in await store.available_agents()} == {"a1", "a3"}

    await store.put_agent(agent("a1", S.LOGGED_OUT))
    await store.put_agent(agent("a2", S.AVAILABLE))
    available = await store.available_agents()
    assert {a.agent_id for a in available} == {"a2", "a3"}
    assert all(a.state is S.AVAILABLE for a in available)


async def test_available_agents_among_some_ids_lists_only_those_that_are_available(
    store: StateStore,
) -> None:
    for agent_id, state in (("a1", S.AVAILABLE), ("a2", S.PAUSED), ("a3", S.AVAILABLE)):
        await store.put_agent(agent(agent_id, state))
    among = await store.available_agents(among={"a2": 1, "a3": 4})
    assert [a.agent_id for a in among] == ["a3"]
    assert await store.available_agents(among=set()) == []
    assert [a.agent_id for a in await store.available_agents(among=["a1", "a3", "zz"])] == [
        "a1",
        "a3",
    ]


async def test_available_agents_are_their_latest_presence(store: StateStore) -> None:
    await store.put_agent(agent("a1", calls_handled=1))
    await store.put_agent(agent("a1", calls_handled=2))
    assert await store.available_agents() == [agent("a1", calls_handled=2)]


async def test_reserving_an_available_agent_moves_it_to_reserved_for_the_call(
    store: StateStore,
) -> None:
    await store.put_agent(agent("a1", idle_since=500.0))
    reserved = await store.reserve_agent("a1", "c1", AT + 5)
    assert reserved is not None
    assert (reserved.state, reserved.call_id, reserved.since) == (S.RESERVED, "c1", AT + 5)
    assert reserved.idle_since == 500.0
    assert await store.get_agent("a1") == reserved
    assert await store.available_agents() == []


async def test_a_second_reservation_of_the_same_agent_fails(store: StateStore) -> None:
    await store.put_agent(agent("a1"))
    first = await store.reserve_agent("a1", "c1", AT)
    assert await store.reserve_agent("a1", "c2", AT) is None
    assert await store.get_agent("a1") == first


@pytest.mark.parametrize("state", [s for s in AgentState if s is not S.AVAILABLE])
async def test_an_agent_who_is_not_available_cannot_be_reserved(
    store: StateStore, state: AgentState
) -> None:
    stored = agent("a1", state)
    await store.put_agent(stored)
    assert await store.reserve_agent("a1", "c1", AT) is None
    assert await store.get_agent("a1") == stored


async def test_an_unknown_agent_cannot_be_reserved(store: StateStore) -> None:
    assert await store.reserve_agent("nobody", "c1", AT) is None
    assert await store.get_agent("nobody") is None


async def test_of_many_concurrent_reservations_exactly_one_wins(store: StateStore) -> None:
    await store.put_agent(agent("a1"))
    results = await asyncio.gather(*(store.reserve_agent("a1", f"c{i}", AT) for i in range(50)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert await store.get_agent("a1") == winners[0]


async def test_concurrent_reservations_of_different_agents_all_win(store: StateStore) -> None:
    for i in range(10):
        await store.put_agent(agent(f"a{i}"))
    results = await asyncio.gather(*(store.reserve_agent(f"a{i}", f"c{i}", AT) for i in range(10)))
    assert [r.call_id if r else None for r in results] == [f"c{i}" for i in range(10)]


# --- waiting contacts --------------------------------------------------------------------------


async def test_an_empty_queue_has_no_one_waiting(store: StateStore) -> None:
    assert await store.waiting("sales") == []
    assert await store.get_waiting("c1") is None
    assert await store.remove_waiting("c1") is None


async def test_add_waiting_returns_the_position_in_service_order(store: StateStore) -> None:
    # priority first, then enqueue time, then seq
    positions = [
        await store.add_waiting(contact("late", enqueued_at=AT + 20, seq=1)),
        await store.add_waiting(contact("early", enqueued_at=AT + 10, seq=2)),
        await store.add_waiting(contact("vip", enqueued_at=AT + 30, seq=3, priority=5)),
        await store.add_waiting(contact("same-time", enqueued_at=AT + 10, seq=4)),
        await store.add_waiting(contact("same-time-lower-seq", enqueued_at=AT + 10, seq=0)),
        await store.add_waiting(contact("last", enqueued_at=AT + 99, seq=5, priority=-1)),
    ]
    assert positions == [1, 1, 1, 3, 2, 6]
    assert await call_ids(store) == [
        "vip",
        "same-time-lower-seq",
        "early",
        "same-time",
        "late",
        "last",
    ]


async def test_queues_are_kept_apart(store: StateStore) -> None:
    assert await store.add_waiting(contact("c1", queue="sales", seq=1)) == 1
    assert await store.add_waiting(contact("c2", queue="support", seq=2)) == 1
    assert await call_ids(store, "sales") == ["c1"]
    assert await call_ids(store, "support") == ["c2"]


async def test_a_waiting_contact_is_read_back_equal(store: StateStore) -> None:
    waiting = WaitingContact(
        "c1", "sales", AT, AT - 30, 7, 2, {"billing": 3}, preferred_agent="a1", offered_to=""
    )
    await store.add_waiting(waiting)
    assert await store.get_waiting("c1") == waiting
    assert await store.waiting("sales") == [waiting]


async def test_update_waiting_replaces_the_contact_at_its_place(store: StateStore) -> None:
    for i, call_id in enumerate(("c1", "c2", "c3")):
        await store.add_waiting(contact(call_id, seq=i))
    offered = with_offer(contact("c2", seq=1), "a1")
    await store.update_waiting(offered)
    assert await store.get_waiting("c2") == offered
    assert await store.waiting("sales") == [contact("c1", seq=0), offered, contact("c3", seq=2)]


@pytest.mark.parametrize(
    "moved",
    [
        contact("c1", seq=1, priority=9),
        contact("c1", seq=1, enqueued_at=AT - 1),
        contact("c1", seq=0),
        contact("c1", seq=1, queue="support"),
    ],
    ids=["priority", "enqueued_at", "seq", "queue"],
)
async def test_update_waiting_refuses_to_move_a_contact(
    store: StateStore, moved: WaitingContact
) -> None:
    await store.add_waiting(contact("c0", seq=0))
    await store.add_waiting(contact("c1", seq=1))
    with pytest.raises(ValueError, match="remove and add it instead"):
        await store.update_waiting(moved)
    assert await store.get_waiting("c1") == contact("c1", seq=1)
    assert await call_ids(store) == ["c0", "c1"]
    assert await store.waiting("support") == []


async def test_update_waiting_of_a_contact_not_waiting_is_refused(store: StateStore) -> None:
    with pytest.raises(LookupError):
        await store.update_waiting(contact("c1"))
    assert await store.get_waiting("c1") is None
    assert await store.waiting("sales") == []


async def test_remove_waiting_returns_the_contact_and_closes_the_gap(store: StateStore) -> None:
    for i, call_id in enumerate(("c1", "c2", "c3")):
        await store.add_waiting(contact(call_id, seq=i))
    removed = await store.remove_waiting("c2")
    assert removed == contact("c2", seq=1)
    assert await store.get_waiting("c2") is None
    assert await call_ids(store) == ["c1", "c3"]
    assert await store.remove_waiting("c2") is None
    assert await store.add_waiting(contact("c4", seq=3)) == 3


async def test_remove_waiting_finds_a_contact_after_an_offer_was_recorded(
    store: StateStore,
) -> None:
    await store.add_waiting(contact("c1", seq=1))
    await store.update_waiting(with_offer(contact("c1", seq=1), "a1"))
    assert await store.remove_waiting("c1") == with_offer(contact("c1", seq=1), "a1")
    assert await store.waiting("sales") == []


async def test_a_removed_contact_can_wait_again_in_another_queue(store: StateStore) -> None:
    await store.add_waiting(contact("c1", queue="sales", seq=1))
    await store.remove_waiting("c1")
    assert await store.add_waiting(contact("c1", queue="support", seq=1)) == 1
    assert await store.waiting("sales") == []
    assert await call_ids(store, "support") == ["c1"]


async def test_adding_a_call_that_is_already_waiting_is_refused_and_loses_nothing(
    store: StateStore,
) -> None:
    await store.add_waiting(contact("c1", seq=1))
    with pytest.raises(ValueError, match="c1"):
        await store.add_waiting(contact("c1", queue="support", seq=2))
    assert await call_ids(store) == ["c1"]
    assert await store.waiting("support") == []


async def test_next_seq_strictly_increases(store: StateStore) -> None:
    seqs = [await store.next_seq() for _ in range(5)]
    assert seqs == sorted(set(seqs))
    assert len(seqs) == 5


async def test_with_offer_names_the_ringing_agent_and_empty_clears_it() -> None:
    offered = with_offer(contact("c1"), "a1")
    assert offered.offered_to == "a1"
    assert with_offer(offered, "") == contact("c1")


# --- property: any sequence of adds, offers and removes keeps every queue in service order ----

QUEUES = ("sales", "support")
CALL_IDS = [f"c{i}" for i in range(8)]


@dataclass(frozen=True)
class Add:
    call_id: str
    queue: str
    priority: int
    enqueued_at: float


@dataclass(frozen=True)
class Offer:
    call_id: str
    agent_id: str


@dataclass(frozen=True)
class Remove:
    call_id: str


Op = Add | Offer | Remove
ids = st.sampled_from(CALL_IDS)
ops = st.one_of(
    st.builds(
        Add, ids, st.sampled_from(QUEUES), st.integers(-2, 2), st.sampled_from([0.0, 10.0, 10.5])
    ),
    st.builds(Offer, ids, st.sampled_from(["", "a1", "a2"])),
    st.builds(Remove, ids),
)


@settings(
    max_examples=150,
    deadline=None,
    # `make_store` is a factory: each example gets its own store, nothing leaks between examples
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(program=st.lists(ops, max_size=40))
async def test_random_adds_offers_and_removes_keep_queues_sorted_and_consistent(
    make_store: StoreFactory, program: list[Op]
) -> None:
    store = await make_store()
    model: dict[str, WaitingContact] = {}
    for op in program:
        await _apply(store, model, op)
        await _check_consistent(store, model)


async def _apply(store: StateStore, model: dict[str, WaitingContact], op: Op) -> None:
    if isinstance(op, Remove):
        assert await store.remove_waiting(op.call_id) == model.pop(op.call_id, None)
    elif op.call_id not in model:  # only a waiting call can be offered; none waits twice
        if isinstance(op, Add):
            seq = await store.next_seq()
            new = WaitingContact(op.call_id, op.queue, op.enqueued_at, 0.0, seq, op.priority)
            position = await store.add_waiting(new)
            model[new.call_id] = new
            assert (await store.waiting(new.queue))[position - 1] == new
    elif isinstance(op, Offer):
        model[op.call_id] = with_offer(model[op.call_id], op.agent_id)
        await store.update_waiting(model[op.call_id])


async def _check_consistent(store: StateStore, model: dict[str, WaitingContact]) -> None:
    for queue in QUEUES:
        contacts = await store.waiting(queue)
        keys = [c.order_key() for c in contacts]
        assert keys == sorted(keys)
        assert len(set(keys)) == len(keys)
        assert contacts == sorted(
            (m for m in model.values() if m.queue == queue), key=WaitingContact.order_key
        )
        for waiting_contact in contacts:
            assert await store.get_waiting(waiting_contact.call_id) == waiting_contact
    for call_id in CALL_IDS:
        assert await store.get_waiting(call_id) == model.get(call_id)


# --- reservation is the presence state machine's own transition --------------------------------


async def test_a_reservation_is_the_transition_to_reserved(store: StateStore) -> None:
    available = agent("a1", reason="", calls_handled=4, talk_s=12.25, no_answer_streak=1)
    await store.put_agent(available)
    reserved = await store.reserve_agent("a1", "c9", AT + 0.1)
    assert reserved == available.transition(S.RESERVED, AT + 0.1, call_id="c9")


async def test_agents_are_listed_in_the_order_they_were_first_stored(store: StateStore) -> None:
    for agent_id in ("b", "a", "c"):
        await store.put_agent(agent(agent_id, S.PAUSED))
    await store.put_agent(agent("a", S.AVAILABLE))
    await store.put_agent(agent("c", S.AVAILABLE))
    await store.put_agent(agent("b", S.AVAILABLE))
    await store.put_agent(agent("a", S.AVAILABLE, calls_handled=1))  # still available: stays first
    assert [a.agent_id for a in await store.agents()] == ["b", "a", "c"]
    assert [a.agent_id for a in await store.available_agents()] == ["a", "c", "b"]
    await store.reserve_agent("a", "c1", AT)
    await store.put_agent(agent("a", S.AVAILABLE))  # available again: now last
    assert [a.agent_id for a in await store.available_agents()] == ["c", "b", "a"]


finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    since=finite,
    talk_s=finite,
    text=st.text(max_size=12),
    count=st.integers(-(2**62), 2**62),
    flag=st.booleans(),
    state=st.sampled_from(AgentState),
)
async def test_an_agent_comes_back_exactly_whatever_its_values(
    make_store: StoreFactory,
    since: float,
    talk_s: float,
    text: str,
    count: int,
    flag: bool,
    state: AgentState,
) -> None:
    store = await make_store()
    stored = AgentPresence(
        f"agent {text}",
        state,
        since,
        reason=text,
        call_id=text,
        idle_since=-since,
        calls_handled=count,
        talk_s=talk_s,
        no_answer_streak=count,
        pending_pause=text,
        pending_logout=flag,
    )
    await store.put_agent(stored)
    assert await store.get_agent(stored.agent_id) == stored
    assert await store.agents() == [stored]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    enqueued_at=st.floats(-1e12, 1e12),
    first=finite,
    priority=st.integers(-5, 5),
    text=st.text(max_size=12),
    skills=st.dictionaries(st.text(max_size=5), st.integers(1, 5), max_size=3),
)
async def test_a_contact_comes_back_exactly_whatever_its_values(
    make_store: StoreFactory,
    enqueued_at: float,
    first: float,
    priority: int,
    text: str,
    skills: dict[str, int],
) -> None:
    store = await make_store()
    waiting = WaitingContact(
        f"call {text}",
        f"queue {text}",
        enqueued_at,
        first_queued_at=first,
        seq=7,
        priority=priority,
        skills=skills,
        preferred_agent=text,
        preferred_until=first,
        offered_to=text,
        channel=text,
        callback_number=text,
        ani=text,
        dnis=text,
        arrived_at=first,
    )
    assert await store.add_waiting(waiting) == 1
    assert await store.get_waiting(waiting.call_id) == waiting
    assert await store.head(waiting.queue, 1) == [waiting]
    assert await store.remove_waiting(waiting.call_id) == waiting


# --- head, position and count --------------------------------------------------------------


async def add_all(store: StateStore, *contacts: WaitingContact) -> None:
    for waiting_contact in contacts:
        await store.add_waiting(waiting_contact)


async def test_head_gives_the_first_contacts_in_service_order(store: StateStore) -> None:
    await add_all(
        store,
        contact("c1", enqueued_at=AT + 1, seq=1),
        contact("c2", enqueued_at=AT + 2, seq=2, priority=1),
        contact("c3", enqueued_at=AT + 3, seq=3),
        contact("other", queue="support", seq=4),
    )
    assert [c.call_id for c in await store.head("sales", 2)] == ["c2", "c1"]
    assert await store.head("sales", 3) == await store.waiting("sales")
    assert await store.head("sales", 10) == await store.waiting("sales")
    assert await store.head("sales", 0) == []
    assert await store.head("nobody-waits-here", 5) == []


async def test_firsts_gives_each_queues_first_contact_or_none_in_one_call(
    store: StateStore,
) -> None:
    await add_all(
        store,
        contact("c1", enqueued_at=AT + 1, seq=1),
        contact("c2", enqueued_at=AT + 2, seq=2, priority=1),
        contact("s1", queue="support", seq=3),
    )
    await store.claim_contact("s1", "", "a9")
    firsts = await store.firsts(["sales", "empty", "support"])
    assert [c.call_id if c else None for c in firsts] == ["c2", None, None]
    await store.claim_contact("c2", "", "a8")
    assert [c.call_id if c else None for c in await store.firsts(["sales"])] == ["c1"]
    assert await store.firsts([]) == []


async def test_firsts_looks_past_many_contacts_being_offered(store: StateStore) -> None:
    await add_all(store, *(contact(f"c{n:02d}", seq=n) for n in range(1, 41)))
    for n in range(1, 36):
        await store.claim_contact(f"c{n:02d}", "", f"a{n}")
    first = (await store.firsts(["sales"]))[0]
    assert first is not None
    assert first.call_id == "c36"


async def test_head_shows_the_contact_as_it_was_last_updated(store: StateStore) -> None:
    await add_all(store, contact("c1", seq=1), contact("c2", seq=2))
    await store.update_waiting(with_offer(contact("c1", seq=1), "a1"))
    assert await store.head("sales", 1) == [with_offer(contact("c1", seq=1), "a1")]
    await store.remove_waiting("c1")
    assert await store.head("sales", 1) == [contact("c2", seq=2)]


async def test_position_is_the_place_in_service_order_and_moves_up(store: StateStore) -> None:
    await add_all(
        store,
        contact("c1", enqueued_at=AT + 1, seq=1),
        contact("c2", enqueued_at=AT + 1, seq=2),
        contact("c3", enqueued_at=AT + 0, seq=3),
        contact("s1", queue="support", enqueued_at=AT + 9, seq=4),
    )
    assert [await store.position(c) for c in ("c3", "c1", "c2", "s1")] == [1, 2, 3, 1]
    await store.remove_waiting("c3")
    assert [await store.position(c) for c in ("c1", "c2", "s1")] == [1, 2, 1]
    assert await store.position("c3") is None
    assert await store.position("never-called") is None


async def test_count_waiting_counts_each_queue_apart(store: StateStore) -> None:
    assert await store.count_waiting("sales") == 0
    await add_all(
        store, contact("c1", seq=1), contact("c2", seq=2), contact("s1", queue="support", seq=3)
    )
    assert (await store.count_waiting("sales"), await store.count_waiting("support")) == (2, 1)
    await store.remove_waiting("c1")
    await store.remove_waiting("c1")
    assert (await store.count_waiting("sales"), await store.count_waiting("support")) == (1, 1)


# --- claim_contact -------------------------------------------------------------------------


async def test_claiming_a_free_contact_offers_it_to_the_agent(store: StateStore) -> None:
    await add_all(store, contact("c1", seq=1), contact("c2", seq=2))
    assert await store.claim_contact("c1", "", "a1") is True
    assert await store.get_waiting("c1") == with_offer(contact("c1", seq=1), "a1")
    assert await store.waiting("sales") == [
        with_offer(contact("c1", seq=1), "a1"),
        contact("c2", seq=2),
    ]
    assert await store.position("c1") == 1


async def test_a_contact_held_by_one_agent_cannot_be_claimed_by_another(store: StateStore) -> None:
    await add_all(store, contact("c1", seq=1))
    await store.claim_contact("c1", "", "a1")
    assert await store.claim_contact("c1", "", "a2") is False
    assert await store.claim_contact("c1", "a2", "a3") is False
    assert await store.get_waiting("c1") == with_offer(contact("c1", seq=1), "a1")


async def test_the_holder_gives_a_contact_back_and_another_can_claim_it(store: StateStore) -> None:
    await add_all(store, contact("c1", seq=1))
    await store.claim_contact("c1", "", "a1")
    assert await store.claim_contact("c1", "a1", "") is True
    assert await store.get_waiting("c1") == contact("c1", seq=1)
    assert await store.claim_contact("c1", "", "a2") is True
    assert (await store.get_waiting("c1") or contact("none")).offered_to == "a2"


async def test_a_contact_that_does_not_wait_cannot_be_claimed(store: StateStore) -> None:
    assert await store.claim_contact("c1", "", "a1") is False
    assert await store.get_waiting("c1") is None
    assert await store.waiting("sales") == []
    await add_all(store, contact("c1", seq=1))
    await store.remove_waiting("c1")
    assert await store.claim_contact("c1", "", "a1") is False
    assert await store.get_waiting("c1") is None


async def test_of_many_concurrent_claims_exactly_one_wins(store: StateStore) -> None:
    await add_all(store, contact("c1", seq=1))
    results = await asyncio.gather(*(store.claim_contact("c1", "", f"a{i}") for i in range(50)))
    assert results.count(True) == 1
    winner = f"a{results.index(True)}"
    assert await store.get_waiting("c1") == with_offer(contact("c1", seq=1), winner)


# --- property: claims too, and head, position and count agree with the full listing ------------


@dataclass(frozen=True)
class Claim:
    call_id: str
    expected: str
    agent_id: str


agents_or_no_one = st.sampled_from(["", "a1", "a2"])
ops_with_claims = st.one_of(ops, st.builds(Claim, ids, agents_or_no_one, agents_or_no_one))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(program=st.lists(ops_with_claims, max_size=30))
async def test_random_programs_with_claims_keep_every_query_consistent(
    make_store: StoreFactory, program: list[Op | Claim]
) -> None:
    store = await make_store()
    model: dict[str, WaitingContact] = {}
    for op in program:
        if isinstance(op, Claim):
            held = model.get(op.call_id)
            wins = held is not None and held.offered_to == op.expected
            assert await store.claim_contact(op.call_id, op.expected, op.agent_id) is wins
            if held is not None and wins:
                model[op.call_id] = with_offer(held, op.agent_id)
        else:
            await _apply(store, model, op)
    await _check_consistent(store, model)
    await _check_queries(store, model)


async def _check_queries(store: StateStore, model: dict[str, WaitingContact]) -> None:
    for queue in QUEUES:
        expected = sorted(
            (m for m in model.values() if m.queue == queue), key=WaitingContact.order_key
        )
        assert await store.count_waiting(queue) == len(expected)
        for limit in (1, 2, len(expected) + 1):
            assert await store.head(queue, limit) == expected[:limit]
        for position, waiting_contact in enumerate(expected, start=1):
            assert await store.position(waiting_contact.call_id) == position


# --- take_best: an agent becomes free and takes the best contact, in one atomic step ---------


def choices(*queues: tuple[str, int], claim_as: str = "a1") -> list[QueueChoice]:
    return [QueueChoice(queue, priority, claim_as) for queue, priority in queues]


async def test_take_best_stores_the_presence_and_takes_the_first_in_line(
    store: StateStore,
) -> None:
    await add_all(store, contact("c2", seq=2), contact("c1", seq=1))
    free = agent("a1")
    taken = await store.take_best(free, choices(("sales", 0)), AT + 5)
    expected_presence = free.transition(S.RESERVED, AT + 5, call_id="c1")
    assert taken == (with_offer(contact("c1", seq=1), "a1"), expected_presence)
    assert await store.get_agent("a1") == expected_presence
    assert await store.available_agents() == []
    assert await store.get_waiting("c1") == with_offer(contact("c1", seq=1), "a1")


async def test_take_best_with_no_one_waiting_leaves_the_agent_available(
    store: StateStore,
) -> None:
    free = agent("a1")
    assert await store.take_best(free, choices(("sales", 0)), AT) is None
    assert await store.available_agents() == [free]


async def test_take_best_for_an_agent_who_is_not_available_only_stores_it(
    store: StateStore,
) -> None:
    await add_all(store, contact("c1", seq=1))
    paused = agent("a1", S.PAUSED, reason="break")
    assert await store.take_best(paused, choices(("sales", 0)), AT) is None
    assert await store.get_agent("a1") == paused
    assert (await store.get_waiting("c1")) == contact("c1", seq=1)


async def test_take_best_prefers_the_higher_priority_queue_then_the_better_score(
    store: StateStore,
) -> None:
    await add_all(
        store,
        contact("early", queue="sales", enqueued_at=AT - 60, seq=1),
        contact("late-vip", queue="vip", enqueued_at=AT, seq=2),
        contact("older", queue="support", enqueued_at=AT - 90, seq=3),
    )
    taken = await store.take_best(
        agent("a1"), choices(("support", 0), ("sales", 0), ("vip", 5)), AT
    )
    assert taken is not None
    assert taken[0].call_id == "late-vip"
    taken = await store.take_best(agent("a2"), choices(("support", 0), ("sales", 0)), AT)
    assert taken is not None
    assert taken[0].call_id == "older"


async def test_take_best_skips_contacts_being_offered_and_those_waiting_for_another_agent(
    store: StateStore,
) -> None:
    ringing = contact("ringing", seq=1)
    for_a9 = replace(contact("for-a9", seq=2), preferred_agent="a9", preferred_until=AT + 20)
    for_a1 = replace(contact("for-a1", seq=3), preferred_agent="a1", preferred_until=AT + 20)
    await add_all(store, ringing, for_a9, for_a1)
    assert await store.claim_contact("ringing", "", "a5")
    taken = await store.take_best(agent("a1"), choices(("sales", 0)), AT)
    assert taken is not None
    assert taken[0].call_id == "for-a1"
    taken = await store.take_best(agent("a2"), choices(("sales", 0)), AT + 20)  # window over
    assert taken is not None
    assert taken[0].call_id == "for-a9"


async def test_take_best_looks_past_many_contacts_being_offered(store: StateStore) -> None:
    await add_all(store, *(contact(f"c{i:02d}", seq=i) for i in range(40)))
    for i in range(37):
        assert await store.claim_contact(f"c{i:02d}", "", f"x{i}")
    taken = await store.take_best(agent("a1"), choices(("sales", 0)), AT)
    assert taken is not None
    assert taken[0].call_id == "c37"


async def test_take_best_claims_as_the_queues_marker(store: StateStore) -> None:
    await add_all(store, contact("c1", seq=1))
    taken = await store.take_best(agent("a1"), choices(("sales", 0), claim_as="*ring-all"), AT)
    assert taken is not None
    assert taken[0].offered_to == "*ring-all"
    assert taken[1].call_id == "c1"
    assert taken[1].state is S.RESERVED


async def test_of_many_agents_taking_at_once_each_contact_goes_to_one(store: StateStore) -> None:
    await add_all(store, *(contact(f"c{i}", seq=i) for i in range(5)))
    results = await asyncio.gather(
        *(
            store.take_best(agent(f"a{i}"), choices(("sales", 0), claim_as=f"a{i}"), AT)
            for i in range(12)
        )
    )
    taken = [r for r in results if r is not None]
    assert sorted(c.call_id for c, _ in taken) == [f"c{i}" for i in range(5)]
    assert all(c.offered_to == p.agent_id and p.call_id == c.call_id for c, p in taken)
    assert len(await store.available_agents()) == 7
