"""Benchmark: the cost of one routing decision with a big center.

Run: python tests/bench/routing.py [--quick]

1,000 agents with 3 to 8 of 50 skills (levels 1-5), 100 queues that each require one or two
skills with minimum levels, and 10,000 contacts waiting while every agent is busy (paused). A
routing decision is one agent becoming free (`AgentReadyRequested`): the engine stores the new
presence, finds the best contact the agent can serve (callers waiting for it by name, then the
heads of its queues) and offers it (atomic claim and reservation). Timed with perf_counter_ns
around `Engine.handle`, for the memory store and for the Redis store on a real redis-server (Unix
socket), beside a Redis PING on the same connection. `growth` repeats the memory figure with 1k,
10k and 100k contacts waiting. `arrival_*` times the other direction: a contact arriving while
some agents are free. Set-up is not timed. Prints one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from acd import events as ev  # noqa: E402
from acd.clock import RealClock  # noqa: E402
from acd.engine import Engine  # noqa: E402
from acd.state import MemoryStateStore, StateStore  # noqa: E402
from config.center import AgentDef, Center, Destination, QueueDef  # noqa: E402

SKILLS, QUEUES, AGENTS = 50, 100, 1_000


def big_center(rng: random.Random) -> Center:
    """A center of 1,000 agents, 50 skills and 100 queues, each queue served by some agents."""
    skills = [f"s{i:02d}" for i in range(SKILLS)]
    agents = {}
    for i in range(AGENTS):
        chosen = rng.sample(skills, rng.randint(3, 8))
        agents[f"a{i:04d}"] = AgentDef(
            name=f"Agent {i}",
            extension=str(10_000 + i),
            skills={s: rng.randint(1, 5) for s in chosen},
        )
    queues = {}
    for q in range(QUEUES):
        required = {s: rng.randint(1, 3) for s in rng.sample(skills, rng.choice((1, 1, 2)))}
        queues[f"q{q:03d}"] = QueueDef(skills=required, preferred_agent_window_s=0)
    return Center(
        skills={s: s for s in skills},
        queues=queues,
        agents=agents,
        numbers={f"800{q:04d}": Destination(kind="queue", name=f"q{q:03d}") for q in range(QUEUES)},
    )


def servable_numbers(engine: Engine) -> list[str]:
    """Numbers of queues at least one agent can serve."""
    return [f"800{int(q[1:]):04d}" for q, agents in engine.dispatch.levels.items() if agents]


async def setup(center: Center, store: StateStore, waiting: int, rng: random.Random) -> Engine:
    """Every agent logged in and paused; `waiting` calls queued."""
    clock = RealClock()
    engine = Engine(center, store, clock, lambda _e: None, rng=random.Random(1))
    now = clock.now()
    for agent_id in center.agents:
        await engine.handle(ev.AgentLoginRequested(at=now, agent_id=agent_id))
        await engine.handle(ev.AgentPauseRequested(at=now, agent_id=agent_id, reason="break"))
    numbers = servable_numbers(engine)
    for n in range(waiting):
        await engine.handle(
            ev.CallOffered(at=now, call_id=f"w{n}", ani=f"+86139{n:08d}", dnis=rng.choice(numbers))
        )
    counted = sum([await store.count_waiting(q) for q in center.queues])
    if counted != waiting:
        raise RuntimeError(f"set-up queued {counted} contacts, not {waiting}")
    return engine


async def decisions(engine: Engine, count: int, rng: random.Random) -> list[float]:
    """Time `count` agents becoming free, each taking a waiting contact; µs each."""
    clock, timings = RealClock(), []
    paused = list(engine.center.agents)
    rng.shuffle(paused)
    numbers = servable_numbers(engine)
    for n, agent_id in enumerate(paused[:count]):
        event = ev.AgentReadyRequested(at=clock.now(), agent_id=agent_id)
        began = time.perf_counter_ns()
        await engine.handle(event)
        timings.append((time.perf_counter_ns() - began) / 1000)
        # Keep the queue as long as it was (not timed).
        await engine.handle(
            ev.CallOffered(
                at=clock.now(), call_id=f"r{n}", ani=f"+86138{n:08d}", dnis=rng.choice(numbers)
            )
        )
    return timings


async def arrivals(engine: Engine, count: int, rng: random.Random) -> list[float]:
    """Time contacts arriving while some agents are free; µs each."""
    clock, timings = RealClock(), []
    numbers = servable_numbers(engine)
    for n in range(count):
        event = ev.CallOffered(
            at=clock.now(), call_id=f"n{n}", ani=f"+86137{n:08d}", dnis=rng.choice(numbers)
        )
        began = time.perf_counter_ns()
        await engine.handle(event)
        timings.append((time.perf_counter_ns() - began) / 1000)
    return timings


def p99(values: list[float]) -> float:
    """The 99th percentile."""
    return statistics.quantiles(values, n=100)[98]


async def memory_run(center: Center, waiting: int, count: int) -> list[float]:
    """Decision timings on the memory store."""
    rng = random.Random(waiting)
    engine = await setup(center, MemoryStateStore(), waiting, rng)
    return await decisions(engine, count, rng)


async def memory_arrivals(center: Center, count: int) -> list[float]:
    """Arrival timings with 200 agents free and no one waiting."""
    rng = random.Random(7)
    engine = await setup(center, MemoryStateStore(), 0, rng)
    clock = RealClock()
    for agent_id in list(center.agents)[:200]:
        await engine.handle(ev.AgentReadyRequested(at=clock.now(), agent_id=agent_id))
    return await arrivals(engine, count, rng)


async def redis_run(center: Center, waiting: int, count: int) -> tuple[list[float], list[float]]:
    """Decision timings on the Redis store, and PING timings on the same connection."""
    from redis_server import RedisServer

    from acd.store_redis import RedisStateStore

    server = RedisServer()
    server.start()
    try:
        store = RedisStateStore.from_url(server.url, prefix="bench")
        rng = random.Random(waiting)
        engine = await setup(center, store, waiting, rng)
        timings = await decisions(engine, count, rng)
        client = store._client  # the same connection pool the store uses
        pings = []
        for _ in range(count):
            began = time.perf_counter_ns()
            await client.ping()
            pings.append((time.perf_counter_ns() - began) / 1000)
        await store.close()
        return timings, pings
    finally:
        server.close()


async def main(quick: bool) -> dict[str, object]:
    """Run every measurement."""
    center = big_center(random.Random(42))
    count = 300 if quick else 2_000
    memory = await memory_run(center, 10_000, count)
    growth = []
    for waiting in (1_000, 10_000) if quick else (1_000, 10_000, 100_000):
        times = await memory_run(center, waiting, count)
        growth.append(
            {
                "waiting": waiting,
                "memory_median_us": round(statistics.median(times), 1),
                "memory_p99_us": round(p99(times), 1),
            }
        )
    arrive = await memory_arrivals(center, count)
    redis_times, pings = await redis_run(center, 2_000 if quick else 10_000, count)
    return {
        "agents": AGENTS,
        "skills": SKILLS,
        "queues": QUEUES,
        "waiting": 10_000,
        "decisions": count,
        "memory_median_us": round(statistics.median(memory), 1),
        "memory_p99_us": round(p99(memory), 1),
        "redis_median_us": round(statistics.median(redis_times), 1),
        "redis_p99_us": round(p99(redis_times), 1),
        "redis_ping_us": round(statistics.median(pings), 1),
        "redis_p99_over_ping": round(p99(redis_times) / statistics.median(pings), 1),
        "arrival_memory_median_us": round(statistics.median(arrive), 1),
        "arrival_memory_p99_us": round(p99(arrive), 1),
        "growth": growth,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer decisions; under a minute")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.quick))))
