"""Queue visits from call events: hand-made edge cases, and the consistency property
offered = answered + abandoned + overflowed-out + still-waiting checked with Hypothesis against a
plain, call-by-call reading of the same events."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_report_support import Log

from reporting.data import data_from_lists
from reporting.intervals import bucket_index
from reporting.visits import blocked_calls, queue_visits

pytestmark = pytest.mark.unit

FAR = 1e6


def visits_of(log: Log, start: float = 0, end: float = FAR) -> pd.DataFrame:
    events = data_from_lists([], log.events).queue_events
    return queue_visits(events, log.t0 + start, log.t0 + end)


def results(log: Log, start: float = 0, end: float = FAR) -> list[tuple[str, str, str]]:
    visits = visits_of(log, start, end)
    return list(zip(visits["call_id"], visits["queue"], visits["result"].astype(str), strict=True))


def test_an_overflow_is_offered_in_both_queues_and_overflowed_out_of_the_first():
    log = Log()
    log.ev(0, "ENTERQUEUE", "c", "a")
    log.ev(60, "EXITWITHTIMEOUT", "c", "a")
    log.ev(60, "ENTERQUEUE", "c", "b")
    log.ev(75, "CONNECT", "c", "b", "x")
    assert results(log) == [("c", "a", "overflowed"), ("c", "b", "answered")]
    assert visits_of(log)["wait_s"].tolist() == [60, 15]


def test_a_transfer_to_another_queue_after_an_answer_is_a_second_visit():
    log = Log()
    log.ev(0, "ENTERQUEUE", "c", "a")
    log.ev(5, "CONNECT", "c", "a", "x")
    log.ev(90, "TRANSFER", "c", "a", "x")  # not a queue event: ignored
    log.ev(90, "ENTERQUEUE", "c", "b")
    log.ev(100, "CONNECT", "c", "b", "y")
    assert results(log) == [("c", "a", "answered"), ("c", "b", "answered")]


def test_an_abandon_while_a_phone_rings_is_an_abandon():
    log = Log()
    log.ev(0, "ENTERQUEUE", "c", "a")
    log.ev(15, "RINGNOANSWER", "c", "a", "x")
    log.ev(18, "ABANDON", "c", "a")
    assert results(log) == [("c", "a", "abandoned")]


def test_a_visit_with_no_end_yet_is_still_waiting():
    log = Log()
    log.ev(0, "ENTERQUEUE", "c", "a")
    visits = visits_of(log)
    assert visits["result"].tolist() == ["waiting"]
    assert np.isnan(visits["wait_s"][0])


def test_a_visit_is_taken_by_when_it_started_and_ends_after_the_window():
    log = Log()
    log.ev(50, "ENTERQUEUE", "early", "a")
    log.ev(99, "ENTERQUEUE", "late", "a")
    log.ev(130, "CONNECT", "late", "a", "x")
    log.ev(140, "CONNECT", "early", "a", "y")
    assert results(log, 60, 100) == [("late", "a", "answered")]


def test_exits_without_an_open_visit_are_callers_turned_away():
    log = Log()
    log.ev(0, "EXITFULL", "full", "a")
    log.ev(1, "EXITEMPTY", "empty", "b")
    log.ev(2, "ENTERQUEUE", "left", "b")
    log.ev(9, "EXITEMPTY", "left", "b")  # the last agent left: ends the visit
    blocked = blocked_calls(data_from_lists([], log.events).queue_events, log.t0, log.t0 + FAR)
    assert list(zip(blocked["call_id"], blocked["queue"], strict=True)) == [
        ("full", "a"),
        ("empty", "b"),
    ]
    assert results(log) == [("left", "b", "overflowed")]


# --- the consistency property --------------------------------------------------------------------

QUEUES = ("a", "b", "c")
ENDS = ("CONNECT", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", None)

journey = st.lists(
    st.tuples(
        st.sampled_from(QUEUES),
        st.sampled_from(ENDS),
        st.integers(min_value=0, max_value=600),
        st.booleans(),  # a phone rang without an answer during this visit
        st.booleans(),  # the caller was turned away from a full queue before this visit
    ),
    min_size=1,
    max_size=4,
)
calls = st.lists(st.tuples(st.integers(0, 7200), journey), min_size=0, max_size=25)


def build(generated: list[tuple[int, list[tuple[str, str | None, int, bool, bool]]]]) -> Log:
    """Events for the generated calls, interleaved in time order like a real log."""
    timed: list[tuple[float, int, str, str, str]] = []
    for number, (arrival, steps) in enumerate(generated):
        call, t = f"call{number}", float(arrival)
        for position, (queue, end, wait, rang, turned_away) in enumerate(steps):
            if turned_away:
                timed.append((t, len(timed), call, "EXITFULL", QUEUES[position % 3]))
            timed.append((t, len(timed), call, "ENTERQUEUE", queue))
            if rang:
                timed.append((t + wait / 2, len(timed), call, "RINGNOANSWER", queue))
            if end is None:
                break  # still waiting: nothing follows
            t += wait
            timed.append((t, len(timed), call, end, queue))
            if end == "ABANDON":
                break
    log = Log()
    for at, _, call, kind, queue in sorted(timed):
        log.ev(at, kind, call, queue)
    return log


def oracle(log: Log, start: float, end: float) -> Counter[tuple[str, str]]:
    """(queue, result) counts, reading each call's events one by one."""
    counts: Counter[tuple[str, str]] = Counter()
    by_call: dict[str, list[tuple[str, str, float]]] = {}
    for e in log.events:
        if e.kind != "RINGNOANSWER":
            by_call.setdefault(e.call_id, []).append((e.kind, e.queue, e.at))
    names = {"CONNECT": "answered", "ABANDON": "abandoned"}
    for events in by_call.values():
        for i, (kind, queue, at) in enumerate(events):
            if kind != "ENTERQUEUE" or not start <= at < end:
                continue
            following = events[i + 1][0] if i + 1 < len(events) else None
            result = "waiting" if following is None else names.get(following, "overflowed")
            counts[(queue, "offered")] += 1
            counts[(queue, result)] += 1
    return counts


@settings(max_examples=60, deadline=None)
@given(calls, st.integers(0, 3600), st.integers(1, 7200))
def test_visits_match_a_call_by_call_reading_and_always_add_up(generated, start, length):
    log = build(generated)
    lo, hi = log.t0 + start, log.t0 + start + length
    visits = visits_of(log, start, start + length)
    counts: Counter[tuple[str, str]] = Counter()
    for queue, result in zip(visits["queue"], visits["result"].astype(str), strict=True):
        counts[(queue, "offered")] += 1
        counts[(queue, result)] += 1
    assert counts == oracle(log, lo, hi)
    edges = np.array([lo, lo + length / 3, lo + 2 * length / 3, hi])
    visits["interval"] = bucket_index(visits["entered_at"].to_numpy(), edges)
    for _, group in visits.groupby(["queue", "interval"]):
        sizes = group["result"].value_counts()
        offered = len(group)
        assert (
            offered
            == sizes["answered"] + sizes["abandoned"] + sizes["overflowed"] + sizes["waiting"]
        )
    blocked = blocked_calls(data_from_lists([], log.events).queue_events, lo, hi)
    turned_away = [e for e in log.events if e.kind == "EXITFULL" and lo <= e.at < hi]
    assert len(blocked) == len(turned_away)
