"""4. Export and 5. the offline coach, over years of a shooter's log (one dataset, one bot).

Through the bot: /export with a custom period, every weapon, then the PDF and the CSV, timed from the tap
on the format to the document in the chat; a reflection (the card's AI button) and a free question, timed
from the tap or the message to the answer. Beside them, the same work called directly in this process:
what the documents and the coach cost without Telegram around them (and what `--profile` can see, as the
bot makes the PDF in a thread).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlalchemy import select

from benchmarks import harness, seed
from benchmarks.harness import Figure, Profiler, mb, ms, now, percentile
from bot.emulator import BotApiEmulator
from bot.emulator.driver import EmulatedUser, MessageView
from bot.emulator.state import StoredMessage
from conversations.export import log_texts_in
from services.coach.coach import ShooterCoach
from services.coach.offline import OfflineProvider
from services.exports.session_export import collect, log_csv, log_pdf
from storage.db import Database
from storage.models import ShootingSession, User

USER = 8001
YEARS = 5
QUESTION = "How is my Glock 17 doing at 25 m this year?"
PDF_LIMIT_S, CSV_LIMIT_S, PDF_SIZE_LIMIT = 3.0, 0.3, 5 * 2**20
COACH_LIMIT_S = 0.1
TEXTS = log_texts_in("en")


def _with_document(message: StoredMessage) -> bool:
    return "document" in message.data


async def _timed(
    emu: BotApiEmulator, user: EmulatedUser, act: Callable[[], Awaitable[object]], match=lambda _: True
) -> tuple[float, MessageView]:
    """How long from `act` to the bot's next message in the chat that `match`es."""
    count = harness.sent_count(emu, user)
    started = now()
    await act()
    message = await harness.wait_message(emu, user, count, match)
    return now() - started, message


async def _export(
    emu: BotApiEmulator, user: EmulatedUser, kind: str, first: dt.date, last: dt.date
) -> tuple[float, int]:
    """The /export flow up to the format; returns the time from that tap to the document, and its size."""
    await user.ask("/export", timeout=harness.WAIT_S)
    await user.tap(user.last, "period", data="ex:p:custom")
    await emu.settle()
    await user.ask(first.isoformat(), timeout=harness.WAIT_S)
    await user.ask(last.isoformat(), timeout=harness.WAIT_S)
    await user.tap(user.last, "next", data="ex:w:ok")
    await emu.settle()
    took, message = await _timed(
        emu, user, lambda: user.tap(user.last, kind, data=f"ex:f:{kind}"), _with_document
    )
    await emu.settle()
    return took, len(message.document.data)


async def _direct(db: Database, first: dt.date, last: dt.date) -> tuple[float, float, float]:
    """(collect, PDF, CSV) in seconds, called in this process."""
    started = now()
    async with db.session() as session:
        user = await session.get(User, USER)
        data = await collect(session, user, first, last)
    collected = now()
    log_pdf(data, TEXTS)
    made = now()
    log_csv(data)
    return collected - started, made - collected, now() - made


async def _coach_direct(db: Database, session_id: int, repeats: int) -> tuple[list[float], list[float]]:
    coach = ShooterCoach(OfflineProvider(), db)
    reflections, answers = [], []
    for _ in range(repeats):
        started = now()
        await coach.reflect(USER, session_id, "en")
        reflections.append(now() - started)
        started = now()
        await coach.ask(USER, QUESTION, "en")
        answers.append(now() - started)
    return reflections, answers


async def run(sessions: int, repeats: int, profiler: Profiler) -> list[Figure]:
    last = dt.date.today()
    first = last.replace(year=last.year - YEARS)
    async with harness.data_dir() as folder:
        async with harness.database(folder) as db:
            await seed.users(db, [USER])
            await seed.shooting_log(db, USER, sessions, years=YEARS)
            async with db.session() as session:
                newest = await session.scalar(
                    select(ShootingSession.id)
                    .where(ShootingSession.user_id == USER)
                    .order_by(ShootingSession.date.desc())
                )
            with profiler.section("export, called directly"):
                collected, pdf_direct, csv_direct = await _direct(db, first, last)
            with profiler.section("coach, called directly"):
                reflections, answers = await _coach_direct(db, newest, repeats)
        async with harness.emulator() as emu, harness.running_bot(folder, emu, [USER]):
            user = emu.user(USER, first_name="Shooter")
            await user.ask("/start", timeout=harness.WAIT_S)
            with profiler.section("export, through the bot"):
                pdf_took, pdf_size = await _export(emu, user, "pdf", first, last)
                csv_took, _ = await _export(emu, user, "csv", first, last)
            bot_reflections, bot_answers = [], []
            with profiler.section("coach, through the bot"):
                for _ in range(repeats):
                    took, _ = await _timed(
                        emu, user, lambda: user.tap(user.last, "ai", data=f"ai:ref:{newest}")
                    )
                    bot_reflections.append(took)
                    await emu.settle()
                    took, _ = await _timed(emu, user, lambda: user.send_text(QUESTION))
                    bot_answers.append(took)
                    await emu.settle()
    period = f"{sessions:,} sessions, {YEARS} years, 4 weapons"
    reflection, answer = percentile(reflections, 0.5), percentile(answers, 0.5)
    return [
        Figure(
            4,
            f"Export PDF of {period}",
            ms(pdf_took),
            f"called directly {ms(collected + pdf_direct)}",
            f"≤ {PDF_LIMIT_S:g} s",
            pdf_took <= PDF_LIMIT_S,
        ),
        Figure(4, "Export PDF size", mb(pdf_size), "–", "< 5 MB", pdf_size < PDF_SIZE_LIMIT),
        Figure(
            4,
            f"Export CSV of {period}",
            ms(csv_took),
            f"called directly {ms(collected + csv_direct)}",
            f"≤ {CSV_LIMIT_S:g} s",
            csv_took <= CSV_LIMIT_S,
        ),
        Figure(
            5,
            f"Offline coach: a session's reflection over {YEARS} years, median of {repeats}",
            ms(reflection),
            f"through the bot (tap → message) {ms(percentile(bot_reflections, 0.5))}",
            "≤ 100 ms",
            reflection <= COACH_LIMIT_S,
        ),
        Figure(
            5,
            f"Offline coach: a free question over {YEARS} years, median of {repeats}",
            ms(answer),
            f"through the bot (message → answer) {ms(percentile(bot_answers, 0.5))}",
            "≤ 100 ms",
            answer <= COACH_LIMIT_S,
        ),
    ]
