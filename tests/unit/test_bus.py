"""The event bus (order, failing handlers, unsubscribe, bounded streams) and the runtime that feeds
each event through the bus, the engine and the carrier, one event at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import cast

import pytest
from structlog.testing import capture_logs

from acd import events as ev
from acd.bus import EventBus
from acd.commands import AnswerCall, Command, Enqueue, PlayPrompt
from acd.engine import Engine
from acd.runtime import Inbox, Runtime

pytestmark = pytest.mark.unit

GUARD_S = 2.0  # only guards against a hang; nothing here waits on real time
Output = Command | ev.Event
# `EventBus.stream` is an async generator typed as AsyncIterator; closing it (aclose) unsubscribes
EventStream = AsyncGenerator[ev.Event, None]


def offered(n: int) -> ev.CallOffered:
    return ev.CallOffered(at=float(n), call_id=f"c{n}", ani="+8613800000000", dnis="100")


class Recorder:
    """A bus handler that appends `(name, event)` to a shared journal."""

    def __init__(self, name: str, journal: list[tuple[str, object]]) -> None:
        self.name = name
        self.journal = journal

    async def __call__(self, event: ev.Event) -> None:
        self.journal.append((self.name, event))


async def failing_handler(event: ev.Event) -> None:
    raise RuntimeError(f"handler broke on {event}")


# --- EventBus ---------------------------------------------------------------------------------


async def test_handlers_see_each_event_in_subscription_order() -> None:
    journal: list[tuple[str, object]] = []
    bus = EventBus()
    for name in ("first", "second", "third"):
        bus.subscribe(Recorder(name, journal))
    await bus.publish(offered(1))
    await bus.publish(offered(2))
    assert journal == [
        ("first", offered(1)),
        ("second", offered(1)),
        ("third", offered(1)),
        ("first", offered(2)),
        ("second", offered(2)),
        ("third", offered(2)),
    ]


async def test_publishing_without_handlers_does_nothing() -> None:
    await EventBus().publish(offered(1))


async def test_a_failing_handler_is_logged_and_the_others_still_run() -> None:
    journal: list[tuple[str, object]] = []
    bus = EventBus()
    bus.subscribe(Recorder("before", journal))
    bus.subscribe(failing_handler)
    bus.subscribe(Recorder("after", journal))
    with capture_logs() as logs:
        await bus.publish(offered(1))
    assert journal == [("before", offered(1)), ("after", offered(1))]
    assert [(entry["event"], entry["log_level"]) for entry in logs] == [
        ("event handler failed", "error")
    ]


async def test_an_unsubscribed_handler_gets_no_more_events() -> None:
    journal: list[tuple[str, object]] = []
    bus = EventBus()
    bus.subscribe(Recorder("stays", journal))
    unsubscribe = bus.subscribe(Recorder("leaves", journal))
    await bus.publish(offered(1))
    unsubscribe()
    await bus.publish(offered(2))
    assert journal == [("stays", offered(1)), ("leaves", offered(1)), ("stays", offered(2))]


async def test_subscribing_or_unsubscribing_during_publish_applies_from_the_next_event() -> None:
    journal: list[tuple[str, object]] = []
    bus = EventBus()
    late = Recorder("late", journal)
    unsubscribers: dict[str, Callable[[], None]] = {}

    async def once(event: ev.Event) -> None:
        journal.append(("once", event))
        bus.subscribe(late)
        unsubscribers.pop("once")()

    unsubscribers["once"] = bus.subscribe(once)
    bus.subscribe(Recorder("next", journal))
    await bus.publish(offered(1))
    await bus.publish(offered(2))
    assert journal == [
        ("once", offered(1)),
        ("next", offered(1)),
        ("next", offered(2)),
        ("late", offered(2)),
    ]


async def test_a_stream_yields_the_events_published_after_it_started() -> None:
    bus = EventBus()
    stream = cast(EventStream, bus.stream())
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)  # the stream subscribes when it is first iterated
    for n in (1, 2, 3):
        await bus.publish(offered(n))
    received = [await asyncio.wait_for(first, GUARD_S)]
    received += [await asyncio.wait_for(anext(stream), GUARD_S) for _ in range(2)]
    await stream.aclose()
    assert received == [offered(1), offered(2), offered(3)]


async def test_a_full_stream_drops_the_oldest_events() -> None:
    bus = EventBus()
    stream = cast(EventStream, bus.stream(maxsize=2))
    first = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    for n in range(1, 6):  # published back to back: the consumer cannot run in between
        await bus.publish(offered(n))
    received = [await asyncio.wait_for(first, GUARD_S)]
    received.append(await asyncio.wait_for(anext(stream), GUARD_S))
    assert received == [offered(4), offered(5)]
    await bus.publish(offered(6))
    assert await asyncio.wait_for(anext(stream), GUARD_S) == offered(6)
    await stream.aclose()


async def test_a_closed_stream_does_not_disturb_other_handlers() -> None:
    journal: list[tuple[str, object]] = []
    bus = EventBus()
    stream = cast(EventStream, bus.stream(maxsize=1))
    pending = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)
    bus.subscribe(Recorder("other", journal))
    await bus.publish(offered(1))
    assert await asyncio.wait_for(pending, GUARD_S) == offered(1)
    await stream.aclose()
    await bus.publish(offered(2))
    assert journal == [("other", offered(1)), ("other", offered(2))]


# --- Runtime and Inbox ------------------------------------------------------------------------


class ScriptedEngine:
    """Stands in for `Engine`: returns a fixed list of outputs per call id, notes what it saw."""

    def __init__(self, journal: list[tuple[str, object]], script: dict[str, list[Output]]) -> None:
        self.journal = journal
        self.script = script

    async def handle(self, event: ev.Event) -> list[Output]:
        self.journal.append(("engine", event))
        return list(self.script.get(getattr(event, "call_id", ""), []))


class RecordingCarrier:
    """Stands in for a carrier: notes each command, optionally waiting on a gate first."""

    def __init__(self, journal: list[tuple[str, object]], gate: asyncio.Event | None = None):
        self.journal = journal
        self.gate = gate

    async def execute(self, command: Command) -> None:
        if self.gate is not None:
            await self.gate.wait()
        self.journal.append(("carrier", command))


def make_runtime(
    journal: list[tuple[str, object]],
    script: dict[str, list[Output]],
    carrier: RecordingCarrier | None = None,
) -> Runtime:
    bus = EventBus()
    bus.subscribe(Recorder("bus", journal))
    # Runtime is typed with the concrete Engine; the fake has the one method it calls
    engine = cast(Engine, ScriptedEngine(journal, script))
    return Runtime(Inbox(), bus, engine, carrier or RecordingCarrier(journal))


ROUTED = ev.CallRouted(at=1.0, call_id="c1", source="number:100", destination="queue:sales")
QUEUED = ev.CallQueued(at=1.0, call_id="c1", queue="sales", priority=0, position=1)
SCRIPT: dict[str, list[Output]] = {
    "c1": [
        AnswerCall(call_id="c1"),
        ROUTED,
        PlayPrompt(call_id="c1", prompt="welcome"),
        QUEUED,
        Enqueue(call_id="c1", queue="sales", prompt="hold-music"),
    ]
}


async def test_step_publishes_the_event_then_the_engine_outputs_in_order() -> None:
    journal: list[tuple[str, object]] = []
    runtime = make_runtime(journal, SCRIPT)
    await runtime.step(offered(1))
    assert journal == [
        ("bus", offered(1)),
        ("engine", offered(1)),
        ("carrier", AnswerCall(call_id="c1")),
        ("bus", ROUTED),
        ("carrier", PlayPrompt(call_id="c1", prompt="welcome")),
        ("bus", QUEUED),
        ("carrier", Enqueue(call_id="c1", queue="sales", prompt="hold-music")),
    ]


async def test_step_with_no_engine_output_only_publishes_the_event() -> None:
    journal: list[tuple[str, object]] = []
    await make_runtime(journal, {}).step(offered(2))
    assert journal == [("bus", offered(2)), ("engine", offered(2))]


async def test_run_handles_submitted_events_in_order_until_drained() -> None:
    journal: list[tuple[str, object]] = []
    runtime = make_runtime(journal, SCRIPT)
    task = asyncio.create_task(runtime.run())
    for n in (1, 2, 3):
        runtime.inbox.submit(offered(n))
    await asyncio.wait_for(runtime.inbox.drained(), GUARD_S)
    task.cancel()
    handled = [event for who, event in journal if who == "engine"]
    assert handled == [offered(1), offered(2), offered(3)]
    assert len(journal) == len(SCRIPT["c1"]) + 2 * 3


async def test_drained_waits_until_the_last_event_is_fully_handled() -> None:
    journal: list[tuple[str, object]] = []
    gate = asyncio.Event()
    runtime = make_runtime(journal, SCRIPT, RecordingCarrier(journal, gate))
    task = asyncio.create_task(runtime.run())
    runtime.inbox.submit(offered(1))
    drained = asyncio.create_task(runtime.inbox.drained())
    for _ in range(10):
        await asyncio.sleep(0)
    assert not drained.done()
    assert ("engine", offered(1)) in journal
    gate.set()
    await asyncio.wait_for(drained, GUARD_S)
    assert journal[-1] == ("carrier", Enqueue(call_id="c1", queue="sales", prompt="hold-music"))
    task.cancel()


async def test_an_event_submitted_while_handling_waits_for_the_current_one() -> None:
    journal: list[tuple[str, object]] = []
    runtime = make_runtime(journal, SCRIPT)

    class SubmittingCarrier(RecordingCarrier):
        async def execute(self, command: Command) -> None:
            if isinstance(command, AnswerCall):
                runtime.inbox.submit(offered(9))
            await super().execute(command)

    runtime.carrier = SubmittingCarrier(journal)
    task = asyncio.create_task(runtime.run())
    runtime.inbox.submit(offered(1))
    await asyncio.wait_for(runtime.inbox.drained(), GUARD_S)
    task.cancel()
    assert journal.index(("bus", offered(9))) == len(SCRIPT["c1"]) + 2


async def test_drained_returns_at_once_when_nothing_was_submitted() -> None:
    await asyncio.wait_for(Inbox().drained(), GUARD_S)
