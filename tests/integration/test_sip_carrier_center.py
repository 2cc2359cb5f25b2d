"""The whole center on the SIP carrier (what `hotline serve` runs): started with its secrets, a
SIPp caller abandons in the queue, and the call log writes the record and the queue_log events;
stopping ends the calls still up with a BYE."""

from __future__ import annotations

import asyncio

import pytest
from sip_carrier_support import (
    PASSWORDS,
    carrier_center,
    eventually,
    prepare_sipp_dir,
    run_sipp,
    sipp_available,
    start_sipp,
    telephony_def,
)

from acd.clock import RealClock
from crm_core.call_records import MemorySink
from telephony.carrier.center import SipCenter
from telephony.carrier.secrets import SipSecrets

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(120),
    pytest.mark.skipif(not sipp_available(), reason="sipp or its pcaps are not installed"),
]


def sip_center(tmp_path) -> tuple[SipCenter, MemorySink]:
    sink = MemorySink()
    return SipCenter(carrier_center(), telephony_def(tmp_path), RealClock(), sink), sink


async def test_given_sip_center_when_caller_abandons_then_record_and_queue_log_written(tmp_path):
    center, sink = sip_center(tmp_path)
    await center.start(secrets=SipSecrets(dict(PASSWORDS)))
    work = prepare_sipp_dir(tmp_path)
    try:
        assert center.ready_refusal("a1") == "your phone (extension 1001) is not registered"
        assert not center.is_registered("a1")
        code, errors = await run_sipp(
            work, "caller_waits.xml", center.carrier_stack.address, "-d", "1500"
        )
        assert await eventually(lambda: bool(sink.records))
    finally:
        await center.stop()
    assert code == 0, errors
    (record,) = sink.records
    assert (record.ani, record.dnis, record.queue) == ("+8613800000001", "200", "support")
    assert (record.outcome, record.ended_by) == ("abandoned", "caller")
    assert 1.0 < (record.wait_s or 0) < 5.0
    kinds = [e.kind for e in sink.events if e.call_id == record.call_id]
    assert kinds[0] == "OFFERED"
    assert kinds[-2:] == ["ENTERQUEUE", "ABANDON"]


async def test_given_call_in_queue_when_center_stops_then_caller_gets_bye(tmp_path):
    center, _ = sip_center(tmp_path)
    await center.start(secrets=SipSecrets(dict(PASSWORDS)))
    work = prepare_sipp_dir(tmp_path)
    sipp = await start_sipp(work, "hung_up_on.xml", center.carrier_stack.address, "-s", "200")
    try:
        assert await eventually(lambda: center.carrier_stack.carrier.active_calls == 1)
    finally:
        await center.stop()
    _, stderr = await asyncio.wait_for(sipp.communicate(), 30)
    assert sipp.returncode == 0, stderr.decode(errors="replace")
