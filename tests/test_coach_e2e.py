"""End to end through the emulator (offline coach): a conversation with a follow-up, /newtopic, /coach
pinning, the AI buttons on the cards, the reflection after saving a session, and jobs resumed at start."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from storage.db import Database
from storage.models import AiReflection, AiStatus, AiWeaponInsight, CoachMessage, CoachThread, ShootingSession
from tests.conftest import ALICE, StartBot
from tests.test_coach_service import seed_alice, seed_bob

EXPIRED_SESSION = "That session does not exist (any more)."


async def count(db: Database, model: type, *conditions: object) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*conditions))


async def test_a_conversation_with_a_follow_up_and_a_new_topic(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_alice(db)
    alice = emulator.user(ALICE, first_name="Alice")
    first = await alice.ask("How is my Glock doing?")
    assert "Glock 17: 5 sessions, 310 rounds." in first.text
    assert alice.chat_actions and alice.chat_actions[0] == "typing"
    follow_up = await alice.ask("and at 50 m?")
    assert "Glock 17 at 50 m: 2 sessions, 60 rounds." in follow_up.text
    assert "8.00 → 7.50 per shot" in follow_up.text
    async with db.session() as session:
        thread = await session.scalar(select(CoachThread).where(CoachThread.user_id == ALICE))
        roles = [m.role.value for m in await session.scalars(select(CoachMessage).order_by(CoachMessage.id))]
    assert thread.topic == "How is my Glock doing?" and roles == ["user", "assistant", "user", "assistant"]

    assert "New topic" in (await alice.ask("/newtopic")).text
    fresh = await alice.ask("and at 50 m?")
    assert "All your sessions" not in fresh.text and "Glock 17" not in fresh.text
    assert "at 50 m: 3 sessions, 120 rounds." in fresh.text, "the new topic forgot the Glock"
    assert await count(db, CoachThread, CoachThread.user_id == ALICE) == 2
    assert "log 25m" not in fresh.text


async def test_coach_pins_a_weapon_and_refuses_another_users(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    ids = await seed_alice(db)
    bob_rifle = await seed_bob(db)
    alice = emulator.user(ALICE, first_name="Alice")
    menu = await alice.ask("/coach")
    labels = [label for row in menu.buttons for label, _ in row]
    assert (
        labels[0] == "🌐 Everything" and "🔫 Walther KK500" in labels and "📋 2 Mar 2026 SV De Roos" in labels
    )
    await alice.tap(menu, "🔫 Walther KK500")
    assert "now talks about Walther KK500" in (await alice.next_edit()).text
    answer = await alice.ask("How am I doing?")
    assert "Walther KK500: 1 sessions, 60 rounds." in answer.text
    async with db.session() as session:
        thread = await session.scalar(select(CoachThread).order_by(CoachThread.id.desc()))
    assert thread.weapon_id == ids["walther"]

    await alice.tap(menu.message_id, "x", data=f"co:w:{bob_rifle}")
    await emulator.settle()
    assert alice.callback_answers[-1]["text"] == "That weapon is not in your register."
    assert await count(db, CoachThread, CoachThread.weapon_id == bob_rifle) == 0


async def test_card_buttons_write_reflection_and_trends(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    ids = await seed_alice(db)
    bob_rifle = await seed_bob(db)
    alice = emulator.user(ALICE, first_name="Alice")
    sessions = await alice.ask("/sessions")
    await alice.tap(sessions, sessions.buttons[0][0][0])
    card = await alice.next_edit()
    await alice.tap(card, "🤖 AI reflection")
    reflection = await alice.next_message()
    assert reflection.text.startswith("🤖 AI reflection — session of 2 Mar 2026")
    assert "What went well" in reflection.text and "9.70 per shot" in reflection.text
    assert alice.callback_answers[-1]["text"].startswith("🤖 On it")

    weapons = await alice.ask("/weapons")
    await alice.tap(weapons, next(label for row in weapons.buttons for label, _ in row if "Glock" in label))
    weapon_card = await alice.next_edit()
    await alice.tap(weapon_card, "🤖 AI trends")
    trends = await alice.next_message()
    assert trends.text.startswith("🤖 AI trends — Glock 17")
    assert "25 m: 8.95 → 9.66 per shot" in trends.text
    async with db.session() as session:
        insight = await session.scalar(select(AiWeaponInsight))
    assert (insight.weapon_id, insight.status, insight.provider) == (
        ids["glock"],
        AiStatus.SUCCEEDED,
        "offline",
    )

    await alice.tap(weapon_card.message_id, "x", data=f"ai:wpn:{bob_rifle}")
    await emulator.settle()
    assert alice.callback_answers[-1]["text"] == "That weapon is not in your register."
    assert await count(db, AiWeaponInsight, AiWeaponInsight.weapon_id == bob_rifle) == 0


async def test_a_saved_session_gets_its_reflection(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await seed_alice(db)
    alice = emulator.user(ALICE, first_name="Alice")
    confirmation = await alice.ask("log 25m glock 50 shots 490")
    await alice.tap(confirmation, "💾 Save")
    assert "Saved" in (await alice.next_edit()).text
    reflection = await alice.next_message()
    assert "Glock 17 at 25 m: 490 from 50 shots (9.80 per shot)" in reflection.text
    async with db.session() as session:
        newest = await session.scalar(select(ShootingSession).order_by(ShootingSession.id.desc()))
        row = await session.scalar(select(AiReflection).where(AiReflection.session_id == newest.id))
    assert row.status is AiStatus.SUCCEEDED and row.attempts == 1


async def test_pending_jobs_resume_after_a_restart(
    start_bot: StartBot, emulator: BotApiEmulator, db: Database
) -> None:
    ids = await seed_alice(db)
    async with db.session() as session:
        session.add(AiReflection(session_id=ids["s3"], status=AiStatus.PENDING, attempts=1, error="was down"))
        session.add(AiWeaponInsight(weapon_id=ids["walther"], status=AiStatus.PENDING))
    alice = emulator.user(ALICE, first_name="Alice")
    await start_bot()
    first, second = await alice.next_message(), await alice.next_message()
    assert {first.text.split("\n")[0], second.text.split("\n")[0]} == {
        "🤖 AI reflection — session of 2 Feb 2026",
        "🤖 AI trends — Walther KK500",
    }
    async with db.session() as session:
        reflection = await session.scalar(select(AiReflection))
        insight = await session.scalar(select(AiWeaponInsight))
    assert (reflection.status, reflection.attempts, reflection.error) == (AiStatus.SUCCEEDED, 2, None)
    assert insight.status is AiStatus.SUCCEEDED
