"""The Anthropic provider against a loopback fake of the Messages API: what the request holds, a tool-use
round trip answered from the database, failures ending as `failed` after the retries, and one user's data
never in another user's prompt."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.emulator import BotApiEmulator
from handlers import reflections
from services.coach import coach as coach_service
from services.coach import reflections as reflection_attempts
from storage.db import Database
from storage.models import AiReflection, AiStatus, CoachMessage
from tests.conftest import ALICE, BOB, StartBot
from tests.fakes.anthropic_api import Fail, FakeAnthropic, Stall, text, tool_use
from tests.test_coach_service import BOB_SECRET, seed_alice, seed_bob

MODEL = "claude-test-model"


@pytest.fixture
async def fake() -> AsyncIterator[FakeAnthropic]:
    server = FakeAnthropic()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reflection_attempts, "RETRY_DELAYS_S", (0.01, 0.01))
    monkeypatch.setattr(coach_service, "SDK_RETRIES", 0)


@pytest.fixture
async def online(start_bot: StartBot, fake: FakeAnthropic, quick_retries: None) -> object:
    return await start_bot(
        anthropic_api_key="sk-test",
        anthropic_base_url=fake.base_url,
        ai_model=MODEL,
        ai_max_tokens=321,
        ai_timeout_s=0.5,
    )


async def test_a_question_sends_model_limits_summary_and_tools_and_runs_a_tool(
    online: object, emulator: BotApiEmulator, db: Database, fake: FakeAnthropic
) -> None:
    await seed_alice(db)
    fake.script = [
        tool_use("weapon_stats", {"weapon": "glock", "distance_m": 50}, say="Let me check."),
        text("At **50 m** you average 7.75 per shot & falling."),
    ]
    alice = emulator.user(ALICE, first_name="Alice")
    answer = await alice.ask("How am I doing at 50 m?")

    assert answer.text == "At 50 m you average 7.75 per shot & falling."
    assert "<b>50 m</b>" in answer.raw_text
    assert "typing" in alice.chat_actions
    first, second = fake.requests
    assert first["model"] == MODEL and first["max_tokens"] == 321
    assert "sk-test" in (fake.headers[0].get("x-api-key", "") + fake.headers[0].get("authorization", ""))
    assert "Totals: 5 sessions, 370 rounds" in first["system"] and "Glock 17" in first["system"]
    assert {tool["name"] for tool in first["tools"]} == {"list_weapons", "find_sessions", "weapon_stats"}
    assert first["messages"] == [{"role": "user", "content": "How am I doing at 50 m?"}]
    # The tool ran against the database and its result went back to the model.
    tool_call = second["messages"][1]["content"][-1]
    result = second["messages"][2]["content"][0]
    assert result["tool_use_id"] == tool_call["id"] and result["type"] == "tool_result"
    stats = json.loads(result["content"])
    assert stats["rounds"] == 60 and stats["by_weapon_and_distance"][0]["last_per_shot"] == 7.5

    follow_up = await alice.ask("and at 25 m?")
    assert follow_up.text == "Keep your grip firm."
    assert [m["role"] for m in fake.requests[-1]["messages"]] == ["user", "assistant", "user"]
    assert fake.requests[-1]["messages"][1]["content"] == "At **50 m** you average 7.75 per shot & falling."
    async with db.session() as session:
        assert len(list(await session.scalars(select(CoachMessage)))) == 4


async def test_one_users_data_never_reaches_another_users_prompt(
    online: object, emulator: BotApiEmulator, db: Database, fake: FakeAnthropic
) -> None:
    await seed_alice(db)
    await seed_bob(db)
    alice, bob = emulator.user(ALICE, first_name="Alice"), emulator.user(BOB, first_name="Bob")
    await alice.ask("How is my Glock?")
    fake.script = [tool_use("find_sessions", {"limit": 50}), text("Fine.")]
    await bob.ask("Show all my sessions")
    bob_requests = json.dumps(fake.requests[1:])
    assert "Bobs Secret Rifle" in bob_requests and BOB_SECRET in bob_requests
    for alice_only in ("Glock", "Walther", "low left", "SV De Roos", "Trigger jerk"):
        assert alice_only not in bob_requests
    assert BOB_SECRET not in json.dumps(fake.requests[0])


async def test_a_reflection_is_written_through_a_forced_tool_call(
    online: object, emulator: BotApiEmulator, db: Database, fake: FakeAnthropic
) -> None:
    ids = await seed_alice(db)
    fake.script = [
        tool_use(
            "write_reflection",
            {
                "summary": "Solid <day>.",
                "went_well": "25 m",
                "needs_improvement": "50 m",
                "next_focus": "Grip",
            },
        )
    ]
    alice = emulator.user(ALICE, first_name="Alice")
    assert await reflections.enqueue_reflection(online, ALICE, ids["s5"])
    message = await alice.next_message()
    assert message.text.startswith("🤖 AI reflection — session of 2 Mar 2026\nSolid <day>.")
    assert "anthropic · claude-test-model" in message.text
    request = fake.requests[0]
    assert request["tool_choice"] == {"type": "tool", "name": "write_reflection"}
    assert f"#{ids['s5']} 2026-03-02" in request["messages"][0]["content"]
    async with db.session() as session:
        row = await session.scalar(select(AiReflection))
    assert (row.status, row.provider, row.model, row.next_focus) == (
        AiStatus.SUCCEEDED,
        "anthropic",
        MODEL,
        "Grip",
    )


@pytest.mark.parametrize("failure", [Fail(500), Stall(2.0)], ids=["500", "timeout"])
async def test_failures_end_as_failed_after_the_retries(
    online: object, emulator: BotApiEmulator, db: Database, fake: FakeAnthropic, failure: object
) -> None:
    ids = await seed_alice(db)
    fake.script = [failure, failure, failure]
    alice = emulator.user(ALICE, first_name="Alice")
    assert await reflections.enqueue_reflection(online, ALICE, ids["s2"])
    message = await alice.next_message(timeout=10)
    assert "could not write the AI reflection for the session of 19 Jan 2026 after 3 attempts" in message.text
    assert message.buttons == [[("🔁 Try again", f"ai:ref:{ids['s2']}")]]
    async with db.session() as session:
        row = await session.scalar(select(AiReflection))
    assert (row.status, row.attempts) == (AiStatus.FAILED, 3)
    assert ("InternalServerError" if isinstance(failure, Fail) else "APITimeoutError") in row.error
    assert len(fake.requests) == 3

    # Meanwhile and afterwards, the bot answers; the retry button starts again from pending.
    fake.script = []
    assert "Keep your grip firm." in (await alice.ask("Quick question")).text
    await alice.tap(message, "🔁 Try again")
    assert "AI reflection" in (await alice.next_message()).text


async def test_a_slow_provider_blocks_nobody(
    online: object, emulator: BotApiEmulator, db: Database, fake: FakeAnthropic
) -> None:
    fake.script = [Stall(3.0)]
    alice, bob = emulator.user(ALICE, first_name="Alice"), emulator.user(BOB, first_name="Bob")
    await alice.send_text("Is my trigger pull getting better?")
    assert "What I can do" in (await bob.ask("/help")).text
    assert alice.messages == [], "Bob was answered while Alice's question was still with the provider"
    unavailable = await alice.next_message()
    assert unavailable.text.startswith("🤖 The coach cannot answer right now (APITimeoutError")
    async with db.session() as session:
        assert list(await session.scalars(select(CoachMessage))) == [], (
            "a failed question leaves no half turn"
        )
