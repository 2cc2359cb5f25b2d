"""Benchmark: the cost of one routing decision with a big center.

Run: python tests/bench/routing.py [--quick]

1,000 agents with 3 to 8 of 50 skills (levels 1-5), 100 queues that each require one or two
skills with minimum levels, and 10,000 contacts waiting while every agent is busy (paused). A
routing decision is one agent becoming free (`AgentReadyRequested`): the engine stores the new
presence, finds the best contact the agent can serve (callers waiting for it by name, then the
heads of its queues) and offers it (atomic claim and reservation). Timed with perf_counter_ns
around `Engine.handle`, for the memory store and for the Redis store on a real redis-server (Unix
socket), beside a Redis PING on the same connection. After each decision the agent answers, asks
for a pause and hangs up, and a new call takes the answered one's place (not timed), so every
decision sees the same center. `growth` repeats the memory figures with 1k, 10k and 100k
contacts waiting. `arrival_*` times the other direction: a contact arriving while 200 agents are
free (each offer is answered and hung up untimed, so the 200 stay free). `redis_round_trips` is
the median number of Redis commands per decision. Set-up is not timed. Prints one JSON object as
its last line.
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
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from acd import events as ev  # noqa: E402
from acd.clock import RealClock  # noqa: E402
from acd.commands import OfferToAgent  # noqa: E402
from acd.engine import Engine  # noqa: E402
from acd.state import MemoryStateStore, StateStore  # noqa: E402
from config.center import AgentDef, Center, Destination, QueueDef  # noqa: E402

SKILLS, QUEUES, AGENTS = 50, 100, 1_000
WAITING = 10_000
FREE_AGENTS = 200
PAUSE_REASON = "break"


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
        numbers={number(q): Destination(kind="queue", name=q) for q in queues},
    )


def number(queue: str) -> str:
    """The number dialled for a queue."""
    return f"800{int(queue[1:]):04d}"


def servable_numbers(engine: Engine, agents: set[str] | None = None) -> list[str]:
    """Numbers of queues at least one agent (of `agents`, if given) can serve."""
    return [
        number(queue)
        for queue, levels in engine.dispatch.levels.items()
        if levels and (agents is None or agents & levels.keys())
    ]


class Center1000:
    """An engine on a big center with every agent paused, and calls to feed it."""

    def __init__(self, center: Center, store: StateStore, rng: random.Random) -> None:
        self.clock = RealClock()
        self.engine = Engine(center, store, self.clock, lambda _e: None, rng=random.Random(1))
        self.rng = rng
        self.numbers = servable_numbers(self.engine)
        self._calls = 0

    async def start(self, waiting: int) -> None:
        """Log every agent in and pause it; queue `waiting` calls."""
        now = self.clock.now()
        for agent_id in self.engine.center.agents:
            await self.engine.handle(ev.AgentLoginRequested(at=now, agent_id=agent_id))
            await self.engine.handle(
                ev.AgentPauseRequested(at=now, agent_id=agent_id, reason=PAUSE_REASON)
            )
        for _ in range(waiting):
            await self.call(self.numbers)
        store = self.engine.store
        counted = sum([await store.count_waiting(q) for q in self.engine.center.queues])
        if counted != waiting:
            raise RuntimeError(f"set-up queued {counted} contacts, not {waiting}")

    def new_call(self, numbers: list[str]) -> ev.CallOffered:
        """A call to one of `numbers`."""
        self._calls += 1
        n = self._calls
        dnis = self.rng.choice(numbers)
        return ev.CallOffered(at=self.clock.now(), call_id=f"c{n}", ani=f"+8613{n:09d}", dnis=dnis)

    async def call(self, numbers: list[str]) -> list[Any]:
        """Place a call; what the engine did."""
        return await self.engine.handle(self.new_call(numbers))

    async def talk_and_leave(self, offer: OfferToAgent, *, pause: bool) -> None:
        """The agent answers, (maybe asks for a pause,) and the call ends: the agent is free
        again, or paused."""
        now, agent_id, call_id = self.clock.now(), offer.agent_id, offer.call_id
        await self.engine.handle(ev.AgentAnswered(at=now, call_id=call_id, agent_id=agent_id))
        if pause:
            await self.engine.handle(
                ev.AgentPauseRequested(at=now, agent_id=agent_id, reason=PAUSE_REASON)
            )
        await self.engine.handle(ev.CallEnded(at=now, call_id=call_id, by="caller"))


def offers(outputs: list[Any]) -> list[OfferToAgent]:
    """The offers among the engine's outputs."""
    return [o for o in outputs if isinstance(o, OfferToAgent)]


async def timed(engine: Engine, event: ev.Event) -> tuple[float, list[Any]]:
    """µs the engine spent handling `event`, and what it decided."""
    began = time.perf_counter_ns()
    outputs = await engine.handle(event)
    return (time.perf_counter_ns() - began) / 1000, outputs


