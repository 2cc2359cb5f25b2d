"""Staffing advice and the service-level gauge on the wallboard."""

from __future__ import annotations

import pytest

from agent_ui.staffing import QueueLoad, gauge, staffing_advice
from config.center import QueueDef
from reporting.erlang import service_level

pytestmark = pytest.mark.unit


def test_given_an_hours_load_then_the_advice_is_the_fewest_agents_meeting_the_target():
    queue = QueueDef(service_level_s=20, service_level_target=0.8)
    advice = staffing_advice(queue, QueueLoad(offered=720, window_s=3600, aht_s=240), staffed=50)
    needed = advice["needed"]
    assert service_level(needed, 0.2, 240, 20) >= 0.8 > service_level(needed - 1, 0.2, 240, 20)
    assert advice["staffed"] == 50
    assert advice["arrival_per_hour"] == 720


def test_given_no_handle_time_yet_then_the_queues_expected_one_is_used():
    queue = QueueDef(expected_handle_s=300)
    advice = staffing_advice(queue, QueueLoad(offered=60, window_s=3600, aht_s=None), staffed=1)
    assert advice["aht_s"] == 300


def test_given_no_calls_then_no_agent_is_needed():
    advice = staffing_advice(QueueDef(), QueueLoad(0, 3600, None), staffed=3)
    assert advice["needed"] == 0


@pytest.mark.parametrize(
    ("level", "colour"),
    [
        (None, "grey"),
        (0.85, "green"),
        (0.8, "green"),
        (0.75, "amber"),
        (0.7, "amber"),
        (0.69, "red"),
    ],
)
def test_the_gauge_is_green_at_target_amber_within_ten_points_red_below(level, colour):
    assert gauge(level, 0.8) == colour
