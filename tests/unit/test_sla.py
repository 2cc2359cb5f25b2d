"""SLA policies and clocks: policy fallbacks, due times in calendar and business time, pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from config.center import HoursDef
from crm_core.business_time import CONTINUOUS, BusinessCalendar
from crm_core.sla import (
    ANY,
    DEFAULT_POLICY,
    Pause,
    SlaPolicy,
    clock_at,
    due_at,
    pauses_from,
    select_policy,
    working_time,
)
from crm_core.ticket_rules import TicketPriority, TicketStatus

pytestmark = pytest.mark.unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
T0 = datetime(2025, 1, 6, 9, tzinfo=SHANGHAI)  # a Monday, 09:00 local
OFFICE = BusinessCalendar(
    HoursDef(weekly={d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}),
    "Asia/Shanghai",
)


def policy(category: str = ANY, priority: str = ANY, hours: float = 24) -> SlaPolicy:
    return SlaPolicy(category, priority, resolution=hours * H)


# --- policies -----------------------------------------------------------------------------------

POLICIES = [
    policy("billing", "urgent", 2),
    policy("billing", ANY, 8),
    policy(ANY, "urgent", 4),
    policy(ANY, ANY, 48),
]


@pytest.mark.parametrize(
    ("category", "priority", "hours"),
    [
        ("billing", "urgent", 2),  # exact match
        ("billing", "low", 8),  # category, any priority
        ("repair", "urgent", 4),  # any category, this priority
        ("repair", "normal", 48),  # catch-all
    ],
)
def test_policy_is_chosen_by_the_fallback_order(category: str, priority: str, hours: int) -> None:
    assert select_policy(POLICIES, category, TicketPriority(priority)).resolution == hours * H


def test_without_any_matching_policy_the_built_in_default_applies() -> None:
    assert select_policy([policy("billing")], "repair", "normal") is DEFAULT_POLICY
    assert DEFAULT_POLICY.response == 8 * H
    assert DEFAULT_POLICY.resolution == 72 * H


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"resolution": timedelta(0)}, "resolution target"),
        ({"resolution": -H}, "resolution target"),
        ({"resolution": timedelta(days=400)}, "resolution target"),
        ({"response": timedelta(0)}, "response target"),
        ({"response": 30 * H}, "not be later"),
        ({"priority": "critical"}, "priority"),
        ({"category": ""}, "category"),
        ({"category": " billing"}, "category"),
        ({"category": "x" * 65}, "category"),
        ({"category": "Billing"}, "lower-case"),
    ],
)
def test_given_a_bad_policy_then_it_is_refused_with_the_reason(
    kwargs: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {"category": ANY, "priority": ANY, "resolution": 24 * H}
    fields.update(kwargs)
    with pytest.raises(ValueError, match=message):
        SlaPolicy(**fields)  # type: ignore[arg-type]


def test_a_business_hours_policy_counts_in_the_calendar() -> None:
    assert working_time(SlaPolicy(ANY, ANY, 8 * H, business_hours=True), OFFICE) is OFFICE
    assert working_time(SlaPolicy(ANY, ANY, 8 * H), OFFICE) is CONTINUOUS


# --- due times ----------------------------------------------------------------------------------


def test_in_calendar_time_due_is_creation_plus_target() -> None:
    assert due_at(T0, 8 * H) == T0 + 8 * H


def test_in_business_hours_a_nine_hour_target_ends_the_next_morning() -> None:
    start = datetime(2025, 1, 6, 17, tzinfo=SHANGHAI)
    assert due_at(start, 9 * H, working=OFFICE) == datetime(2025, 1, 7, 17, tzinfo=SHANGHAI)


def test_given_a_pending_stretch_then_due_moves_by_its_length() -> None:
    pauses = [Pause(T0 + H, T0 + 3 * H)]
    assert due_at(T0, 8 * H, pauses) == T0 + 10 * H


def test_given_a_pause_overnight_in_business_hours_then_only_open_time_is_added() -> None:
    # Pending from 17:00 to 10:00 next day: 2 business hours paused (17-18, 09-10).
    pauses = [Pause(T0 + 8 * H, datetime(2025, 1, 7, 10, tzinfo=SHANGHAI))]
    due = due_at(T0, 9 * H, pauses, OFFICE)
    assert due == datetime(2025, 1, 7, 11, tzinfo=SHANGHAI)


def test_while_pending_short_of_the_target_there_is_no_due_time() -> None:
    assert due_at(T0, 8 * H, [Pause(T0 + H)]) is None


def test_a_ticket_breached_before_its_pause_stays_due_at_the_breach() -> None:
    assert due_at(T0, 2 * H, [Pause(T0 + 5 * H)]) == T0 + 2 * H


def test_pauses_before_creation_and_overlapping_pauses_count_once() -> None:
    pauses = [
        Pause(T0 - 5 * H, T0 + H),
        Pause(T0 + 2 * H, T0 + 4 * H),
        Pause(T0 + 3 * H, T0 + 5 * H),
    ]
    # Running: 0 (paused until +1h), +1h..+2h, then from +5h: 8h target → +5h + 7h.
    assert due_at(T0, 8 * H, pauses) == T0 + 12 * H


# --- pauses from status changes -----------------------------------------------------------------


def test_pending_and_resolved_stretches_pause_the_clock_and_reopening_resumes_it() -> None:
    changes = [
        (T0 + 1 * H, TicketStatus.OPEN),
        (T0 + 2 * H, TicketStatus.PENDING),
        (T0 + 3 * H, TicketStatus.OPEN),
        (T0 + 4 * H, TicketStatus.RESOLVED),
        (T0 + 6 * H, TicketStatus.OPEN),
        (T0 + 7 * H, TicketStatus.RESOLVED),
        (T0 + 8 * H, TicketStatus.CLOSED),
    ]
    assert pauses_from(changes) == [
        Pause(T0 + 2 * H, T0 + 3 * H),
        Pause(T0 + 4 * H, T0 + 6 * H),
        Pause(T0 + 7 * H),
    ]
    assert pauses_from(changes, until=T0 + 5 * H) == [
        Pause(T0 + 2 * H, T0 + 3 * H),
        Pause(T0 + 4 * H),
    ]


def test_pending_to_resolved_is_one_pause() -> None:
    changes = [(T0 + H, TicketStatus.PENDING), (T0 + 2 * H, TicketStatus.RESOLVED)]
    assert pauses_from(changes) == [Pause(T0 + H)]


# --- the clock read at an instant ---------------------------------------------------------------


def test_clock_running_reports_elapsed_remaining_and_due() -> None:
    clock = clock_at(T0, 8 * H, [], CONTINUOUS, T0 + 3 * H)
    assert (clock.due_at, clock.elapsed, clock.remaining) == (T0 + 8 * H, 3 * H, 5 * H)
    assert not clock.paused
    assert not clock.breached


def test_clock_paused_has_no_due_and_stops_elapsing() -> None:
    clock = clock_at(T0, 8 * H, [Pause(T0 + 2 * H)], CONTINUOUS, T0 + 20 * H)
    assert clock.paused
    assert clock.due_at is None
    assert clock.elapsed == 2 * H
    assert not clock.breached


def test_clock_ignores_what_happens_after_now() -> None:
    pauses = [Pause(T0 + 2 * H, T0 + 30 * H)]
    clock = clock_at(T0, 8 * H, pauses, CONTINUOUS, T0 + 10 * H)
    assert clock.paused
    assert clock.elapsed == 2 * H


def test_clock_past_due_is_breached_with_negative_remaining() -> None:
    clock = clock_at(T0, 8 * H, [], CONTINUOUS, T0 + 9 * H)
    assert clock.breached
    assert clock.remaining == -H


def test_at_the_due_instant_the_ticket_is_not_yet_breached() -> None:
    assert not clock_at(T0, 8 * H, [], CONTINUOUS, T0 + 8 * H).breached


# --- properties ---------------------------------------------------------------------------------

offsets = st.integers(0, 30 * 24 * 3600).map(lambda s: timedelta(seconds=s))
targets = st.integers(1, 10 * 24 * 3600).map(lambda s: timedelta(seconds=s))
pause_lists = st.lists(st.tuples(offsets, offsets), max_size=4).map(
    lambda pairs: [Pause(T0 + min(a, b), T0 + max(a, b)) for a, b in pairs if a != b]
)
workings = st.sampled_from([CONTINUOUS, OFFICE])


@settings(max_examples=200, deadline=None)
@given(target=targets, pauses=pause_lists, working=workings)
def test_running_time_from_start_to_due_equals_the_target(
    target: timedelta, pauses: list[Pause], working: BusinessCalendar
) -> None:
    due = due_at(T0, target, pauses, working)
    assert due is not None
    paused = sum(
        (working.between(max(p.start, T0), min(p.end or due, due)) for p in _merged(pauses)),
        timedelta(0),
    )
    assert working.between(T0, due) - paused == target


@settings(max_examples=200, deadline=None)
@given(target=targets, pauses=pause_lists)
def test_in_calendar_time_due_moves_by_exactly_the_time_paused_before_it(
    target: timedelta, pauses: list[Pause]
) -> None:
    due = due_at(T0, target, pauses)
    assert due is not None
    paused = sum(
        (min(p.end or due, due) - p.start for p in _merged(pauses) if p.start < due),
        timedelta(0),
    )
    assert due == T0 + target + paused


@settings(max_examples=200, deadline=None)
@given(shorter=targets, extra=targets, pauses=pause_lists, working=workings)
def test_a_longer_target_is_never_due_earlier(
    shorter: timedelta, extra: timedelta, pauses: list[Pause], working: BusinessCalendar
) -> None:
    first = due_at(T0, shorter, pauses, working)
    second = due_at(T0, shorter + extra, pauses, working)
    assert first is not None
    assert second is not None
    assert second >= first


@settings(max_examples=200, deadline=None)
@given(target=targets, pauses=pause_lists, now=offsets, working=workings)
def test_breached_exactly_when_elapsed_running_time_exceeds_the_target(
    target: timedelta, pauses: list[Pause], now: timedelta, working: BusinessCalendar
) -> None:
    clock = clock_at(T0, target, pauses, working, T0 + now)
    assume(clock.due_at is None or clock.due_at != T0 + now)
    if clock.breached:
        assert clock.elapsed >= target
    else:
        assert clock.remaining >= timedelta(0)
    assert clock.elapsed + clock.remaining == target


def _merged(pauses: list[Pause]) -> list[Pause]:
    out: list[Pause] = []
    for pause in sorted(pauses, key=lambda p: p.start):
        if out and out[-1].end is not None and pause.start <= out[-1].end:
            end = out[-1].end if pause.end is None else max(out[-1].end, pause.end)
            out[-1] = Pause(out[-1].start, end)
        else:
            out.append(pause)
    return out


def test_times_are_returned_in_utc() -> None:
    due = due_at(T0, H)
    assert due is not None
    assert due.utcoffset() == timedelta(0)
    assert due == datetime(2025, 1, 6, 2, tzinfo=UTC)
