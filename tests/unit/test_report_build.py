"""The whole report on the hand-computed data set (see test_report_support): every figure checked
against values worked out by hand, by queue, by call, by interval and by agent."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from test_report_support import HOUR, T0, hand_log, small_center

from reporting.data import data_from_lists
from reporting.intervals import parse_interval
from reporting.report import Report, ReportError, ReportSpec, build_report

pytestmark = pytest.mark.unit

HALF = 1800.0


def make(
    by: tuple[str, ...] = ("interval",), interval: str = "30m", end: float = T0 + HOUR, **kw: float
) -> Report:
    log = hand_log()
    spec = ReportSpec(start=T0, end=end, interval=parse_interval(interval), by=by, **kw)
    return build_report(data_from_lists(log.records, log.events), small_center(), spec)


def row(table: pd.DataFrame, **keys: object) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for key, value in keys.items():
        mask &= table[key] == value
    assert mask.sum() == 1, (keys, table)
    return table[mask].iloc[0]


def test_sales_queue_counts_visits_with_short_abandons_and_the_overflow_out():
    sales = row(make().by_queue, queue="sales")
    assert sales[["offered", "answered", "abandoned", "short_abandoned"]].tolist() == [5, 1, 3, 1]
    assert sales[["overflowed_out", "still_waiting", "blocked"]].tolist() == [1, 0, 1]
    assert sales["answered_within_threshold"] == 1
    assert sales["service_level"] == pytest.approx(1 / 3)  # 1 / (1 answered + 3 - 1 short)
    assert sales["asa_s"] == pytest.approx(10)
    assert sales["longest_wait_s"] == pytest.approx(120)  # c4 before it overflowed
    assert sales["answer_rate"] == pytest.approx(0.2)
    assert sales["loss_rate"] == pytest.approx(0.6)
    assert sales["answered_beyond_threshold_rate"] == 0
    assert (sales["avg_talk_s"], sales["avg_wrap_s"], sales["aht_s"]) == (100, 20, 120)
    assert sales["avg_hold_s"] == 0


def test_support_queue_counts_the_overflowed_call_and_the_caller_still_waiting():
    support = row(make().by_queue, queue="support")
    assert support[["offered", "answered", "abandoned", "still_waiting"]].tolist() == [3, 2, 0, 1]
    assert support["answered_within_threshold"] == 2  # 10 s and exactly 30 s (T = 30)
    assert support["service_level"] == 1.0
    assert support["asa_s"] == pytest.approx(20)
    assert support["answer_rate"] == pytest.approx(2 / 3)
    assert support["loss_rate"] == 0
    assert support["avg_talk_s"] == pytest.approx(200)
    assert support["aht_s"] == pytest.approx(225)


def test_every_queue_and_every_interval_adds_up():
    for table in (make().by_queue, make(by=("queue", "interval")).grouped):
        total = table["answered"] + table["abandoned"] + table["overflowed_out"]
        assert (table["offered"] == total + table["still_waiting"]).all()


def test_center_totals_count_each_call_once_from_its_record():
    s = make().summary
    assert (s["calls"], s["offered"], s["answered"], s["abandoned"]) == (9, 7, 3, 3)
    assert (s["short_abandoned"], s["overflowed_out"], s["still_waiting"]) == (1, 0, 1)
    assert (s["ivr_handled"], s["agent_handled"], s["voicemail"], s["blocked"]) == (1, 3, 1, 1)
    assert s["service_level"] == pytest.approx(1 / 5)  # c1 only in 20 s; 3 + 3 - 1
    assert s["asa_s"] == pytest.approx((10 + 130 + 30) / 3)  # c4 waited 130 s in two queues
    assert s["longest_wait_s"] == pytest.approx(130)
    assert s["answer_rate"] == pytest.approx(3 / 7)
    assert s["loss_rate"] == pytest.approx(3 / 7)
    assert s["answered_beyond_threshold_rate"] == pytest.approx(2 / 3)
    assert s["avg_talk_s"] == pytest.approx(500 / 3)
    assert s["aht_s"] == pytest.approx(190)


def test_a_call_crossing_an_interval_edge_counts_where_it_was_offered():
    by_interval = make().by_interval
    first = row(by_interval, interval_start=T0)
    second = row(by_interval, interval_start=T0 + HALF)
    assert first["offered"] == 5
    assert first["answered"] == 3
    assert second[["offered", "abandoned", "still_waiting"]].tolist() == [2, 1, 1]
    support = make(by=("queue", "interval")).grouped
    early = row(support, queue="support", interval_start=T0)
    assert early["answered"] == 2
    assert early["asa_s"] == pytest.approx(20)


def test_intervals_without_calls_are_listed_with_zero_offered():
    by_interval = make(interval="15m", end=T0 + 2 * HOUR).by_interval
    assert len(by_interval) == 8
    assert by_interval["offered"].tolist() == [4, 1, 1, 1, 0, 0, 0, 0]
    assert math.isnan(row(by_interval, interval_start=T0 + HOUR)["service_level"])


def test_agents_time_is_split_across_intervals_and_pauses_are_by_reason():
    agents = make(by=("agent", "interval")).grouped
    a1_late = row(agents, agent_id="a1", interval_start=T0 + HALF)
    assert a1_late["calls_handled"] == 1  # c5, answered at 09:30:25
    assert a1_late["logged_in_s"] == pytest.approx(1800)
    assert a1_late["pause_lunch_s"] == pytest.approx(600)
    assert a1_late["busy_s"] == pytest.approx(120)
    assert a1_late["idle_s"] == pytest.approx(1080)
    a2_early = row(agents, agent_id="a2", interval_start=T0)
    assert a2_early["logged_in_s"] == pytest.approx(1740)
    assert a2_early["busy_s"] == pytest.approx(330)


def test_agent_totals_for_the_window():
    agents = make().by_agent.set_index("agent_id")
    a1, a2 = agents.loc["a1"], agents.loc["a2"]
    assert (a1["calls_handled"], a1["talk_s"], a1["wrap_s"], a1["aht_s"]) == (2, 200, 40, 120)
    assert a1["logged_in_s"] == pytest.approx(3600)  # logged in since 08:00: clipped at 09:00
    assert a1["paused_s"] == pytest.approx(600)
    assert a1["occupancy"] == pytest.approx(240 / 3000)
    assert a1["hold_s"] == 0
    assert (a2["calls_handled"], a2["ring_no_answer"]) == (1, 1)
    assert a2["logged_in_s"] == pytest.approx(2940)
    assert a2["occupancy"] == pytest.approx(330 / 2940)
    assert make().summary["occupancy"] == pytest.approx(570 / 5940)


def test_detail_lists_finished_calls_in_arrival_order_with_their_durations():
    detail = make().detail
    assert detail["call_id"].tolist() == ["c1", "c2", "c3", "c4", "c6", "c7", "c5", "c9"]
    c4 = row(detail, call_id="c4")
    assert (c4["wait_s"], c4["talk_s"], c4["wrap_s"]) == (130, 300, 30)


def test_by_dnis_groups_whole_calls():
    table = make(by=("dnis",)).grouped
    assert row(table, dnis="100")["offered"] == 6  # the finished queued calls
    assert row(table, dnis="")["still_waiting"] == 1  # in progress: number not known yet


def test_center_threshold_can_be_chosen():
    assert make(threshold_s=200).summary["service_level"] == pytest.approx(3 / 5)


def test_as_of_closes_agent_spans_at_now():
    report = make(as_of=T0 + HALF)
    assert report.by_agent.set_index("agent_id").loc["a1", "logged_in_s"] == pytest.approx(HALF)


@pytest.mark.parametrize(
    ("by", "message"),
    [
        (("agent", "queue"), "agent figures can be split by interval only"),
        (("colour",), "cannot group by colour"),
        (("queue", "queue"), "repeated"),
        ((), "cannot group by nothing"),
    ],
)
def test_bad_groupings_are_refused_with_a_reason(by, message):
    with pytest.raises(ReportError, match=message):
        ReportSpec(start=T0, end=T0 + HOUR, by=by)


def test_campaign_grouping_says_there_are_no_campaigns_yet():
    with pytest.raises(ReportError, match="no campaign yet"):
        make(by=("campaign",))


def test_campaign_grouping_works_once_records_carry_one():
    log = hand_log()
    data = data_from_lists(log.records, log.events)
    data.records["campaign"] = ["spring" if i % 2 else "" for i in range(len(data.records))]
    spec = ReportSpec(start=T0, end=T0 + HOUR, by=("campaign",))
    table = build_report(data, small_center(), spec).grouped
    assert set(table["campaign"]) == {"", "spring"}
    assert table["offered"].sum() == 7


def test_window_must_end_after_it_starts():
    with pytest.raises(ReportError, match="must end after"):
        ReportSpec(start=T0, end=T0)


def test_an_empty_window_gives_zeros_and_no_data_not_errors():
    spec = ReportSpec(start=T0 + 10 * HOUR, end=T0 + 11 * HOUR)
    log = hand_log()
    report = build_report(data_from_lists(log.records, log.events), small_center(), spec)
    assert report.summary["offered"] == 0
    assert math.isnan(report.summary["service_level"])
    assert report.by_queue["offered"].tolist() == [0, 0]
    assert report.detail.empty
