"""End to end: /attendance on a seeded year, the renewal date and reminders in /settings, the weekly job."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.app import AimTrackApplication
from bot.emulator import BotApiEmulator
from core.audience import FIRST_MATRIX_USER_ID, MATRIX_SIDE, TELEGRAM_SIDE
from handlers.attendance import REMINDER_JOB, send_attendance_reminders
from services.preferences import zone_of
from services.unit_of_work import UnitOfWork
from storage.db import Database
from storage.models import Competition, ShootingSession, User
from tests.conftest import ALICE, BOB

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)  # a Monday
TODAY = NOW.date()
NONE, KNSA, CLUB = Competition.NONE, Competition.KNSA, Competition.CLUB

# Alice's year: 15 session days in the last 12 months, day 22 with two sessions; this calendar year
# 2 KNSA ranking matches and 4 club match days; a KNSA match of 2025 and sessions over a year ago.
ALICE_YEAR = [
    (1, NONE),
    (8, KNSA),
    (15, CLUB),
    (22, CLUB),
    (22, CLUB),
    (29, NONE),
    (36, KNSA),
    (50, CLUB),
    (64, CLUB),
    (78, NONE),
    (92, NONE),
    (200, NONE),
    (250, KNSA),
    (300, NONE),
    (330, NONE),
    (364, NONE),
    (365, NONE),  # 15 Jun 2025: exactly a year ago, outside
    (400, KNSA),
]


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot's "today" is TODAY, so the seeded year reads the same on any day the tests run."""

    def today_in(zone: str | None) -> dt.date:
        return NOW.astimezone(zone_of(zone)).date()

    for where in ("handlers.attendance", "handlers.context"):
        monkeypatch.setattr(f"{where}.today_in", today_in)


async def add_user(db: Database, user_id: int, **values: object) -> None:
    async with db.session() as session:
        session.add(User(id=user_id, **values))


async def add_sessions(
    db: Database, user_id: int, sessions: list[tuple[int, Competition]], today: dt.date = TODAY
) -> None:
    async with db.session() as session:
        for days_ago, competition in sessions:
            day = today - dt.timedelta(days=days_ago)
            session.add(
                ShootingSession(user_id=user_id, date=day, club="SV De Roos", competition=competition)
            )


async def user_row(db: Database, user_id: int) -> User:
    async with db.session() as session:
        return await session.get_one(User, user_id)


def labels(message) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