async def decisions(bench: Center1000, count: int) -> list[float]:
    """Time `count` paused agents becoming free, each taking a waiting contact; µs each."""
    engine, timings = bench.engine, []
    pool = [a for a, queues in engine.dispatch.queues_of_agent.items() if queues]
    bench.rng.shuffle(pool)
    for n in range(count):
        agent_id = pool[n % len(pool)]
        ready = ev.AgentReadyRequested(at=bench.clock.now(), agent_id=agent_id)
        spent, outputs = await timed(engine, ready)
        timings.append(spent)
        for offer in offers(outputs):  # back to paused; the queue as long as it was
            await bench.talk_and_leave(offer, pause=True)
            await bench.call(bench.numbers)
    return timings


async def arrivals(bench: Center1000, count: int) -> list[float]:
    """Time calls arriving while FREE_AGENTS agents are free; µs each."""
    engine, clock = bench.engine, bench.clock
    free = set(list(engine.center.agents)[:FREE_AGENTS])
    for agent_id in free:
        await engine.handle(ev.AgentReadyRequested(at=clock.now(), agent_id=agent_id))
    numbers = servable_numbers(engine, free)
    timings = []
    for _ in range(count):
        arrival = bench.new_call(numbers)
        spent, outputs = await timed(engine, arrival)
        timings.append(spent)
        for offer in offers(outputs):
            await bench.talk_and_leave(offer, pause=False)
    return timings


def p99(values: list[float]) -> float:
    """The 99th percentile."""
    return statistics.quantiles(values, n=100)[98]


def figures(prefix: str, values: list[float]) -> dict[str, float]:
    """Median and p99, rounded, under `prefix`."""
    return {
        f"{prefix}_median_us": round(statistics.median(values), 1),
        f"{prefix}_p99_us": round(p99(values), 1),
    }


async def memory_decisions(center: Center, waiting: int, count: int) -> list[float]:
    """Decision timings on the memory store."""
    bench = Center1000(center, MemoryStateStore(), random.Random(waiting))
    await bench.start(waiting)
    return await decisions(bench, count)


async def memory_arrivals(center: Center, count: int) -> list[float]:
    """Arrival timings on the memory store."""
    bench = Center1000(center, MemoryStateStore(), random.Random(7))
    await bench.start(0)
    return await arrivals(bench, count)


async def round_trips(store: Any, bench: Center1000, count: int) -> float:
    """Median Redis commands per decision (a separate, counted and untimed pass)."""
    client = store._client  # the store's own client: count what it sends
    sent: list[int] = [0]
    execute = client.execute_command

    async def counting(*args: Any, **options: Any) -> Any:
        sent[0] += 1
        return await execute(*args, **options)

    client.execute_command = counting
    per_decision = []
    pool = [a for a, queues in bench.engine.dispatch.queues_of_agent.items() if queues]
    for agent_id in pool[:count]:
        sent[0] = 0
        outputs = await bench.engine.handle(
            ev.AgentReadyRequested(at=bench.clock.now(), agent_id=agent_id)
        )
        per_decision.append(sent[0])
        for offer in offers(outputs):
            await bench.talk_and_leave(offer, pause=True)
    client.execute_command = execute
    return statistics.median(per_decision)


async def pings(store: Any, count: int) -> list[float]:
    """PING timings on the store's own connection pool; µs each."""
    client, timings = store._client, []
    for _ in range(count):
        began = time.perf_counter_ns()
        await client.ping()
        timings.append((time.perf_counter_ns() - began) / 1000)
    return timings


async def redis_figures(center: Center, waiting: int, count: int) -> dict[str, float]:
    """Decisions, arrivals, PING and round trips on a real redis-server."""
    from redis_server import RedisServer

    from acd.store_redis import RedisStateStore

    server = RedisServer()
    server.start()
    try:
        store = RedisStateStore.from_url(server.url, prefix="decide")
        bench = Center1000(center, store, random.Random(waiting))
        await bench.start(waiting)
        decided = await decisions(bench, count)
        trips = await round_trips(store, bench, min(count, 100))
        ping = await pings(store, count)
        await store.close()
        store = RedisStateStore.from_url(server.url, prefix="arrive")
        arrival_bench = Center1000(center, store, random.Random(7))
        await arrival_bench.start(0)
        arrived = await arrivals(arrival_bench, count)
        await store.close()
    finally:
        server.close()
    return {
        **figures("redis", decided),
        "redis_ping_us": round(statistics.median(ping), 1),
        "redis_p99_over_ping": round(p99(decided) / statistics.median(ping), 1),
        "redis_round_trips": trips,
        **figures("arrival_redis", arrived),
    }


async def main(quick: bool) -> dict[str, object]:
    """Run every measurement."""
    center = big_center(random.Random(42))
    count = 300 if quick else 2_000
    memory = await memory_decisions(center, WAITING, count)
    growth = []
    for waiting in (1_000, 10_000, 100_000):
        times = memory if waiting == WAITING else await memory_decisions(center, waiting, count)
        growth.append({"waiting": waiting, **figures("memory", times)})
    arrived = await memory_arrivals(center, count)
    redis = await redis_figures(center, WAITING, count)
    return {
        "agents": AGENTS,
        "skills": SKILLS,
        "queues": QUEUES,
        "waiting": WAITING,
        "decisions": count,
        **figures("memory", memory),
        **redis,
        **figures("arrival_memory", arrived),
        "arrival_free_agents": FREE_AGENTS,
        "growth": growth,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 decisions; under a minute")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.quick))))
