"""The routing engine on Redis survives a restart of itself and of redis-server: agents' pauses
(reason and since-when) and callbacks (with their places in line) come back; calls whose media
was lost are closed as abandoned with reason `system-restart`."""

from __future__ import annotations

import uuid

import pytest
from redis_server import RedisServer

from acd import events as ev
from acd.clock import RealClock
from acd.engine import Engine
from acd.presence import AgentState
from acd.store_redis import RedisStateStore
from config.center import AgentDef, Center, Destination, QueueDef

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

LINE = "4008001001"


def center() -> Center:
    return Center(
        skills={"support": "Support"},
        queues={"support": QueueDef(skills={"support": 1}, callback_key="1")},
        agents={
            "li": AgentDef(name="Li Na", extension="1001", skills={"support": 3}),
            "zhang": AgentDef(name="Zhang Min", extension="1003", skills={"support": 1}),
        },
        numbers={LINE: Destination(kind="queue", name="support")},
    )


async def feed(engine: Engine, *events: ev.Event) -> list[object]:
    out: list[object] = []
    for event in events:
        out.extend(await engine.handle(event))
    return out


async def test_given_redis_when_engine_and_redis_restart_then_pauses_and_callbacks_come_back(
    redis_server: RedisServer,
):
    prefix = f"restart-{uuid.uuid4().hex[:8]}"
    clock = RealClock()
    store = RedisStateStore.from_url(redis_server.url, prefix)
    engine = Engine(center(), store, clock, lambda _e: None)
    now = clock.now()
    await feed(
        engine,
        ev.AgentLoginRequested(at=now, agent_id="li"),
        ev.AgentPauseRequested(at=now, agent_id="li", reason="lunch"),
        ev.AgentLoginRequested(at=now, agent_id="zhang"),
        ev.AgentPauseRequested(at=now, agent_id="zhang", reason="meeting"),
    )
    for n in (1, 2, 3):
        await feed(
            engine, ev.CallOffered(at=now + n, call_id=f"c{n}", ani=f"+861390000000{n}", dnis=LINE)
        )
    await feed(
        engine,
        ev.DigitsCollected(at=now + 4, call_id="c1", digits="1"),
        ev.DigitsCollected(at=now + 5, call_id="c3", digits="1"),
    )
    before = [(c.call_id, c.channel) for c in await store.waiting("support")]
    assert before == [("c1-cb", "callback"), ("c2", "voice"), ("c3-cb", "callback")]
    li_before = await store.get_agent("li")
    await store.close()

    redis_server.stop()
    redis_server.start()

    store = RedisStateStore.from_url(redis_server.url, prefix)
    restarted = Engine(center(), store, clock, lambda _e: None)
    out = await restarted.recover()

    lost = [o for o in out if isinstance(o, ev.CallLost)]
    assert [(e.call_id, e.reason) for e in lost] == [("c2", "system-restart")]
    assert [(c.call_id, c.callback_number) for c in await store.waiting("support")] == [
        ("c1-cb", "+8613900000001"),
        ("c3-cb", "+8613900000003"),
    ]
    assert await store.position("c3-cb") == 2
    li = await store.get_agent("li")
    assert li == li_before
    assert (li.state, li.reason) == (AgentState.PAUSED, "lunch")
    zhang = await store.get_agent("zhang")
    assert (zhang.state, zhang.reason) == (AgentState.PAUSED, "meeting")
    # The callbacks are live again: when Li Na comes back, she is offered the first one.
    offered = await feed(restarted, ev.AgentReadyRequested(at=clock.now(), agent_id="li"))
    rings = [o for o in offered if isinstance(o, ev.AgentRinging)]
    assert [(r.call_id, r.agent_id) for r in rings] == [("c1-cb", "li")]
    await store.close()
