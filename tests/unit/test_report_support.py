"""Builders for the report tests, and the hand-computed data set several of them share.

The data set (times in seconds after T0 = Monday 2026-01-05 09:00 Asia/Shanghai; the report
window is 09:00-10:00 in 30-minute intervals; sales has T = 20 s, support T = 30 s):

    c1  sales: queued 105, answered by a1 at 115 (wait 10), talk 100, wrap 20
    c2  sales: queued 203, abandoned at 206 (wait 3: a short abandon)
    c3  sales: queued 302, abandoned at 342 (wait 40)
    c4  sales 400 -> EXITWITHTIMEOUT 520 -> support 520, answered by a2 at 530, talk 300, wrap 30
    c5  support: arrived 1790, queued 1795, answered by a1 at 1825 (after 09:30), talk 100,
        wrap 20
    c6  finished in the IVR
    c7  turned away by the full sales queue (EXITFULL without ENTERQUEUE), then voicemail
    c8  support: queued 3502, still waiting (no record yet)
    c9  sales: queued 2001, a2's phone rang and was not answered (RINGNOANSWER at 2016),
        the caller hung up while the next phone rang (ABANDON at 2020, wait 19)
    a1  logged in since 08:00, paused for lunch 2500-3100, still logged in at 10:00
    a2  logged in at 60, logged off at 3000
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from config.center import AgentDef, Center, CenterInfo, Destination, QueueDef
from crm_core.call_records import CallEventData, CallRecordData

pytestmark = pytest.mark.unit

TZ = "Asia/Shanghai"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=ZoneInfo(TZ)).timestamp()
HOUR = 3600.0


def small_center(timezone: str = TZ) -> Center:
    """Two queues (sales T=20 s, support T=30 s), two agents, short abandons up to 5 s."""
    return Center(
        center=CenterInfo(name="Test center", timezone=timezone, short_abandon_s=5),
        skills={"sales": "Sales", "support": "Support"},
        queues={
            "sales": QueueDef(skills={"sales": 1}, service_level_s=20),
            "support": QueueDef(skills={"support": 1}, service_level_s=30),
        },
        agents={
            "a1": AgentDef(name="A One", extension="201", skills={"sales": 1, "support": 1}),
            "a2": AgentDef(name="A Two", extension="202", skills={"sales": 1, "support": 1}),
        },
        numbers={"100": Destination(kind="queue", name="sales")},
    )


@dataclass
class Log:
    """Call events and records written by hand, times in seconds after `t0`."""

    t0: float = T0
    events: list[CallEventData] = field(default_factory=list)
    records: list[CallRecordData] = field(default_factory=list)

    def ev(
        self, at: float, kind: str, call: str = "", queue: str = "", agent: str = "", **data: object
    ) -> None:
        """Append one event (seq in the order written)."""
        seq = len(self.events) + 1
        self.events.append(CallEventData(seq, self.t0 + at, call, kind, queue, agent, dict(data)))

    def record(self, call_id: str, arrived: float, **fields: object) -> None:
        """Append one record; time fields are relative to t0 as well."""
        times = ("queued_at", "answered_at", "ended_at", "wrap_up_ended_at")
        values = {
            k: (self.t0 + v if k in times and v is not None else v) for k, v in fields.items()
        }
        values.setdefault("outcome", "answered")
        self.records.append(
            CallRecordData(
                call_id=call_id,
                direction="inbound",
                ani="+8613800000000",
                dnis=str(values.pop("dnis", "100")),
                arrived_at=self.t0 + arrived,
                **values,  # type: ignore[arg-type]
            )
        )

    def answered(
        self, call: str, queue: str, agent: str, queued: float, answered: float, talk: float,
        wrap: float, arrived: float | None = None,
    ) -> None:  # fmt: skip
        """A call queued, answered, talked and wrapped up: its events and its record."""
        self.ev(queued, "ENTERQUEUE", call, queue)
        self.ev(answered, "CONNECT", call, queue, agent, wait_s=answered - queued)
        self.ev(answered + talk, "COMPLETECALLER", call, queue, agent, talk_s=talk)
        self.ev(answered + talk + wrap, "WRAPUPEND", call, agent=agent, wrap_s=wrap)
        self.record(
            call, queued if arrived is None else arrived, queue=queue, agent_id=agent,
            queued_at=queued, answered_at=answered, ended_at=answered + talk,
            wrap_up_ended_at=answered + talk + wrap, ended_by="caller",
        )  # fmt: skip

    def abandoned(self, call: str, queue: str, queued: float, left: float) -> None:
        """A call that hung up while waiting."""
        self.ev(queued, "ENTERQUEUE", call, queue)
        self.ev(left, "ABANDON", call, queue, wait_s=left - queued)
        self.record(
            call, queued, queue=queue, queued_at=queued, ended_at=left, outcome="abandoned",
            ended_by="caller",
        )  # fmt: skip


def hand_log() -> Log:
    """The data set described in the module docstring."""
    log = Log()
    log.ev(-HOUR, "AGENTLOGIN", agent="a1")
    log.ev(60, "AGENTLOGIN", agent="a2")
    log.answered("c1", "sales", "a1", queued=105, answered=115, talk=100, wrap=20, arrived=100)
    log.abandoned("c2", "sales", queued=203, left=206)
    log.abandoned("c3", "sales", queued=302, left=342)
    log.ev(400, "ENTERQUEUE", "c4", "sales")
    log.ev(520, "EXITWITHTIMEOUT", "c4", "sales", destination="queue:support", wait_s=120)
    log.ev(520, "ENTERQUEUE", "c4", "support")
    log.ev(530, "CONNECT", "c4", "support", "a2", wait_s=130)
    log.record(
        "c4", 400, queue="support", agent_id="a2", queued_at=400, answered_at=530,
        ended_at=830, wrap_up_ended_at=860, ended_by="agent",
    )  # fmt: skip
    log.answered("c5", "support", "a1", queued=1795, answered=1825, talk=100, wrap=20, arrived=1790)
    log.record("c6", 1000, ended_at=1030, outcome="ivr", ended_by="caller")
    log.ev(1104, "EXITFULL", "c7", "sales", destination="voicemail")
    log.record("c7", 1100, queue="sales", ended_at=1150, outcome="voicemail", ended_by="caller")
    log.ev(2001, "ENTERQUEUE", "c9", "sales")
    log.ev(2016, "RINGNOANSWER", "c9", "sales", "a2", ring_s=15)
    log.ev(2020, "ABANDON", "c9", "sales", wait_s=19)
    log.record(
        "c9", 2000, queue="sales", queued_at=2001, ended_at=2020, outcome="abandoned",
        ended_by="caller",
    )  # fmt: skip
    log.ev(2500, "PAUSE", agent="a1", reason="lunch")
    log.ev(3000, "AGENTLOGOFF", agent="a2")
    log.ev(3100, "UNPAUSE", agent="a1")
    log.ev(3502, "ENTERQUEUE", "c8", "support")
    return log


def test_hand_log_is_in_time_order_per_call():
    log = hand_log()
    for call in {e.call_id for e in log.events if e.call_id}:
        times = [e.at for e in log.events if e.call_id == call]
        assert times == sorted(times), call
    assert len(log.records) == 8  # c8 is still waiting: no record yet
