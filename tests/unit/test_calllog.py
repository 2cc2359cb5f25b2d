"""The call log: hand-made event sequences in, one call record and ordered call events out."""

from __future__ import annotations

import itertools

import pytest

from acd import events as ev
from acd.presence import ALLOWED, AgentState
from crm_core.call_records import CallEventData, CallRecordData, MemorySink
from crm_core.calllog import CallLog

pytestmark = pytest.mark.unit

S = AgentState
T0 = 1_000.0
ANI, DNIS = "+8613800000000", "4008001234"


async def feed(log: CallLog, events: list[ev.Event]) -> None:
    for event in events:
        await log(event)


def kinds(sink: MemorySink) -> list[str]:
    return [e.kind for e in sink.events]


def arrival(call_id: str = "c1") -> list[ev.Event]:
    """Offered, routed to sales and queued there at T0 + 4."""
    return [
        ev.CallOffered(at=T0, call_id=call_id, ani=ANI, dnis=DNIS),
        ev.CallRouted(at=T0 + 4, call_id=call_id, source="number", destination="queue:sales"),
        ev.CallQueued(at=T0 + 4, call_id=call_id, queue="sales", priority=0, position=1),
    ]


ANSWERED_AFTER_OVERFLOW: list[ev.Event] = [
    *arrival(),
    ev.RingNoAnswer(at=T0 + 24, call_id="c1", agent_id="a1", queue="sales", ring_s=15.0),
    ev.CallOverflowed(
        at=T0 + 64,
        call_id="c1",
        queue="sales",
        destination="queue:support",
        wait_s=60.0,
        reason="timeout",
    ),
    ev.CallQueued(at=T0 + 64, call_id="c1", queue="support", priority=1, position=2),
    ev.CallConnected(at=T0 + 80, call_id="c1", agent_id="a2", queue="support", wait_s=76.0),
    ev.CallEnded(at=T0 + 200, call_id="c1", by="caller"),
    ev.CallCompleted(
        at=T0 + 200, call_id="c1", agent_id="a2", queue="support", talk_s=120.0, by="caller"
    ),
    ev.WrapUpEnded(at=T0 + 230, call_id="c1", agent_id="a2", wrap_s=30.0),
    ev.CallFinished(at=T0 + 230, call_id="c1", outcome="answered"),
]


# --- one answered call -------------------------------------------------------------------------


async def test_an_answered_call_leaves_one_complete_record() -> None:
    sink = MemorySink()
    await feed(CallLog(sink), ANSWERED_AFTER_OVERFLOW)
    assert sink.records == [
        CallRecordData(
            call_id="c1",
            direction="inbound",
            ani=ANI,
            dnis=DNIS,
            arrived_at=T0,
            queue="support",  # the queue that answered
            agent_id="a2",
            queued_at=T0 + 4,  # the first queue entry: waits are measured from there
            answered_at=T0 + 80,
            ended_at=T0 + 200,
            wrap_up_ended_at=T0 + 230,
            outcome="answered",
            ended_by="caller",
        )
    ]
    record = sink.records[0]
    assert (record.wait_s, record.talk_s, record.wrap_s) == (76.0, 120.0, 30.0)


async def test_an_answered_call_logs_its_events_in_order_with_increasing_seq() -> None:
    sink = MemorySink()
    await feed(CallLog(sink), ANSWERED_AFTER_OVERFLOW)
    assert kinds(sink) == [
        "OFFERED",
        "ROUTE",
        "ENTERQUEUE",
        "RINGNOANSWER",
        "EXITWITHTIMEOUT",
        "ENTERQUEUE",
        "CONNECT",
        "COMPLETECALLER",
        "WRAPUPEND",
    ]
    assert [e.seq for e in sink.events] == list(range(1, 10))
    assert all(e.call_id == "c1" for e in sink.events)
    times = [e.at for e in sink.events]
    assert times == sorted(times)


