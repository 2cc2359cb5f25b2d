"""Backlog figures: in backlog and overdue at an instant, growth per day, week and month."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_core.backlog import (
    BacklogRow,
    Bucket,
    ResolutionTarget,
    TicketHistory,
    backlog_at,
    backlog_growth,
    in_backlog,
    is_overdue,
    overdue_at,
    periods,
)
from crm_core.ticket_rules import TRANSITIONS, TicketStatus

pytestmark = pytest.mark.unit

S = TicketStatus
TZ = "Asia/Shanghai"
SHANGHAI = ZoneInfo(TZ)
H = timedelta(hours=1)
D = timedelta(days=1)
MON = datetime(2025, 1, 6, tzinfo=SHANGHAI)  # Monday 00:00 local


def history(
    ticket_id: int,
    created: datetime,
    *changes: tuple[datetime, S],
    target: timedelta | None = None,
) -> TicketHistory:
    resolution = None if target is None else ResolutionTarget(target)
    return TicketHistory(ticket_id, created, tuple(changes), resolution)


# --- at an instant ------------------------------------------------------------------------------


def test_a_ticket_is_in_the_backlog_from_creation_until_resolved_and_again_when_reopened() -> None:
    h = history(1, MON + H, (MON + 3 * H, S.RESOLVED), (MON + 5 * H, S.OPEN))
    assert not in_backlog(h, MON)
    assert not in_backlog(h, MON + H)  # "at t" is just before t
    assert in_backlog(h, MON + 2 * H)
    assert not in_backlog(h, MON + 4 * H)
    assert in_backlog(h, MON + 6 * H)


def test_pending_tickets_are_in_the_backlog() -> None:
    assert in_backlog(history(1, MON, (MON + H, S.PENDING)), MON + 2 * H)


def test_backlog_counts_open_tickets_only() -> None:
    histories = [
        history(1, MON),
        history(2, MON, (MON + H, S.RESOLVED)),
        history(3, MON + 5 * H),
        history(4, MON, (MON + H, S.RESOLVED), (MON + 2 * H, S.CLOSED)),
    ]
    assert backlog_at(histories, MON + 3 * H) == 1
    assert backlog_at(histories, MON + 6 * H) == 2


def test_changes_are_taken_in_time_order_whatever_order_they_come_in() -> None:
    h = history(1, MON, (MON + 3 * H, S.RESOLVED), (MON + H, S.OPEN))
    assert h.status_before(MON + 2 * H) is S.OPEN


def test_given_a_change_before_creation_then_the_history_is_refused() -> None:
    with pytest.raises(ValueError, match="before its creation"):
        history(1, MON, (MON - H, S.OPEN))


def test_a_ticket_past_its_resolution_target_is_overdue() -> None:
    h = history(1, MON, target=8 * H)
    assert not is_overdue(h, MON + 8 * H)
    assert is_overdue(h, MON + 9 * H)


def test_time_pending_is_not_held_against_the_ticket() -> None:
    h = history(1, MON, (MON + H, S.PENDING), (MON + 5 * H, S.OPEN), target=8 * H)
    assert not is_overdue(h, MON + 4 * H)  # paused
    assert not is_overdue(h, MON + 11 * H)  # 7 h running
    assert is_overdue(h, MON + 13 * H)


def test_resolved_and_untargeted_tickets_are_never_overdue() -> None:
    assert not is_overdue(history(1, MON, (MON + 20 * H, S.RESOLVED), target=H), MON + 30 * H)
    assert not is_overdue(history(2, MON), MON + 300 * D)


def test_overdue_lists_ticket_ids() -> None:
    histories = [history(1, MON, target=H), history(2, MON, target=9 * H), history(3, MON)]
    assert overdue_at(histories, MON + 2 * H) == [1]


# --- periods ------------------------------------------------------------------------------------


def test_weeks_start_on_monday_and_months_on_the_first() -> None:
    assert periods(date(2025, 1, 8), date(2025, 1, 14), Bucket.WEEK) == [
        (date(2025, 1, 6), date(2025, 1, 13)),
        (date(2025, 1, 13), date(2025, 1, 20)),
    ]
    assert periods(date(2024, 12, 31), date(2025, 2, 1), Bucket.MONTH) == [
        (date(2024, 12, 1), date(2025, 1, 1)),
        (date(2025, 1, 1), date(2025, 2, 1)),
        (date(2025, 2, 1), date(2025, 3, 1)),
    ]
    assert len(periods(date(2024, 2, 1), date(2024, 2, 29), Bucket.DAY)) == 29


def test_given_a_reversed_or_huge_range_then_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        periods(date(2025, 1, 2), date(2025, 1, 1), Bucket.DAY)
    with pytest.raises(ValueError, match="shorter range"):
        periods(date(2000, 1, 1), date(2025, 1, 1), Bucket.DAY)


# --- growth -------------------------------------------------------------------------------------


def test_growth_per_day_counts_flows_and_backlog_at_both_ends() -> None:
    histories = [
        history(1, MON - D),  # open before the window
        history(2, MON + 9 * H, (MON + 10 * H, S.RESOLVED)),
        history(3, MON + 10 * H, (MON + D + H, S.RESOLVED), (MON + D + 2 * H, S.OPEN)),
        history(4, MON + D + 3 * H, target=H),
    ]
    rows = backlog_growth(histories, date(2025, 1, 6), date(2025, 1, 7), Bucket.DAY, TZ)
    assert rows == [
        BacklogRow(date(2025, 1, 6), date(2025, 1, 7), created=2, resolved=1, reopened=0,
                   backlog_start=1, backlog_end=2, overdue_end=0),
        BacklogRow(date(2025, 1, 7), date(2025, 1, 8), created=1, resolved=1, reopened=1,
                   backlog_start=2, backlog_end=3, overdue_end=1),
    ]  # fmt: skip
    assert [(r.growth, r.net_flow) for r in rows] == [(1, 1), (1, 0)]


def test_days_are_local_days_of_the_center() -> None:
    # 23:30 UTC on Jan 5 is 07:30 on Jan 6 in Shanghai.
    created = datetime(2025, 1, 5, 23, 30, tzinfo=UTC)
    rows = backlog_growth([history(1, created)], date(2025, 1, 5), date(2025, 1, 6), Bucket.DAY, TZ)
    assert [r.created for r in rows] == [0, 1]


events = st.lists(
    st.tuples(st.integers(0, 20 * 24), st.lists(st.integers(1, 48), max_size=5)),
    max_size=25,
)


def _histories(spec: list[tuple[int, list[int]]]) -> list[TicketHistory]:
    """Random but valid ticket lives: each step takes an allowed transition."""
    out = []
    for number, (created_h, gaps) in enumerate(spec):
        created = MON + created_h * H
        at, status, changes = created, S.NEW, []
        for gap in gaps:
            options = sorted(TRANSITIONS[status])
            if not options:
                break
            status = options[gap % len(options)]
            at += gap * H
            changes.append((at, status))
        out.append(history(number, created, *changes, target=24 * H))
    return out


@settings(max_examples=150, deadline=None)
@given(spec=events, bucket=st.sampled_from(list(Bucket)))
def test_growth_equals_created_minus_resolved_plus_reopened_and_periods_chain(
    spec: list[tuple[int, list[int]]], bucket: Bucket
) -> None:
    histories = _histories(spec)
    rows = backlog_growth(histories, date(2025, 1, 6), date(2025, 1, 31), bucket, TZ)
    for row in rows:
        assert row.growth == row.created - row.resolved + row.reopened
        start = datetime.combine(row.start, datetime.min.time(), tzinfo=SHANGHAI)
        assert row.backlog_start == backlog_at(histories, start)
        end = datetime.combine(row.end, datetime.min.time(), tzinfo=SHANGHAI)
        assert row.overdue_end == len(overdue_at(histories, end))
        assert 0 <= row.overdue_end <= row.backlog_end
    for before, after in itertools.pairwise(rows):
        assert before.end == after.start
        assert before.backlog_end == after.backlog_start


@settings(max_examples=150, deadline=None)
@given(spec=events, hours=st.lists(st.integers(0, 30 * 24), min_size=1, max_size=10))
def test_overdue_spans_agree_with_overdue_at_every_instant(
    spec: list[tuple[int, list[int]]], hours: list[int]
) -> None:
    for history in _histories(spec):
        spans = history.overdue_spans()
        for hour in hours:
            at = MON + hour * H + timedelta(minutes=30)
            inside = any(start < at and (until is None or at <= until) for start, until in spans)
            assert inside == is_overdue(history, at)


def test_overdue_spans_of_a_ticket_paused_then_late() -> None:
    h = history(1, MON, (MON + H, S.PENDING), (MON + 5 * H, S.OPEN), (MON + 20 * H, S.RESOLVED),
                target=8 * H)  # fmt: skip
    assert h.overdue_spans() == [(MON + 12 * H, MON + 20 * H)]
    assert history(2, MON).overdue_spans() == []
    assert history(3, MON, target=H).overdue_spans() == [(MON + H, None)]
