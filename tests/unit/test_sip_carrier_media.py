"""A caller's media line (jobs in order, hold music in the gaps) and the carrier's prompt source
(silence for a missing prompt, logged once; whole announcements or none)."""

from __future__ import annotations

import asyncio

import pytest
import structlog

from telephony.carrier.media_line import MediaLine
from telephony.carrier.prompt_source import PromptSource
from telephony.media.prompts import PromptLibrary, announcement
from telephony.media.tones import tone
from telephony.media.wav import encode_wav

pytestmark = pytest.mark.unit


def job(log: list[str], name: str, seconds: float = 0.01):
    async def run() -> None:
        log.append(f"{name} start")
        await asyncio.sleep(seconds)
        log.append(f"{name} end")

    return run


def music(log: list[str]):
    async def run() -> None:
        log.append("music")
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            log.append("music stops")
            raise

    return run


async def test_given_jobs_and_hold_music_when_run_then_jobs_in_order_and_music_in_the_gaps():
    line, log = MediaLine("c1"), []
    line.background(music(log))
    line.then(job(log, "a"))
    line.then(job(log, "b"))
    line.start()
    await asyncio.sleep(0.1)
    line.then(job(log, "announcement"))
    await asyncio.sleep(0.1)
    line.background(None)
    await asyncio.sleep(0.05)
    await line.close()
    assert log == [
        "a start", "a end", "b start", "b end", "music", "music stops",
        "announcement start", "announcement end", "music", "music stops",
    ]  # fmt: skip


async def test_given_jobs_before_answer_when_started_then_they_wait_for_it():
    line, log = MediaLine("c1"), []
    line.then(job(log, "menu"))
    await asyncio.sleep(0.05)
    assert log == []
    line.start()
    await asyncio.sleep(0.05)
    assert log == ["menu start", "menu end"]
    await line.close()


async def test_given_failing_job_when_run_then_logged_and_the_next_runs():
    line, log = MediaLine("c1"), []

    async def broken() -> None:
        raise ValueError("bad prompt file")

    line.then(broken)
    line.then(job(log, "next"))
    with structlog.testing.capture_logs() as logs:
        line.start()
        await asyncio.sleep(0.05)
    await line.close()
    assert log == ["next start", "next end"]
    assert [e["event"] for e in logs] == ["media job failed"]


async def test_given_running_job_when_closed_then_cancelled_and_its_finally_runs():

    line, log = MediaLine("c1"), []

    async def recording() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            log.append("recording saved")

    line.then(recording)
    line.start()
    await asyncio.sleep(0.02)
    await line.close()
    assert log == ["recording saved"]


def prompts(tmp_path, *names: str) -> PromptSource:
    folder = tmp_path / "en"
    folder.mkdir()
    for name in names:
        (folder / f"{name}.wav").write_bytes(encode_wav(tone(500.0, 0.1)))
    return PromptSource(PromptLibrary(tmp_path), "en", missing_s=0.5)


def test_given_missing_prompt_when_asked_then_silence_and_one_warning(tmp_path):
    source = prompts(tmp_path, "main-menu")
    with structlog.testing.capture_logs() as logs:
        assert len(source.pcm("main-menu")) == 1600
        assert source.pcm("closed") == bytes(8000)
        assert source.pcm("closed") == bytes(8000)
    assert [(e["event"], e["prompt"]) for e in logs] == [("prompt unavailable", "closed")]
    assert source.exists("main-menu")
    assert not source.exists("closed")


def test_given_broken_prompt_file_when_asked_then_silence(tmp_path):
    source = prompts(tmp_path)
    (tmp_path / "en" / "bad.wav").write_bytes(b"RIFF0000WAVEjunk")
    assert source.pcm("bad") == bytes(8000)


def test_given_announcement_prompts_when_all_present_then_joined_else_nothing(tmp_path):
    names = announcement("en", 3, 120.0)
    complete = prompts(tmp_path, *names)
    assert len(complete.announcement(3, 120.0)) == len(names) * 1600
    assert complete.announcement(21, 120.0) == b""  # "20" and "1" were never recorded


def test_given_beep_when_built_then_quarter_second():
    assert len(PromptSource.beep()) == 4000