async def test_call_events_carry_queue_agent_and_figures() -> None:
    sink = MemorySink()
    await feed(CallLog(sink), ANSWERED_AFTER_OVERFLOW)
    by_kind = {e.kind: e for e in sink.events}  # the later ENTERQUEUE wins
    assert by_kind["ENTERQUEUE"] == CallEventData(
        6, T0 + 64, "c1", "ENTERQUEUE", "support", "", {"position": 2, "priority": 1}
    )
    assert by_kind["RINGNOANSWER"] == CallEventData(
        4, T0 + 24, "c1", "RINGNOANSWER", "sales", "a1", {"ring_s": 15.0}
    )
    assert by_kind["EXITWITHTIMEOUT"].data == {"destination": "queue:support", "wait_s": 60.0}
    assert by_kind["CONNECT"] == CallEventData(
        7, T0 + 80, "c1", "CONNECT", "support", "a2", {"wait_s": 76.0}
    )
    assert by_kind["COMPLETECALLER"].data == {"talk_s": 120.0}
    assert by_kind["WRAPUPEND"] == CallEventData(
        9, T0 + 230, "c1", "WRAPUPEND", "", "a2", {"wrap_s": 30.0}
    )
    assert by_kind["OFFERED"].data == {"ani": ANI, "dnis": DNIS, "direction": "inbound"}


async def test_the_record_is_written_only_when_the_call_is_finished() -> None:
    sink = MemorySink()
    log = CallLog(sink)
    await feed(log, ANSWERED_AFTER_OVERFLOW[:-1])
    assert (sink.records, log.open_calls) == ([], 1)
    await feed(log, ANSWERED_AFTER_OVERFLOW[-1:])
    assert (len(sink.records), log.open_calls) == (1, 0)


async def test_a_second_finish_for_the_same_call_writes_nothing_more() -> None:
    sink = MemorySink()
    log = CallLog(sink)
    await feed(log, ANSWERED_AFTER_OVERFLOW)
    await log(ev.CallFinished(at=T0 + 999, call_id="c1", outcome="other"))
    assert [r.outcome for r in sink.records] == ["answered"]


async def test_seq_starts_where_it_is_told() -> None:
    sink = MemorySink()
    await feed(CallLog(sink, first_seq=500), arrival())
    assert [e.seq for e in sink.events] == [500, 501, 502]


@pytest.mark.parametrize(
    ("by", "kind"),
    [("agent", "COMPLETEAGENT"), ("caller", "COMPLETECALLER"), ("system", "COMPLETEAGENT")],
)
async def test_who_ended_a_connected_call_decides_the_complete_kind(
    by: ev.EndedBy, kind: str
) -> None:
    sink = MemorySink()
    await feed(
        CallLog(sink),
        [
            *arrival(),
            ev.CallConnected(at=T0 + 10, call_id="c1", agent_id="a1", queue="sales", wait_s=6.0),
            ev.CallEnded(at=T0 + 50, call_id="c1", by=by),
            ev.CallCompleted(
                at=T0 + 50, call_id="c1", agent_id="a1", queue="sales", talk_s=40.0, by=by
            ),
            ev.CallFinished(at=T0 + 50, call_id="c1", outcome="answered"),
        ],
    )
    assert kinds(sink)[-1] == kind
    assert (sink.records[0].ended_by, sink.records[0].wrap_up_ended_at) == (by, None)
    assert sink.records[0].wrap_s == 0.0


# --- calls that never reach an agent -----------------------------------------------------------


async def test_an_abandoned_call_records_when_and_by_whom_it_ended() -> None:
    sink = MemorySink()
    await feed(
        CallLog(sink),
        [
            *arrival(),
            ev.CallEnded(at=T0 + 34, call_id="c1", by="caller"),
            ev.CallAbandoned(at=T0 + 34, call_id="c1", queue="sales", wait_s=30.0, position=1),
            ev.CallFinished(at=T0 + 34, call_id="c1", outcome="abandoned"),
        ],
    )
    assert kinds(sink) == ["OFFERED", "ROUTE", "ENTERQUEUE", "ABANDON"]
    assert sink.events[-1].data == {"wait_s": 30.0, "position": 1}
    [record] = sink.records
    assert (record.outcome, record.ended_at, record.ended_by) == ("abandoned", T0 + 34, "caller")
    assert (record.queue, record.agent_id, record.answered_at) == ("sales", None, None)
    assert (record.wait_s, record.talk_s) == (30.0, 0.0)