async def test_attendance_counts_a_seeded_year(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await add_user(db, ALICE)
    await add_sessions(db, ALICE, ALICE_YEAR)
    await add_user(db, BOB)
    await add_sessions(db, BOB, [(days, KNSA) for days in range(1, 40)])  # Bob's never count for Alice
    alice = emulator.user(ALICE, first_name="Alice")
    reply = await alice.ask("/attendance")
    lines = reply.text.splitlines()
    assert lines[:3] == [
        "📊 Attendance",
        "Session days in the last 12 months (since 16 Jun 2025): 15 of 18.",
        "3 more needed for the WM-4 minimum.",
    ]
    assert "Set your renewal date in /settings" in reply.text
    assert "Matches in 2026: KNSA ranking 2 of 3 · club 4 of 5 (either is enough)." in lines
    assert "competition rule" not in reply.text
    assert (
        lines[-1] == "This is your own log. The official proof is your club's register or your KNSA record."
    )
    assert labels(reply) == ["⚙️ Renewal date and reminders"]
    await alice.tap(reply, "⚙️ Renewal date and reminders")
    assert (await alice.next_message()).text.startswith("Settings")


async def test_attendance_with_a_renewal_date_shows_the_pace(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    # 17 Aug 2026: its 12 months open after 17 Aug 2025, so 13 of the 15 days count for it.
    await add_user(db, ALICE, renewal_date=TODAY + dt.timedelta(days=63))
    await add_sessions(db, ALICE, [*ALICE_YEAR, (70, KNSA)])
    alice = emulator.user(ALICE, first_name="Alice")
    reply = await alice.ask("/attendance")
    assert "Session days in the last 12 months (since 16 Jun 2025): 16 of 18." in reply.text
    assert "Before your renewal on 17 Aug 2026: 4 more in 9 weeks: about one every 2 weeks." in reply.text
    assert "KNSA ranking 3 of 3" in reply.text
    assert "✅ The competition rule for 2026 is met." in reply.text


async def test_attendance_in_dutch_from_the_main_menu(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await add_user(db, BOB, renewal_date=TODAY - dt.timedelta(days=1))
    await add_sessions(db, BOB, [(days, NONE) for days in range(1, 19)])
    bob = emulator.user(BOB, first_name="Bram", language_code="nl")
    menu = await bob.ask("/start")
    await bob.tap(menu, "📊 Schietbeurten")
    reply = await bob.next_message()
    assert "Schietdagen in de afgelopen 12 maanden (sinds 16-06-2025): 18 van 18." in reply.text
    assert "✅ Daarmee haal je het WM-4-minimum." in reply.text
    assert "Je verlengingsdatum 14-06-2026 is voorbij." in reply.text
    assert "register van je vereniging" in reply.text
    await bob.tap(menu, "x", data="at:nonsense")
    await emulator.settle()
    assert bob.callback_answers[-1]["text"] == "Die knop is niet meer geldig."


async def test_the_renewal_date_and_reminders_in_settings(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    alice = emulator.user(ALICE, first_name="Alice")
    settings_message = await alice.ask("/settings")
    assert "WM-4 renewal date: not set" in settings_message.text
    assert "Attendance reminders: off" in settings_message.text
    assert "🔔 Attendance reminders: off" in labels(settings_message)

    await alice.tap(settings_message, "🔔 Attendance reminders: off")
    turned_on = await alice.next_edit()
    assert turned_on.text.startswith("Attendance reminders are on. Set your renewal date too")
    assert "🔔 Attendance reminders: on" in labels(turned_on)
    assert (await user_row(db, ALICE)).attendance_reminders is True
    await alice.tap(settings_message, "x", data="set:rem:on")  # a double tap: nothing to change
    await emulator.settle()
    assert "not modified" in emulator.errors[-1][2].description
    assert "went wrong" not in alice.last.text, "an identical edit is not an error"

    await alice.tap(turned_on, "📅 Renewal date")
    prompt = await alice.next_message()
    assert prompt.text.startswith("When is your WM-4 permit up for renewal?") and prompt.buttons == []
    assert "is not a day on the calendar" in (await alice.ask("31-02-2027")).text
    assert "can't read “soon” as a date" in (await alice.ask("soon")).text
    assert (await alice.ask("2026-06-01")).text.startswith("1 Jun 2026 has already passed.")
    assert (await user_row(db, ALICE)).renewal_date is None
    confirmation = await alice.ask("17-08")  # a day and month mean the next one
    assert confirmation.text.startswith("Renewal date set to 17 Aug 2026.")
    assert "WM-4 renewal date: 17 Aug 2026" in confirmation.text
    assert (await user_row(db, ALICE)).renewal_date == dt.date(2026, 8, 17)

    await alice.tap(confirmation, "📅 Renewal date")
    prompt = await alice.next_message()
    assert "(now: 17 Aug 2026)" in prompt.text
    await alice.tap(prompt, "🗑 Clear")
    cleared = await alice.next_edit()
    assert cleared.text.startswith("Renewal date cleared.")
    assert (await user_row(db, ALICE)).renewal_date is None
    await alice.send_text("18-08")  # the question is over: this is not a renewal date any more
    await emulator.settle()
    assert (await user_row(db, ALICE)).renewal_date is None

    await alice.tap(cleared, "🔔 Attendance reminders: on")
    assert (await alice.next_edit()).text.startswith("Attendance reminders are off.")
    assert (await user_row(db, ALICE)).attendance_reminders is False


async def test_a_stale_clear_button_still_clears(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    await add_user(db, ALICE, renewal_date=dt.date(2026, 9, 1))
    alice = emulator.user(ALICE, first_name="Alice")
    settings_message = await alice.ask("/settings")
    assert "WM-4 renewal date: 1 Sep 2026" in settings_message.text
    await alice.tap(settings_message, "x", data="set:ren:clear")
    assert (await alice.next_edit()).text.startswith("Renewal date cleared.")
    assert (await user_row(db, ALICE)).renewal_date is None


async def test_the_weekly_job_warns_only_users_behind_with_reminders_on(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    [job] = [job for job in bot.job_queue.jobs() if job.name == REMINDER_JOB]
    next_run = job.next_t.astimezone(zone_of("Europe/Amsterdam"))
    assert (next_run.strftime("%A"), next_run.hour, next_run.minute) == ("Sunday", 18, 0)

    sunday = dt.datetime(2026, 6, 14, 16, 0, tzinfo=dt.UTC)  # 18:00 in Amsterdam
    today = sunday.date()
    renewal = today + dt.timedelta(weeks=10)
    lagging = [*((days, NONE) for days in range(60, 70)), (3, NONE), (10, NONE)]  # 6 more, 2 lately
    steady = [(days, NONE) for days in range(0, 126, 7)]  # 18 days: on track
    carol, dave, erik = 1003, 1004, 1005
    await add_user(db, ALICE, attendance_reminders=True, renewal_date=renewal)
    await add_sessions(db, ALICE, lagging, today)
    await add_user(db, BOB, attendance_reminders=True, renewal_date=renewal)
    await add_sessions(db, BOB, steady, today)
    await add_user(db, carol, attendance_reminders=False, renewal_date=renewal)  # behind, but off
    await add_sessions(db, carol, lagging, today)
    await add_user(db, dave, attendance_reminders=True)  # no renewal date
    await add_user(db, erik, attendance_reminders=True, renewal_date=renewal, telegram_language="nl-NL")
    await add_sessions(db, erik, lagging, today)
    users = {user_id: emulator.user(user_id) for user_id in (ALICE, BOB, carol, dave, erik)}

    warned = await send_attendance_reminders(UnitOfWork(db), bot.bot, now=sunday)
    assert warned == [ALICE, erik]
    reminder = await users[ALICE].next_message()
    assert reminder.text.splitlines() == [
        "⏰ Attendance reminder",
        "Before your renewal on 23 Aug 2026: 6 more in 10 weeks: about one a week.",
        "In the last 8 weeks you had 2 session days; at that pace you fall short. "
        "/attendance shows the details.",
    ]
    assert (await users[erik].next_message()).text.startswith("⏰ Herinnering schietbeurten")
    await emulator.settle()
    assert [len(users[user_id].messages) for user_id in (BOB, carol, dave)] == [0, 0, 0]


async def test_beside_matrix_each_side_reminds_its_own_users_once(
    bot: AimTrackApplication, emulator: BotApiEmulator, db: Database
) -> None:
    """Telegram's jobs write to Telegram ids (linked users too), Matrix's to Matrix-only users."""
    sunday = dt.datetime(2026, 6, 14, 16, 0, tzinfo=dt.UTC)
    today = sunday.date()
    lagging = [*((days, NONE) for days in range(60, 70)), (3, NONE), (10, NONE)]
    matrix_only = FIRST_MATRIX_USER_ID + 1
    for user_id in (ALICE, matrix_only):
        await add_user(db, user_id, attendance_reminders=True, renewal_date=today + dt.timedelta(weeks=10))
        await add_sessions(db, user_id, lagging, today)
        emulator.user(user_id)

    uow = UnitOfWork(db)
    assert await send_attendance_reminders(uow, bot.bot, now=sunday, audience=TELEGRAM_SIDE) == [ALICE]
    assert await send_attendance_reminders(uow, bot.bot, now=sunday, audience=MATRIX_SIDE) == [matrix_only]
    assert await send_attendance_reminders(uow, bot.bot, now=sunday) == [ALICE, matrix_only]
    assert (TELEGRAM_SIDE.job(REMINDER_JOB), MATRIX_SIDE.job(REMINDER_JOB)) == (
        REMINDER_JOB,
        f"{REMINDER_JOB}:matrix",
    ), "each side claims its week under its own name, so both run"
