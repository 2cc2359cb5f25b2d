"""Today's figures for the wallboard, pushed every few seconds while a supervisor watches.

The counts that change by the second (waiting, agents' states) go out with every event (see
`desk_view`). The figures that need the records (service level today, ASA, answered, abandoned,
and staffing advice from the last hour's load) are computed here, in a worker thread, every
`every_s` seconds and only while someone watches the board; the last ones are kept so that a
wallboard that connects gets them at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from acd.clock import Clock
from acd.matching import qualified_levels
from acd.presence import AgentState
from agent_ui.desk_view import SUPERVISORS, DeskBoard, Message, Notice
from agent_ui.live_hub import LiveHub
from agent_ui.staffing import QueueLoad, gauge, staffing_advice
from config.center import Center
from reporting.data import load_data
from reporting.intervals import parse_interval
from reporting.live import today_so_far
from reporting.report import ReportSpec, build_report

FIGURES_EVERY_S = 15.0
LOAD_WINDOW_S = 3600.0
OFF_DUTY = (AgentState.LOGGED_OUT.value, AgentState.PAUSED.value)

log = structlog.get_logger(__name__)


class FiguresPusher:
    """Computes the wallboard's figures on a timer and pushes them to supervisors."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        center: Center,
        clock: Clock,
        board: DeskBoard,
        hub: LiveHub,
        every_s: float = FIGURES_EVERY_S,
    ) -> None:
        self._sessions, self._center, self._clock = sessions, center, clock
        self._board, self._hub, self._every_s = board, hub, every_s
        self._levels = qualified_levels(center)
        self.last: Message | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Begin the timer."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="wallboard-figures")

    async def stop(self) -> None:
        """Stop the timer."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            if self._hub.has_board_watchers:
                try:
                    await self.push_now()
                except Exception:
                    log.exception("wallboard figures not computed")
            await self._clock.sleep(self._every_s)

    async def push_now(self) -> Message:
        """Compute the figures now and send them to every supervisor watching."""
        now = self._clock.now()
        message = await asyncio.to_thread(self.figures, now)
        self.last = message
        self._hub.deliver(Notice(SUPERVISORS, message))
        return message

    def figures(self, now: float) -> Message:
        """Today's figures per queue, each with its gauge colour and staffing advice."""
        today = today_so_far(self._sessions, self._center, now).as_dict()
        loads = self._recent_loads(now)
        for row in today["queues"]:
            name = row["queue"]
            queue = self._center.queues.get(name)
            if queue is None:
                continue
            row["gauge"] = gauge(row.get("service_level"), queue.service_level_target)
            row["staffing"] = staffing_advice(
                queue, loads.get(name, QueueLoad(0, LOAD_WINDOW_S, None)), self._staffed(name)
            )
        return {"type": "figures", **today}

    def _recent_loads(self, now: float) -> dict[str, QueueLoad]:
        start = now - LOAD_WINDOW_S
        spec = ReportSpec(start=start, end=now, interval=parse_interval("60m"), as_of=now)
        data = load_data(self._sessions, start, now, live=True)
        report = build_report(data, self._center, spec)
        loads = {}
        for row in report.by_queue.to_dict("records"):
            aht = _number(row.get("aht_s"))
            loads[str(row["queue"])] = QueueLoad(int(row["offered"]), LOAD_WINDOW_S, aht)
        return loads

    def _staffed(self, queue: str) -> int:
        qualified = self._levels.get(queue, {})
        return sum(
            1
            for agent_id, agent in self._board.agents.items()
            if agent_id in qualified and agent.state not in OFF_DUTY
        )


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number  # NaN: no data