async def test_a_call_finished_without_a_hangup_ends_when_it_finished() -> None:
    sink = MemorySink()
    await feed(
        CallLog(sink),
        [
            ev.CallOffered(at=T0, call_id="c1", ani=ANI, dnis=DNIS),
            ev.CallRouted(at=T0 + 1, call_id="c1", source="number", destination="menu:main"),
            ev.CallFinished(at=T0 + 20, call_id="c1", outcome="ivr"),
        ],
    )
    [record] = sink.records
    assert (record.ended_at, record.ended_by, record.outcome) == (T0 + 20, None, "ivr")
    assert (record.queue, record.queued_at, record.wait_s) == (None, None, None)


@pytest.mark.parametrize(
    ("reason", "kind"),
    [("timeout", "EXITWITHTIMEOUT"), ("full", "EXITFULL"), ("no-agents", "EXITEMPTY")],
)
async def test_an_overflow_is_logged_by_its_reason(reason: ev.OverflowReason, kind: str) -> None:
    sink = MemorySink()
    overflow = ev.CallOverflowed(
        at=T0 + 9, call_id="c1", queue="sales", destination="voicemail", wait_s=5.0, reason=reason
    )
    await feed(CallLog(sink), [*arrival(), overflow])
    assert sink.events[-1].kind == kind
    assert sink.events[-1].queue == "sales"


async def test_a_voicemail_is_logged_with_its_mailbox_and_length() -> None:
    sink = MemorySink()
    await feed(
        CallLog(sink),
        [
            *arrival(),
            ev.VoicemailRecorded(at=T0 + 40, call_id="c1", mailbox="sales", duration_s=21.5),
        ],
    )
    assert sink.events[-1].kind == "VOICEMAIL"
    assert sink.events[-1].data == {"mailbox": "sales", "duration_s": 21.5}


async def test_two_calls_interleaved_keep_their_own_records() -> None:
    sink = MemorySink()
    first, second = arrival("c1"), arrival("c2")
    await feed(
        CallLog(sink),
        [
            *itertools.chain.from_iterable(zip(first, second, strict=True)),
            ev.CallFinished(at=T0 + 50, call_id="c2", outcome="abandoned"),
            ev.CallFinished(at=T0 + 60, call_id="c1", outcome="abandoned"),
        ],
    )
    assert [(r.call_id, r.ended_at) for r in sink.records] == [("c2", T0 + 50), ("c1", T0 + 60)]
    assert [e.seq for e in sink.events] == list(range(1, 7))


# --- events the call log has no open record for ------------------------------------------------


async def test_events_of_an_unknown_call_write_no_record_and_break_nothing() -> None:
    sink = MemorySink()
    log = CallLog(sink)
    await feed(log, arrival("c1"))
    ghost: list[ev.Event] = [
        ev.CallQueued(at=T0, call_id="ghost", queue="sales", priority=0, position=1),
        ev.CallConnected(at=T0, call_id="ghost", agent_id="a1", queue="sales", wait_s=0.0),
        ev.CallEnded(at=T0, call_id="ghost", by="caller"),
        ev.CallCompleted(
            at=T0, call_id="ghost", agent_id="a1", queue="sales", talk_s=0.0, by="caller"
        ),
        ev.WrapUpEnded(at=T0, call_id="ghost", agent_id="a1", wrap_s=0.0),
        ev.CallFinished(at=T0, call_id="ghost", outcome="answered"),
    ]
    await feed(log, ghost)
    assert (sink.records, log.open_calls) == ([], 1)
    await log(ev.CallFinished(at=T0 + 9, call_id="c1", outcome="abandoned"))
    [record] = sink.records
    assert (record.call_id, record.agent_id, record.answered_at) == ("c1", None, None)


