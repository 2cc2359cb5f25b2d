"""Agent figures: logged-in and paused spans from agent events (across midnight, pauses by reason,
agents already logged in before the window), busy time, AHT, occupancy, ring-no-answer."""

from __future__ import annotations

import pytest
from test_report_support import HOUR, Log, small_center

from reporting.agents import agent_spans
from reporting.data import data_from_lists
from reporting.intervals import parse_interval
from reporting.report import ReportSpec, build_report

pytestmark = pytest.mark.unit

DAY = 24 * HOUR
MIDNIGHT = 15 * HOUR  # Log's t0 is 09:00; t0 + 15 h is local midnight


def spans(log: Log, close_at: float = 10 * DAY) -> tuple[list[tuple], list[tuple]]:
    frame = data_from_lists([], log.events).agent_events
    found = agent_spans(frame, log.t0 + close_at)
    rel = log.t0
    logged = [(a, s - rel, e - rel) for a, s, e in found.logged]
    paused = [(a, s - rel, e - rel, r) for a, s, e, r in found.paused]
    return logged, paused


def test_login_pause_unpause_logoff():
    log = Log()
    log.ev(0, "AGENTLOGIN", agent="x")
    log.ev(100, "PAUSE", agent="x", reason="break")
    log.ev(160, "UNPAUSE", agent="x")
    log.ev(500, "AGENTLOGOFF", agent="x")
    assert spans(log) == ([("x", 0, 500)], [("x", 100, 160, "break")])


def test_a_new_pause_reason_ends_the_previous_pause_and_a_logoff_ends_a_pause():
    log = Log()
    log.ev(0, "AGENTLOGIN", agent="x")
    log.ev(10, "PAUSE", agent="x", reason="break")
    log.ev(20, "UNPAUSE", agent="x")
    log.ev(20, "PAUSE", agent="x", reason="meeting")
    log.ev(50, "AGENTLOGOFF", agent="x")
    assert spans(log)[1] == [("x", 10, 20, "break"), ("x", 20, 50, "meeting")]


def test_an_agent_first_seen_unpausing_was_logged_in_and_paused_before():
    log = Log()
    log.ev(30, "UNPAUSE", agent="x")
    log.ev(90, "AGENTLOGOFF", agent="x")
    logged, paused = spans(log)
    assert logged[0][1] == float("-inf")
    assert logged[0][2] == 90
    assert paused[0][2:] == (30, "unspecified")


def test_spans_still_open_close_at_the_given_time():
    log = Log()
    log.ev(0, "AGENTLOGIN", agent="x")
    log.ev(40, "PAUSE", agent="x", reason="")
    assert spans(log, close_at=100) == ([("x", 0, 100)], [("x", 40, 100, "unspecified")])


def two_day_report(log: Log, interval: str = "day", start: float = 0.0) -> dict:
    spec = ReportSpec(
        start=log.t0 + start - 9 * HOUR,  # midnight before t0
        end=log.t0 - 9 * HOUR + 2 * DAY,
        interval=parse_interval(interval),
        by=("agent", "interval"),
    )
    report = build_report(data_from_lists(log.records, log.events), small_center(), spec)
    return {
        round((r["interval_start"] - spec.start) / HOUR): r
        for r in report.grouped.to_dict("records")
        if r["agent_id"] == "x"
    }


def test_an_agent_logged_in_across_midnight_has_time_on_both_days():
    log = Log()
    log.ev(MIDNIGHT - 2 * HOUR, "AGENTLOGIN", agent="x")  # 22:00
    log.ev(MIDNIGHT - HOUR, "PAUSE", agent="x", reason="break")  # 23:00
    log.ev(MIDNIGHT + HOUR, "UNPAUSE", agent="x")  # 01:00
    log.ev(MIDNIGHT + 3 * HOUR, "AGENTLOGOFF", agent="x")  # 03:00
    days = two_day_report(log)
    assert days[0]["logged_in_s"] == pytest.approx(2 * HOUR)
    assert days[24]["logged_in_s"] == pytest.approx(3 * HOUR)
    assert days[0]["pause_break_s"] == pytest.approx(HOUR)
    assert days[24]["pause_break_s"] == pytest.approx(HOUR)
    assert days[24]["idle_s"] == pytest.approx(2 * HOUR)


def test_a_report_of_the_second_day_alone_counts_from_midnight():
    log = Log()
    log.ev(MIDNIGHT - 2 * HOUR, "AGENTLOGIN", agent="x")
    log.ev(MIDNIGHT + 3 * HOUR, "AGENTLOGOFF", agent="x")
    days = two_day_report(log, start=DAY)
    assert list(days) == [0]
    assert days[0]["logged_in_s"] == pytest.approx(3 * HOUR)


def test_a_call_across_midnight_is_handled_on_the_first_day_and_busy_on_both():
    log = Log()
    log.ev(MIDNIGHT - 2 * HOUR, "AGENTLOGIN", agent="x")
    log.answered("c", "sales", "x", queued=MIDNIGHT - 70, answered=MIDNIGHT - 60, talk=100, wrap=20)
    log.ev(MIDNIGHT + 2 * HOUR, "AGENTLOGOFF", agent="x")
    days = two_day_report(log)
    assert (days[0]["calls_handled"], days[0]["talk_s"], days[0]["aht_s"]) == (1, 100, 120)
    assert days[0]["busy_s"] == pytest.approx(60)
    assert days[24]["busy_s"] == pytest.approx(60)
    assert days[24]["calls_handled"] == 0
    assert days[0]["occupancy"] == pytest.approx(60 / (2 * HOUR))


def test_ring_no_answer_is_counted_per_agent_and_hold_is_zero():
    log = Log()
    log.ev(0, "AGENTLOGIN", agent="x")
    log.ev(10, "RINGNOANSWER", "c", "sales", "x", ring_s=15)
    log.ev(50, "RINGNOANSWER", "d", "sales", "x", ring_s=15)
    days = two_day_report(log, interval="day")
    assert days[0]["ring_no_answer"] == 2
    assert days[0]["hold_s"] == 0
