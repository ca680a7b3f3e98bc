"""The coach and a stop: each coach call has a deadline; a stop cancels the calls under way, so that the
bot stops in seconds with the AI provider hanging; the question is told so, and a reflection left pending
stays pending (not failed, not claimed) and is written after the next start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.emulator import BotApiEmulator
from handlers import reflections
from services.coach import coach as coach_service
from storage.db import Database
from storage.models import AiReflection, AiStatus, CoachMessage
from tests.conftest import ALICE, StartBot, stop_bot
from tests.fakes.anthropic_api import FakeAnthropic, Stall
from tests.test_coach_service import seed_alice

HANG = 600.0  # the provider never answers while the test runs
STOPPING = "The bot is restarting, so the coach could not answer"


@pytest.fixture
async def anthropic() -> AsyncIterator[FakeAnthropic]:
    fake = FakeAnthropic()
    await fake.start()
    yield fake
    await fake.stop()


def ai_settings(anthropic: FakeAnthropic, **overrides: object) -> dict[str, object]:
    return {
        "anthropic_api_key": "sk-test",
        "anthropic_base_url": anthropic.base_url,
        "ai_model": "claude-test",
        "ai_timeout_s": HANG,  # the SDK would wait for ever: only the deadline or the stop ends a call
        **overrides,
    }


async def test_a_question_past_the_deadline_is_told(
    start_bot: StartBot, emulator: BotApiEmulator, anthropic: FakeAnthropic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coach_service, "SDK_RETRIES", 0)
    await start_bot(**ai_settings(anthropic, ai_deadline_s=1))
    anthropic.script = [Stall(HANG)]
    alice = emulator.user(ALICE, first_name="Alice")
    assert "cannot answer right now (no answer within 1 s)" in (await alice.ask("Grip?", timeout=30)).text
    assert "Keep your grip firm." in (await alice.ask("And now?", timeout=30)).text


async def test_a_stop_with_the_ai_hanging_is_quick_and_keeps_the_reflection_pending(
    start_bot: StartBot,
    emulator: BotApiEmulator,
    anthropic: FakeAnthropic,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(coach_service, "SDK_RETRIES", 0)
    ids = await seed_alice(db)
    application = await start_bot(**ai_settings(anthropic))
    assert application.runtime.coach.deadline_s > 10, "the default deadline is not what ends the calls here"
    anthropic.script = [Stall(HANG), Stall(HANG)]
    alice = emulator.user(ALICE, first_name="Alice")
    await alice.send_text("How is my grip?")
    assert await reflections.enqueue_reflection(application, ALICE, ids["s1"])
    await emulator.state.wait_for(lambda: len(anthropic.requests) == 2, 30)

    async with asyncio.timeout(10):  # systemd waits 90 s; a hanging call used to hold the stop for ever
        await stop_bot(application)

    assert STOPPING in (await alice.next_message(timeout=5)).text, "the question is told, not dropped"
    async with db.session() as session:
        row = await session.scalar(select(AiReflection).where(AiReflection.session_id == ids["s1"]))
        kept = await session.scalar(select(func.count()).select_from(CoachMessage))
    assert (row.status, row.attempts, row.claimed_at, row.error) == (AiStatus.PENDING, 0, None, None)
    assert kept == 0, "no half turn of the cancelled question"

    await start_bot()  # the offline coach, this time
    reflection = await alice.next_message(timeout=30)
    assert reflection.text.startswith("🤖 AI reflection"), (
        "the pending reflection is written after the restart"
    )