async def test_events_the_call_log_does_not_record_are_ignored() -> None:
    sink = MemorySink()
    await feed(
        CallLog(sink),
        [
            ev.DigitsCollected(at=T0, call_id="c1", digits="1"),
            ev.AgentRinging(at=T0, call_id="c1", agent_id="a1", queue="sales"),
            ev.AgentLoginRequested(at=T0, agent_id="a1"),
            ev.RingTimedOut(at=T0, call_id="c1", agent_id="a1"),
        ],
    )
    assert (sink.events, sink.records) == ([], [])


# --- agent events ------------------------------------------------------------------------------

AGENT_KINDS: dict[tuple[AgentState, AgentState], list[str]] = {
    (S.LOGGED_OUT, S.AVAILABLE): ["AGENTLOGIN"],
    (S.LOGGED_OUT, S.PAUSED): ["AGENTLOGIN", "PAUSE"],
    (S.AVAILABLE, S.PAUSED): ["PAUSE"],
    (S.RESERVED, S.PAUSED): ["PAUSE"],
    (S.ON_CALL, S.PAUSED): ["PAUSE"],
    (S.WRAP_UP, S.PAUSED): ["PAUSE"],
    (S.PAUSED, S.AVAILABLE): ["UNPAUSE"],
    (S.PAUSED, S.PAUSED): ["UNPAUSE", "PAUSE"],  # a new reason closes the old pause
    (S.PAUSED, S.LOGGED_OUT): ["AGENTLOGOFF"],
    (S.AVAILABLE, S.LOGGED_OUT): ["AGENTLOGOFF"],
    (S.RESERVED, S.LOGGED_OUT): ["AGENTLOGOFF"],
    (S.ON_CALL, S.LOGGED_OUT): ["AGENTLOGOFF"],
    (S.WRAP_UP, S.LOGGED_OUT): ["AGENTLOGOFF"],
}
ALLOWED_PAIRS = [(a, b) for a in AgentState for b in sorted(ALLOWED[a])]


def test_the_agent_table_names_only_allowed_transitions() -> None:
    assert set(AGENT_KINDS) <= set(ALLOWED_PAIRS)


@pytest.mark.parametrize("pair", ALLOWED_PAIRS, ids=lambda p: f"{p[0]}->{p[1]}")
async def test_each_presence_change_logs_its_agent_events(
    pair: tuple[AgentState, AgentState],
) -> None:
    sink = MemorySink()
    before, after = pair
    reason = "lunch" if after is S.PAUSED else ""
    change = ev.AgentStateChanged(
        at=T0, agent_id="a1", state=after, previous=before, reason=reason, call_id="c1"
    )
    await CallLog(sink)(change)
    assert kinds(sink) == AGENT_KINDS.get(pair, [])
    assert all((e.call_id, e.agent_id, e.at) == ("", "a1", T0) for e in sink.events)
    assert [e.data for e in sink.events if e.kind == "PAUSE"] == (
        [{"reason": "lunch"}] if "PAUSE" in kinds(sink) else []
    )
    assert sink.records == []


async def test_an_agent_day_is_logged_in_order() -> None:
    sink = MemorySink()
    steps = [("logged-out", "available", ""), ("available", "paused", "break")]
    steps += [("paused", "available", ""), ("available", "logged-out", "")]
    await feed(
        CallLog(sink, first_seq=10),
        [
            ev.AgentStateChanged(at=T0 + i, agent_id="a1", state=to, previous=was, reason=why)
            for i, (was, to, why) in enumerate(steps)
        ],
    )
    assert kinds(sink) == ["AGENTLOGIN", "PAUSE", "UNPAUSE", "AGENTLOGOFF"]
    assert [(e.seq, e.at) for e in sink.events] == [(10 + i, T0 + i) for i in range(4)]
