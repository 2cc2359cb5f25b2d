"""The Redis store beyond the shared contract: restarts, several processes, prefixes, bad input.

The contract itself (what every store answers) is in tests/unit/test_state_store.py. Here a
redis-server of the test's own is stopped and started on the same append-only file, and real OS
processes race for the same agents and contacts.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis
from redis_server import RedisServer

from acd.contacts import WaitingContact
from acd.presence import AgentPresence, AgentState
from acd.store_redis import RedisStateStore

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

S = AgentState
AT = 1_717_243_200.125
RACED = 200
PROCESS_TIMEOUT_S = 60
REPO_ROOT = Path(__file__).parents[2]
_prefixes = itertools.count(1)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server for this test alone, so it can be stopped and restarted."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
async def shared_store(redis_url: str) -> AsyncIterator[RedisStateStore]:
    """A store under a fresh prefix on the session's redis-server."""
    store = RedisStateStore.from_url(redis_url, prefix=f"redis-it{next(_prefixes)}")
    try:
        yield store
    finally:
        await store.close()


# --- a restart of redis-server keeps everything ------------------------------------------------


async def _fill(store: RedisStateStore) -> None:
    """Agents in every kind of state, and contacts of every kind in two queues."""
    await store.put_agent(
        AgentPresence("li-na", S.PAUSED, AT - 300.25, reason="lunch", idle_since=AT - 900.5,
                      calls_handled=3, talk_s=421.75, no_answer_streak=1)
    )  # fmt: skip
    await store.put_agent(AgentPresence("omar", S.AVAILABLE, AT - 10.5, idle_since=AT - 10.5))
    await store.put_agent(AgentPresence("ada", S.AVAILABLE, AT - 20.0, idle_since=AT - 20.0))
    await store.put_agent(
        AgentPresence("kim", S.WRAP_UP, AT - 5.0, call_id="old", pending_pause="training")
    )
    await store.put_agent(AgentPresence("max", S.LOGGED_OUT, AT - 3600.0))
    await store.reserve_agent("ada", "s2", AT - 1.0)
    for waiting in await _contacts(store):
        await store.add_waiting(waiting)
    await store.claim_contact("s2", "", "ada")


async def _contacts(store: RedisStateStore) -> list[WaitingContact]:
    made = [
        WaitingContact("c1", "sales", AT - 60.0, AT - 61.5, 0, ani="+4930111"),
        WaitingContact("vip", "sales", AT - 30.0, AT - 30.0, 0, priority=5,
                       skills={"german": 3, "billing": 2}, preferred_agent="li-na",
                       preferred_until=AT - 10.0, ani="+4930222", dnis="+4930999"),
        WaitingContact("cb1", "sales", AT - 90.0, AT - 95.0, 0, channel="callback",
                       callback_number="+493012345678", ani="+493012345678"),
        WaitingContact("e1", "support", AT - 20.0, AT - 20.0, 0, channel="email"),
        WaitingContact("s2", "support", AT - 5.0, AT - 5.0, 0, priority=1, arrived_at=AT - 7.0),
    ]  # fmt: skip
    return [replace(waiting, seq=await store.next_seq()) for waiting in made]


async def _snapshot(store: RedisStateStore) -> dict[str, object]:
    queues = ("sales", "support")
    call_ids = ("c1", "vip", "cb1", "e1", "s2")
    return {
        "agents": await store.agents(),
        "available": await store.available_agents(),
        "waiting": [await store.waiting(queue) for queue in queues],
        "heads": [await store.head(queue, 2) for queue in queues],
        "counts": [await store.count_waiting(queue) for queue in queues],
        "positions": [await store.position(call_id) for call_id in call_ids],
        "contacts": [await store.get_waiting(call_id) for call_id in call_ids],
    }


async def test_given_state_when_redis_restarts_then_presence_and_contacts_come_back_exactly(
    own_redis: RedisServer,
) -> None:
    before_store = RedisStateStore.from_url(own_redis.url, prefix="center-a")
    await _fill(before_store)
    before = await _snapshot(before_store)
    last_seq = await before_store.next_seq()
    await before_store.close()

    own_redis.stop()
    own_redis.start()

    after_store = RedisStateStore.from_url(own_redis.url, prefix="center-a")
    try:
        assert await _snapshot(after_store) == before
        lunch = await after_store.get_agent("li-na")
        assert lunch is not None
        assert (lunch.state, lunch.reason, lunch.since) == (S.PAUSED, "lunch", AT - 300.25)
        callback = await after_store.get_waiting("cb1")
        assert callback is not None
        assert (callback.channel, callback.callback_number) == ("callback", "+493012345678")
        assert before["positions"] == [3, 1, 2, 2, 1]  # VIP first; the callback kept its place
        assert await after_store.next_seq() > last_seq
        assert await after_store.reserve_agent("omar", "c1", AT) is not None
    finally:
        await after_store.close()


