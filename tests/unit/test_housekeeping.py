"""The housekeeping service: a round at start and then every period, in a thread; a failing
round is logged and the next one still runs."""

from __future__ import annotations

import asyncio

import pytest
import structlog

from agent_ui.housekeeping import Housekeeping

pytestmark = pytest.mark.unit


async def test_given_started_when_periods_pass_then_rounds_run_and_closed_ids_logged():
    calls: list[int] = []

    def close() -> list[int]:
        calls.append(1)
        return [7, 9] if len(calls) == 1 else []

    chores = Housekeeping(close, every_s=0.02)
    with structlog.testing.capture_logs() as logs:
        await chores.start()
        await asyncio.sleep(0.15)
        await chores.stop()
    assert len(calls) >= 3
    assert [e["tickets"] for e in logs if e["event"].endswith("closed")] == [[7, 9]]


async def test_given_a_failing_round_when_next_period_comes_then_it_runs_again():
    outcomes = iter([RuntimeError("database is locked"), [], []])

    def close() -> list[int]:
        outcome = next(outcomes, [])
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    chores = Housekeeping(close, every_s=0.02)
    with structlog.testing.capture_logs() as logs:
        await chores.start()
        await asyncio.sleep(0.1)
        await chores.stop()
    assert chores.runs >= 2
    assert any(e["log_level"] == "error" for e in logs)
