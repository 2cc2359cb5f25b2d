"""The desk board (what the desktops and the wallboard show) and the hub that delivers it."""

from __future__ import annotations

import asyncio

import pytest

from acd import events as ev
from acd.presence import AgentPresence, AgentState
from agent_ui.desk_view import SUPERVISORS, DeskBoard, Notice
from agent_ui.live_hub import OUTBOX_LIMIT, LiveHub, is_lagging
from config.center import AgentDef, Center, Destination, QueueDef
from crm_core.users import Role, UserPublic

pytestmark = pytest.mark.unit

T = 1_000.0


def center() -> Center:
    return Center(
        skills={"s": "S"},
        queues={"q": QueueDef(skills={"s": 1}, wrap_up_s=30, dispositions=["done", "again"])},
        agents={"li": AgentDef(name="Li Na", extension="1001", skills={"s": 1})},
        numbers={"100": Destination(kind="queue", name="q")},
    )


def state(at: float, to: AgentState, previous: AgentState, call_id: str = "") -> ev.Event:
    return ev.AgentStateChanged(at=at, agent_id="li", state=to, previous=previous, call_id=call_id)


def a_call_rings(board: DeskBoard) -> list[Notice]:
    notices = []
    for event in (
        ev.CallOffered(at=T, call_id="c1", ani="+8613800138000", dnis="100"),
        ev.CallQueued(at=T + 1, call_id="c1", queue="q", priority=0, position=1),
        state(T + 5, AgentState.RESERVED, AgentState.AVAILABLE, "c1"),
        ev.AgentRinging(at=T + 5, call_id="c1", agent_id="li", queue="q"),
    ):
        notices += board.apply(event)
    return notices


def test_given_a_call_then_the_supervisors_see_it_wait_and_the_agent_sees_it_ring():
    board = DeskBoard(center())
    notices = a_call_rings(board)
    queue = next(n for n in notices if n.message["type"] == "queue")
    assert queue.to == SUPERVISORS
    assert queue.message["waiting"] == 1
    ringing = next(n for n in notices if n.message["type"] == "ringing")
    assert ringing.to == "li"
    assert ringing.message["waited_s"] == 4.0
    assert ringing.message["call"]["ani"] == "+8613800138000"
    assert board.desk("li")["call"]["call_id"] == "c1"


def test_given_wrap_up_then_the_countdown_and_dispositions_follow_the_queue():
    board = DeskBoard(center())
    a_call_rings(board)
    board.apply(ev.CallConnected(at=T + 8, call_id="c1", agent_id="li", queue="q", wait_s=7))
    board.apply(state(T + 8, AgentState.ON_CALL, AgentState.RESERVED, "c1"))
    [to_agent, _] = board.apply(state(T + 60, AgentState.WRAP_UP, AgentState.ON_CALL, "c1"))
    assert to_agent.message["wrap_up_ends_at"] == T + 90
    assert to_agent.message["dispositions"] == ["done", "again"]
    [extended] = board.apply(ev.AgentWrapUpExtendRequested(at=T + 80, agent_id="li"))
    assert extended.message["wrap_up_ends_at"] == T + 110
    assert board.apply(ev.AgentWrapUpExtendRequested(at=T + 85, agent_id="li")) == []  # once


def test_given_the_call_connects_then_the_queue_count_drops_for_the_supervisors():
    board = DeskBoard(center())
    a_call_rings(board)
    notices = board.apply(
        ev.CallConnected(at=T + 8, call_id="c1", agent_id="li", queue="q", wait_s=7)
    )
    assert [n.message["type"] for n in notices] == ["connected", "queue"]
    assert board.board(T + 9)["queues"] == [{"queue": "q", "waiting": 0, "longest_wait_s": None}]


def test_given_callers_waiting_then_the_longest_wait_is_the_oldest_callers():
    board = DeskBoard(center())
    a_call_rings(board)
    assert board.board(T + 31)["queues"][0]["longest_wait_s"] == 30.0


def test_given_a_refused_request_then_only_that_agent_is_told_why():
    board = DeskBoard(center())
    [notice] = board.apply(
        ev.AgentRequestRefused(at=T, agent_id="li", request="pause", reason="not logged in")
    )
    assert notice == Notice(
        "li", {"type": "refused", "request": "pause", "reason": "not logged in"}
    )


def test_given_a_stored_presence_then_the_board_starts_from_it_unless_it_knows_better():
    board = DeskBoard(center())
    board.seed(AgentPresence("li", AgentState.PAUSED, since=T, reason="lunch"))
    assert board.agents["li"].state == "paused"
    assert board.agents["li"].reason == "lunch"
    board.apply(state(T + 5, AgentState.AVAILABLE, AgentState.PAUSED))
    board.seed(AgentPresence("li", AgentState.PAUSED, since=T, reason="lunch"))  # older
    assert board.agents["li"].state == "available"


# --- the hub --------------------------------------------------------------------------------


def user(role: Role, agent_id: str | None = None) -> UserPublic:
    return UserPublic(1, "u", "U", role, agent_id, must_change_password=False, active=True)


async def test_given_a_slow_card_then_later_messages_wait_their_turn():
    hub = LiveHub()
    tab = hub.connect(user(Role.AGENT, "li"))
    card: asyncio.Future[dict[str, object] | None] = asyncio.get_running_loop().create_future()
    hub.deliver(Notice("li", {"type": "ringing"}), card)
    hub.deliver(Notice("li", {"type": "agent", "state": "available"}))
    first = asyncio.create_task(tab.next_message())
    await asyncio.sleep(0)
    assert not first.done()
    card.set_result({"type": "ringing", "customer": None})
    assert await first == {"type": "ringing", "customer": None}
    assert (await tab.next_message())["type"] == "agent"


async def test_given_two_tabs_then_both_get_the_card_and_supervisors_get_the_board():
    hub = LiveHub()
    tabs = [hub.connect(user(Role.AGENT, "li")) for _ in range(2)]
    boss = hub.connect(user(Role.SUPERVISOR))
    other = hub.connect(user(Role.AGENT, "wang"))

    async def card() -> dict[str, object]:
        return {"type": "ringing"}

    hub.deliver(Notice("li", {"type": "ringing"}), card())
    hub.deliver(Notice(SUPERVISORS, {"type": "queue"}))
    assert [await t.next_message() for t in tabs] == [{"type": "ringing"}] * 2
    assert await boss.next_message() == {"type": "queue"}
    assert other.outbox.empty()


async def test_given_a_tab_that_does_not_read_then_it_is_told_to_start_over():
    hub = LiveHub()
    tab = hub.connect(user(Role.AGENT, "li"))
    for n in range(OUTBOX_LIMIT + 10):
        hub.deliver(Notice("li", {"type": "agent", "n": n}))
    messages = [await tab.next_message() for _ in range(tab.outbox.qsize())]
    assert len(messages) == OUTBOX_LIMIT + 1
    assert is_lagging(messages[-1])