# --- several processes race for the same agents and contacts ----------------------------------

RACER = textwrap.dedent(
    """
    import asyncio, json, sys
    import redis.asyncio as aioredis
    from acd.store_redis import RedisStateStore

    async def race(url, prefix, mode, name, count):
        client = aioredis.Redis.from_url(url)
        store = RedisStateStore(client, prefix)
        await client.ping()
        print("ready", flush=True)
        await client.blpop([prefix + ":go"], timeout=30)  # both start together
        won = []
        for i in range(count):
            if mode == "reserve":
                won_it = await store.reserve_agent(f"a{i}", f"{name}-c{i}", 1.0) is not None
            else:
                won_it = await store.claim_contact(f"c{i}", "", f"{name}-agent")
            if won_it:
                won.append(i)
        await client.aclose()
        print(json.dumps(won), flush=True)

    asyncio.run(race(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
    """
)


def _race(url: str, prefix: str, mode: str) -> dict[str, set[int]]:
    """Run two racer processes to completion; which indexes each one won."""
    names = ("p1", "p2")
    racers = {
        name: subprocess.Popen(
            [sys.executable, "-c", RACER, url, prefix, mode, name, str(RACED)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in names
    }
    try:
        for racer in racers.values():
            assert racer.stdout is not None
            assert racer.stdout.readline().strip() == "ready"
        with redis.Redis.from_url(url) as client:
            client.rpush(f"{prefix}:go", *names)
        won = {}
        for name, racer in racers.items():
            out, _ = racer.communicate(timeout=PROCESS_TIMEOUT_S)
            assert racer.returncode == 0
            won[name] = set(json.loads(out.strip().splitlines()[-1]))
        return won
    finally:
        for racer in racers.values():
            if racer.poll() is None:
                racer.kill()
                racer.wait()


def _assert_each_won_once(won: dict[str, set[int]]) -> None:
    assert won["p1"].isdisjoint(won["p2"])
    assert won["p1"] | won["p2"] == set(range(RACED))


async def test_given_two_processes_when_both_reserve_the_same_agents_then_each_is_reserved_once(
    shared_store: RedisStateStore, redis_url: str
) -> None:
    for i in range(RACED):
        await shared_store.put_agent(AgentPresence(f"a{i}", S.AVAILABLE, AT, idle_since=AT))

    won = await asyncio.to_thread(_race, redis_url, shared_store.prefix, "reserve")

    _assert_each_won_once(won)
    for name, indexes in won.items():
        for i in indexes:
            reserved = await shared_store.get_agent(f"a{i}")
            assert reserved is not None
            assert (reserved.state, reserved.call_id) == (S.RESERVED, f"{name}-c{i}")
    assert await shared_store.available_agents() == []


async def test_given_two_processes_when_both_claim_the_same_contacts_then_each_is_claimed_once(
    shared_store: RedisStateStore, redis_url: str
) -> None:
    for i in range(RACED):
        seq = await shared_store.next_seq()
        await shared_store.add_waiting(WaitingContact(f"c{i}", "sales", AT + i, AT + i, seq))

    won = await asyncio.to_thread(_race, redis_url, shared_store.prefix, "claim")

    _assert_each_won_once(won)
    for name, indexes in won.items():
        for i in indexes:
            claimed = await shared_store.get_waiting(f"c{i}")
            assert claimed is not None
            assert claimed.offered_to == f"{name}-agent"
            assert await shared_store.position(f"c{i}") == i + 1


# --- redis-server restarts under a store in use --------------------------------------------------


async def test_given_a_store_in_use_when_redis_is_down_then_calls_fail_and_work_again_after(
    own_redis: RedisServer,
) -> None:
    store = RedisStateStore.from_url(own_redis.url, prefix="center-a")
    try:
        available = AgentPresence("a1", S.AVAILABLE, AT, idle_since=AT)
        await store.put_agent(available)
        own_redis.stop()

        with pytest.raises(redis.ConnectionError):
            await store.reserve_agent("a1", "c1", AT + 1)
        with pytest.raises(redis.ConnectionError):
            await store.put_agent(replace(available, state=S.PAUSED, reason="gone"))

        own_redis.start()
        # The client reconnects by itself, and reloads the scripts the restart forgot.
        assert await store.get_agent("a1") == available
        reserved = await store.reserve_agent("a1", "c1", AT + 2)
        assert reserved is not None
        assert reserved.call_id == "c1"
    finally:
        await store.close()


async def test_given_a_restart_between_two_calls_then_the_next_call_just_works(
    own_redis: RedisServer,
) -> None:
    store = RedisStateStore.from_url(own_redis.url, prefix="center-a")
    try:
        await store.put_agent(AgentPresence("a1", S.AVAILABLE, AT, idle_since=AT))
        own_redis.stop()
        own_redis.start()
        assert await store.reserve_agent("a1", "c1", AT + 1) is not None
    finally:
        await store.close()


# --- prefixes, clients and bad input ---------------------------------------------------------


async def test_two_centers_on_one_redis_do_not_see_each_other(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    number = next(_prefixes)
    first = RedisStateStore(client, prefix=f"redis-it{number}-a")
    second = RedisStateStore(client, prefix=f"redis-it{number}-b")
    try:
        await first.put_agent(AgentPresence("a1", S.AVAILABLE, AT))
        await first.add_waiting(WaitingContact("c1", "sales", AT, AT, await first.next_seq()))
        assert await second.agents() == []
        assert await second.get_waiting("c1") is None
        assert await second.count_waiting("sales") == 0
        assert await second.reserve_agent("a1", "c1", AT) is None
        assert await second.next_seq() == 1
        assert all(key.startswith(b"redis-it") for key in await client.keys("*"))
    finally:
        await client.aclose()


async def test_close_leaves_a_client_it_was_given_open(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url)
    try:
        await RedisStateStore(client, prefix=f"redis-it{next(_prefixes)}").close()
        assert await client.ping()
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    "bad",
    [
        WaitingContact("c1", "sales", AT, AT, seq=-1),
        WaitingContact("c1", "sales", AT, AT, seq=10**15),
        WaitingContact("c1", "sales", math.nan, AT, seq=1),
    ],
    ids=["negative-seq", "seq-too-large", "nan-score"],
)
async def test_a_contact_redis_cannot_order_is_refused_and_nothing_is_stored(
    shared_store: RedisStateStore, bad: WaitingContact
) -> None:
    with pytest.raises(ValueError, match="c1"):
        await shared_store.add_waiting(bad)
    assert await shared_store.get_waiting("c1") is None
    assert await shared_store.count_waiting("sales") == 0


async def test_a_missing_redis_server_gives_a_connection_error_quickly(tmp_path: Path) -> None:
    store = RedisStateStore.from_url(f"unix://{tmp_path / 'none.sock'}")
    started = time.monotonic()
    try:
        with pytest.raises(redis.ConnectionError):
            await store.count_waiting("sales")
    finally:
        await store.close()
    assert time.monotonic() - started < 10


async def test_a_client_that_decodes_responses_gives_the_same_answers(redis_url: str) -> None:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    store = RedisStateStore(client, prefix=f"redis-it{next(_prefixes)}")
    try:
        paused = AgentPresence("a1", S.PAUSED, AT, reason="lunch", pending_logout=True)
        await store.put_agent(paused)
        await store.put_agent(AgentPresence("a2", S.AVAILABLE, AT))
        assert await store.agents() == [paused, AgentPresence("a2", S.AVAILABLE, AT)]
        reserved = await store.reserve_agent("a2", "c1", AT + 1)
        assert reserved == AgentPresence("a2", S.RESERVED, AT + 1, call_id="c1")
        waiting = WaitingContact("c1", "sales", AT, AT, 1, skills={"fr": 2}, channel="callback")
        assert await store.add_waiting(waiting) == 1
        assert await store.claim_contact("c1", "", "a2")
        offered = replace(waiting, offered_to="a2")
        assert await store.head("sales", 5) == [offered]
        assert await store.get_waiting("c1") == offered
        assert await store.position("c1") == 1
        with pytest.raises(ValueError, match="already waiting in sales"):
            await store.add_waiting(waiting)
        assert await store.remove_waiting("c1") == offered
    finally:
        await client.aclose()


@pytest.mark.parametrize("changes", [{"seq": -1}, {"enqueued_at": math.nan}], ids=["seq", "nan"])
async def test_updating_to_a_place_redis_cannot_order_is_refused_as_a_move(
    shared_store: RedisStateStore, changes: dict[str, float]
) -> None:
    waiting = WaitingContact("c1", "sales", AT, AT, seq=1)
    await shared_store.add_waiting(waiting)
    with pytest.raises(ValueError, match="remove and add it instead"):
        await shared_store.update_waiting(replace(waiting, score=math.nan, **changes))
    with pytest.raises(KeyError, match="c2"):
        await shared_store.update_waiting(replace(waiting, call_id="c2", **changes))
    assert await shared_store.waiting("sales") == [waiting]
