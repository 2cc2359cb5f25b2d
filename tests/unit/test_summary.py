"""The period summary, checked figure by figure on small hand-computed data sets."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_core.call_records import CallEventData, CallRecordData
from reporting.summary import Summary, summarize

pytestmark = pytest.mark.unit

T = 20.0  # service-level threshold
SHORT = 5.0  # short-abandon limit


def answered(
    call_id: str, arrived: float, wait: float, talk: float, wrap: float, agent: str
) -> CallRecordData:
    """A call queued on arrival, answered after `wait`, talked `talk`, wrapped `wrap`."""
    return CallRecordData(
        call_id=call_id,
        direction="in",
        ani="+4930123",
        dnis="100",
        arrived_at=arrived,
        queue="sales",
        agent_id=agent,
        queued_at=arrived,
        answered_at=arrived + wait,
        ended_at=arrived + wait + talk,
        wrap_up_ended_at=arrived + wait + talk + wrap,
        outcome="answered",
        ended_by="caller",
    )


def left(call_id: str, arrived: float, wait: float, outcome: str = "abandoned") -> CallRecordData:
    """A call queued on arrival that left the queue unanswered after `wait`."""
    return CallRecordData(
        call_id=call_id,
        direction="in",
        ani="+4930123",
        dnis="100",
        arrived_at=arrived,
        queue="sales",
        queued_at=arrived,
        ended_at=arrived + wait,
        outcome=outcome,
        ended_by="caller",
    )


def ivr(call_id: str, arrived: float) -> CallRecordData:
    """A call that finished in the IVR."""
    return CallRecordData(
        call_id=call_id,
        direction="in",
        ani="+4930123",
        dnis="100",
        arrived_at=arrived,
        ended_at=arrived + 30,
        outcome="ivr",
    )


def ev(seq: int, at: float, kind: str, agent: str) -> CallEventData:
    """An agent-only call event."""
    return CallEventData(seq=seq, at=at, call_id="", kind=kind, agent_id=agent)


def run(records: list[CallRecordData], events: list[CallEventData], **kw: float) -> Summary:
    return summarize(records, events, threshold_s=T, short_abandon_s=SHORT, **kw)


MIXED_RECORDS = [
    answered("a1", 1000, wait=10, talk=100, wrap=20, agent="A"),
    answered("a2", 1010, wait=30, talk=200, wrap=10, agent="B"),
    answered("a3", 1020, wait=20, talk=60, wrap=0, agent="A"),  # exactly T: within
    left("ab1", 1030, wait=3),  # short
    left("ab2", 1040, wait=5),  # exactly the short limit: short
    left("ab3", 1050, wait=40),
    ivr("ivr1", 1060),
    left("ov1", 1070, wait=60, outcome="overflow"),
]
MIXED_EVENTS = [
    ev(1, 900, "AGENTLOGIN", "A"),
    ev(2, 1000, "AGENTLOGIN", "B"),
    ev(3, 1500, "PAUSE", "A"),
    ev(4, 1500, "AGENTLOGOFF", "B"),
    ev(5, 1600, "UNPAUSE", "A"),
    ev(6, 2000, "AGENTLOGOFF", "A"),
]


def test_mixed_period_counts() -> None:
    s = run(MIXED_RECORDS, MIXED_EVENTS)
    assert (s.offered, s.answered, s.answered_within_threshold) == (7, 3, 2)
    assert (s.abandoned, s.short_abandoned, s.ivr_handled, s.overflowed) == (3, 2, 1, 1)


def test_mixed_period_service_level_leaves_out_short_abandons() -> None:
    # 2 answered within 20 s / (3 answered + 1 abandon longer than 5 s)
    assert run(MIXED_RECORDS, MIXED_EVENTS).service_level == pytest.approx(0.5)


def test_mixed_period_times() -> None:
    s = run(MIXED_RECORDS, MIXED_EVENTS)
    assert s.asa_s == pytest.approx((10 + 30 + 20) / 3)
    assert s.longest_wait_s == pytest.approx(60)  # the overflowed call
    assert s.aht_s == pytest.approx((120 + 210 + 60) / 3)
    assert s.avg_talk_s == pytest.approx(120)


def test_mixed_period_rates() -> None:
    s = run(MIXED_RECORDS, MIXED_EVENTS)
    assert s.answer_rate == pytest.approx(3 / 7)
    assert s.loss_rate == pytest.approx(3 / 7)
    assert s.answered_beyond_threshold_rate == pytest.approx(1 / 3)


def test_mixed_period_occupancy() -> None:
    # A: logged in 1100 s, paused 100 s, handled 180 s -> idle 820 s.
    # B: logged in 500 s, handled 210 s -> idle 290 s.
    occupancy = run(MIXED_RECORDS, MIXED_EVENTS).occupancy
    assert occupancy == pytest.approx(390 / (390 + 820 + 290))


def test_no_calls_and_no_events_gives_zero_counts_and_no_ratios() -> None:
    s = run([], [])
    assert (s.offered, s.answered, s.abandoned, s.short_abandoned) == (0, 0, 0, 0)
    assert s.service_level is None
    assert s.asa_s is None
    assert s.longest_wait_s is None
    assert s.aht_s is None
    assert s.avg_talk_s is None
    assert s.answer_rate is None
    assert s.loss_rate is None
    assert s.answered_beyond_threshold_rate is None
    assert s.occupancy is None


def test_all_abandoned_gives_zero_service_level_and_full_loss() -> None:
    s = run([left("x1", 0, 30), left("x2", 10, 90)], [])
    assert s.service_level == 0.0
    assert s.answer_rate == 0.0
    assert s.loss_rate == 1.0
    assert s.asa_s is None
    assert s.longest_wait_s == 90


def test_only_short_abandons_leave_service_level_undefined_but_count_as_lost() -> None:
    s = run([left("x1", 0, 1), left("x2", 10, SHORT)], [])
    assert (s.abandoned, s.short_abandoned) == (2, 2)
    assert s.service_level is None
    assert s.loss_rate == 1.0


def test_abandon_with_unknown_wait_counts_as_a_real_abandon() -> None:
    never_ended = left("x1", 0, 1)
    never_ended.ended_at = None
    s = run([never_ended], [])
    assert (s.abandoned, s.short_abandoned) == (1, 0)
    assert s.service_level == 0.0


def test_call_answered_without_queue_counts_as_answered_at_once_but_not_offered() -> None:
    direct = answered("d1", 0, wait=0, talk=50, wrap=0, agent="A")
    direct.queued_at = None
    s = run([direct], [])
    assert (s.offered, s.answered, s.answered_within_threshold) == (0, 1, 1)
    assert s.asa_s == 0.0
    assert s.answer_rate is None


def test_agent_who_never_logged_off_is_closed_at_the_last_event_without_a_window() -> None:
    events = [ev(1, 0, "AGENTLOGIN", "A"), ev(2, 100, "AGENTLOGIN", "B"), ev(3, 400, "PAUSE", "B")]
    records = [answered("a1", 0, wait=0, talk=100, wrap=0, agent="A")]
    # A: logged in 0..400 (last event), handle 100 -> idle 300. B: 100..400, paused 400..400.
    s = run(records, events)
    assert s.occupancy == pytest.approx(100 / (100 + 300 + 300))


def test_agent_who_never_logged_off_is_closed_at_the_window_end() -> None:
    events = [ev(1, 0, "AGENTLOGIN", "A")]
    records = [answered("a1", 10, wait=0, talk=100, wrap=0, agent="A")]
    s = run(records, events, start=0, end=1000)
    assert s.occupancy == pytest.approx(100 / 1000)


def test_pause_that_never_ended_counts_up_to_logoff() -> None:
    events = [
        ev(1, 0, "AGENTLOGIN", "A"),
        ev(2, 600, "PAUSE", "A"),
        ev(3, 1000, "AGENTLOGOFF", "A"),
    ]
    records = [answered("a1", 10, wait=0, talk=200, wrap=0, agent="A")]
    # logged in 1000, paused 400, handle 200 -> idle 400
    assert run(records, events).occupancy == pytest.approx(200 / 600)


def test_pause_that_never_ended_counts_up_to_window_end() -> None:
    events = [ev(1, 0, "AGENTLOGIN", "A"), ev(2, 700, "PAUSE", "A")]
    records = [answered("a1", 10, wait=0, talk=100, wrap=0, agent="A")]
    # window 0..1000: logged in 1000, paused 300, handle 100 -> idle 600
    assert run(records, events, start=0, end=1000).occupancy == pytest.approx(100 / 700)


def test_window_keeps_only_calls_arriving_in_start_inclusive_end_exclusive() -> None:
    records = [left("before", 99, 30), left("first", 100, 30), left("last", 199.5, 30)]
    records.append(left("at-end", 200, 30))
    s = run(records, [], start=100, end=200)
    assert s.offered == 2
    assert s.abandoned == 2


def test_window_clips_sessions_that_started_before_it() -> None:
    events = [ev(1, 0, "AGENTLOGIN", "A"), ev(2, 2000, "AGENTLOGOFF", "A")]
    records = [answered("a1", 500, wait=0, talk=250, wrap=0, agent="A")]
    assert run(records, events, start=500, end=1500).occupancy == pytest.approx(0.25)


def test_agent_whose_first_event_in_the_window_is_a_logoff_was_logged_in_from_the_start() -> None:
    events = [ev(1, 600, "AGENTLOGOFF", "A")]
    records = [answered("a1", 500, wait=0, talk=50, wrap=0, agent="A")]
    assert run(records, events, start=500, end=1000).occupancy == pytest.approx(0.5)


def test_agent_whose_first_event_is_an_unpause_was_paused_from_the_start() -> None:
    events = [ev(1, 700, "UNPAUSE", "A")]
    records = [answered("a1", 800, wait=0, talk=100, wrap=0, agent="A")]
    # window 500..1000: logged in 500, paused 200, handle 100 -> idle 200
    assert run(records, events, start=500, end=1000).occupancy == pytest.approx(100 / 300)


def test_idle_is_floored_at_zero_when_handling_exceeds_logged_in_time() -> None:
    events = [ev(1, 0, "AGENTLOGIN", "A"), ev(2, 50, "AGENTLOGOFF", "A")]
    records = [answered("a1", 0, wait=0, talk=100, wrap=0, agent="A")]
    assert run(records, events).occupancy == 1.0


def test_agent_events_are_ordered_by_time_then_sequence_and_duplicates_ignored() -> None:
    events = [
        ev(4, 1000, "AGENTLOGOFF", "A"),
        ev(2, 0, "AGENTLOGIN", "A"),  # a second login while logged in changes nothing
        ev(1, 0, "AGENTLOGIN", "A"),
        ev(3, 500, "UNPAUSE", "A"),  # no pause open: ignored
        ev(5, 900, "AGENTLOGIN", ""),  # no agent: ignored
    ]
    records = [answered("a1", 0, wait=0, talk=100, wrap=0, agent="A")]
    assert run(records, events).occupancy == pytest.approx(0.1)


def test_pause_while_logged_out_is_ignored() -> None:
    events = [
        ev(1, 0, "PAUSE", "A"),
        ev(2, 100, "AGENTLOGIN", "A"),
        ev(3, 1100, "AGENTLOGOFF", "A"),
    ]
    records = [answered("a1", 200, wait=0, talk=100, wrap=0, agent="A")]
    assert run(records, events).occupancy == pytest.approx(0.1)


def test_as_dict_is_json_ready_and_rounded() -> None:
    d = run(MIXED_RECORDS, MIXED_EVENTS).as_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["answer_rate"] == 0.4286
    assert d["asa_s"] == 20.0
    assert d["aht_s"] == 130.0
    assert d["offered"] == 7
    assert run([], []).as_dict()["service_level"] is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"threshold_s": -1.0, "short_abandon_s": SHORT}, "threshold_s"),
        ({"threshold_s": math.nan, "short_abandon_s": SHORT}, "threshold_s"),
        ({"threshold_s": T, "short_abandon_s": -0.5}, "short_abandon_s"),
        ({"threshold_s": T, "short_abandon_s": SHORT, "start": 10.0, "end": 5.0}, "before"),
    ],
)
def test_bad_arguments_are_refused_with_clear_message(
    kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        summarize([], [], **kwargs)


waits = st.floats(min_value=0, max_value=600, allow_nan=False)
calls = st.lists(
    st.one_of(
        st.builds(lambda w, t: ("answered", w, t), waits, waits),
        st.builds(lambda w: ("abandoned", w, 0.0), waits),
    ),
    max_size=30,
)


@given(calls=calls)
def test_figures_stay_within_their_ranges(calls: list[tuple[str, float, float]]) -> None:
    records = [
        answered(str(i), i, w, t, 0, "A") if kind == "answered" else left(str(i), i, w)
        for i, (kind, w, t) in enumerate(calls)
    ]
    s = run(records, [ev(1, 0, "AGENTLOGIN", "A")])
    assert s.offered == s.answered + s.abandoned == len(calls)
    assert s.short_abandoned <= s.abandoned
    for ratio in (s.service_level, s.answer_rate, s.loss_rate, s.occupancy):
        assert ratio is None or 0.0 <= ratio <= 1.0
    if s.answer_rate is not None and s.loss_rate is not None:
        assert s.answer_rate + s.loss_rate == pytest.approx(1.0)
