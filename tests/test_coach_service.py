"""The coach's services: the offline provider's texts on a seeded history (with the real numbers), the
prompt summary (deterministic, bounded, one user's data only), and Markdown → Telegram HTML."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from bot.emulator.state import format_text
from services.coach import reflections, topics
from services.coach.coach import ShooterCoach, bounded_turns
from services.coach.context import summary
from services.coach.formatting import to_messages
from services.coach.offline import OfflineProvider
from services.coach.reflections import Kind
from services.coach.tools import DatabaseTools
from services.coach.types import Turn
from services.unit_of_work import UnitOfWork
from storage.db import Database
from storage.models import SessionWeaponEntry, ShootingSession, User, Weapon
from tests.conftest import ALICE, BOB

# (day, [(weapon, distance, shots, score, note)], own reflection)
ALICE_LOG = [
    (dt.date(2026, 1, 5), [("glock", 25, 50, 440, "low left")], "Trigger jerk again"),
    (dt.date(2026, 1, 19), [("glock", 25, 50, 455, "low left flyer")], None),
    (dt.date(2026, 2, 2), [("glock", 25, 50, 470, None), ("glock", 50, 30, 240, "high")], None),
    (dt.date(2026, 2, 16), [("glock", 25, 50, 481, "tight group"), ("walther", 50, 60, 540, None)], None),
    (dt.date(2026, 3, 2), [("glock", 25, 50, 485, "low left again"), ("glock", 50, 30, 225, None)], None),
]
BOB_SECRET = "BOBNOTE-7731"


async def seed_alice(db: Database) -> dict[str, int]:
    """Alice's weapons and five sessions (ids by name, and sessions as "s1".."s5")."""
    ids: dict[str, int] = {}
    async with db.session() as session:
        if await session.get(User, ALICE) is None:
            session.add(User(id=ALICE, display_name="Alice"))
            await session.flush()
        glock = Weapon(user_id=ALICE, name="Glock 17", type="pistol", caliber="9mm")
        walther = Weapon(user_id=ALICE, name="Walther KK500", type="rifle", caliber=".22 LR")
        session.add_all([glock, walther])
        await session.flush()
        ids.update(glock=glock.id, walther=walther.id)
        for number, (day, entries, reflection) in enumerate(ALICE_LOG, start=1):
            run = ShootingSession(user_id=ALICE, date=day, club="SV De Roos", manual_reflection=reflection)
            run.entries = [
                SessionWeaponEntry(
                    weapon_id=ids[w],
                    distance_m=d,
                    shot_count=n,
                    score=s,
                    ammo_caliber="9mm",
                    grouping_note=note,
                )
                for w, d, n, s, note in entries
            ]
            session.add(run)
            await session.flush()
            ids[f"s{number}"] = run.id
    return ids


async def seed_bob(db: Database) -> int:
    async with db.session() as session:
        if await session.get(User, BOB) is None:
            session.add(User(id=BOB, display_name="Bob"))
            await session.flush()
        rifle = Weapon(user_id=BOB, name="Bobs Secret Rifle", type="rifle", caliber=".308")
        session.add(rifle)
        await session.flush()
        run = ShootingSession(user_id=BOB, date=dt.date(2026, 2, 10), club="Bob Club")
        run.entries = [
            SessionWeaponEntry(
                weapon_id=rifle.id,
                distance_m=100,
                shot_count=20,
                score=199,
                ammo_caliber=".308",
                grouping_note=BOB_SECRET,
            )
        ]
        session.add(run)
        return rifle.id


async def test_a_reflection_names_the_real_numbers(db: Database) -> None:
    ids = await seed_alice(db)
    await seed_bob(db)
    coach = ShooterCoach(OfflineProvider(), db)
    reflection = await coach.reflect(ALICE, ids["s5"], "en")

    assert reflection.summary == (
        "2 Mar 2026 at SV De Roos: 80 rounds with Glock 17. Glock 17 at 25 m: 485 from 50 shots "
        "(9.70 per shot); Glock 17 at 50 m: 225 from 30 shots (7.50 per shot)."
    )
    assert "Glock 17 at 25 m: 9.70 per shot, above your average of 9.23 there (4 earlier entries)." in (
        reflection.went_well
    )
    assert "Glock 17 at 50 m: 7.50 per shot, below your average of 8.00 there (1 earlier entries)." in (
        reflection.needs_improvement
    )
    assert "“left” comes back in 3 of your notes." in reflection.needs_improvement
    assert reflection.next_focus == (
        "Next time, work on Glock 17 at 50 m: get back to your average of 8.00 per shot."
    )
    assert (reflection.provider, reflection.model) == ("offline", "statistics-v1")


async def test_a_first_session_is_a_baseline_and_dutch_uses_commas(db: Database) -> None:
    ids = await seed_alice(db)
    reflection = await ShooterCoach(OfflineProvider(), db).reflect(ALICE, ids["s1"], "nl")
    assert "05-01-2026 bij SV De Roos: 50 schoten met Glock 17" in reflection.summary
    assert "8,80 per schot is je eerste score daar" in reflection.went_well
    assert reflection.next_focus.startswith("Let volgende keer op “left”")


async def test_weapon_trends_name_trend_volume_and_extremes(db: Database) -> None:
    ids = await seed_alice(db)
    insight = await ShooterCoach(OfflineProvider(), db).weapon_insight(ALICE, ids["glock"], "en")
    lines = insight.trends.splitlines()
    assert lines[0] == "5 sessions, 310 rounds, last used 2 Mar 2026."
    assert "25 m: 8.95 → 9.66 per shot (first 2 vs last 2 of 5 scored entries, average 9.32)." in lines
    assert "50 m: 8.00 → 7.50 per shot (first 1 vs last 1 of 2 scored entries, average 7.75)." in lines
    assert "Rounds per month: 2026-01 100, 2026-02 130, 2026-03 80." in lines
    assert "Best session: 16 Feb 2026 (9.62 per shot); weakest: 5 Jan 2026 (8.80 per shot)." in lines
    assert insight.typical_issues.splitlines()[:2] == ["“left” in 3 of 6 notes.", "“low” in 3 of 6 notes."]
    recommendations = insight.recommendations.splitlines()
    assert recommendations[0].startswith("At 50 m your score fell from 8.00 to 7.50 per shot")
    assert recommendations[1] == "At 25 m you improved from 8.95 to 9.66 per shot: keep that routine."
    assert "You fired 80 rounds in 2026-03" in insight.recommendations


async def test_weapon_without_sessions(db: Database) -> None:
    ids = await seed_alice(db)
    async with db.session() as session:
        spare = Weapon(user_id=ALICE, name="Spare", type="pistol", caliber="9mm")
        session.add(spare)
    insight = await ShooterCoach(OfflineProvider(), db).weapon_insight(ALICE, spare.id, "en")
    assert insight.trends == "No sessions are logged with this weapon yet."
    assert ids  # the others' data does not leak into an empty weapon's text


async def test_offline_answers_follow_the_earlier_turns(db: Database) -> None:
    await seed_alice(db)
    coach = ShooterCoach(OfflineProvider(), db)
    first = await coach.ask(ALICE, "How is my Glock doing?", "en")
    assert "Glock 17: 5 sessions, 310 rounds." in first.text
    assert "Average 9.02 per shot over 7 scored entries." in first.text
    follow_up = await coach.ask(ALICE, "and at 50 m?", "en")
    assert "Glock 17 at 50 m: 2 sessions, 60 rounds." in follow_up.text
    assert "50 m: 8.00 → 7.50 per shot" in follow_up.text
    everything = await coach.ask(ALICE, "what about 2025?", "en")
    assert "I found no logged entries for: Glock 17 at 50 m in 2025." in everything.text


async def test_the_summary_is_deterministic_bounded_and_only_the_users(db: Database) -> None:
    await seed_alice(db)
    await seed_bob(db)
    coach = ShooterCoach(OfflineProvider(), db)
    history = await coach.load_history(ALICE)
    text = summary(history)
    assert text == summary(await coach.load_history(ALICE))
    assert "Totals: 5 sessions, 370 rounds" in text
    assert "25 m: avg 9.32/shot over 5 scored entries, first 8.95 -> last 9.66" in text
    assert "2026-03-02 SV De Roos: Glock 17 25 m 50 shots score 485 (9.70/shot) note “low left again”" in text
    assert BOB_SECRET not in text and "Bob" not in text
    short = summary(history, budget=700)
    assert len(short) <= 700 and "older sessions not shown" in short


async def test_tools_are_scoped_to_the_user(db: Database) -> None:
    ids = await seed_alice(db)
    bob_rifle = await seed_bob(db)
    alice_tools = DatabaseTools(db, ALICE)
    stats = await alice_tools.run("weapon_stats", {"weapon": "glock", "distance_m": 50})
    assert stats["rounds"] == 60 and stats["by_weapon_and_distance"][0]["average_per_shot"] == 7.75
    assert (await alice_tools.run("find_sessions", {"weapon": str(bob_rifle)}))["error"].startswith(
        "no weapon"
    )
    found = await alice_tools.run("find_sessions", {"date_from": "2026-02-01", "date_to": "2026-02-28"})
    assert [s["id"] for s in found["sessions"]] == [ids["s4"], ids["s3"]]
    assert (await alice_tools.run("find_sessions", {"date_from": "Feb"}))[
        "error"
    ] == "date_from must be YYYY-MM-DD"
    assert BOB_SECRET not in str(await alice_tools.run("find_sessions", {"limit": 50}))


def test_turns_are_bounded_and_start_with_a_question() -> None:
    turns = [Turn("user", "q" * 10), Turn("assistant", "a" * 10), Turn("user", "q2"), Turn("assistant", "a2")]
    assert bounded_turns(turns, budget=20) == turns[2:]
    assert bounded_turns(turns, budget=3) == []


def _telegram_accepts(html_text: str) -> str:
    text, _ = format_text(html_text, "HTML", None)
    return text


def test_markdown_becomes_html_telegram_accepts() -> None:
    tricky = (
        "# Result\n**Bold** and *italic* with `a < b && c` and 5 < 6 & 7 > 3\n"
        "- unclosed **bold here\n- *a **b* c**\n\n```python\nif x < 3 and y > 2:\n    print('&')\n```\n"
        "[link](https://example.org/?a=1&b=2) <script>alert(1)</script>"
    )
    [message] = to_messages(tricky)
    assert "<b>Result</b>" in message and "<b>Bold</b>" in message and "<i>italic</i>" in message
    assert "<code>a &lt; b &amp;&amp; c</code>" in message
    assert "• unclosed **bold here" in message
    assert "<pre>if x &lt; 3 and y &gt; 2:\n    print('&amp;')</pre>" in message
    assert '<a href="https://example.org/?a=1&amp;b=2">link</a>' in message
    shown = _telegram_accepts(message)
    assert "<script>alert(1)</script>" in shown and "*a **b* c**" in shown


def test_long_answers_are_split_on_boundaries() -> None:
    paragraphs = [f"Paragraph {n}: " + "word " * 150 for n in range(12)]
    code = "```\n" + "\n".join(f"line {n} <&>" for n in range(600)) + "\n"  # an unclosed fence
    messages = to_messages("\n\n".join(paragraphs) + "\n\n" + code + "\n" + "x" * 9000)
    assert len(messages) > 3
    for message in messages:
        assert len(message) <= 4096
        _telegram_accepts(message)
    joined = "\n".join(messages)
    assert all(re.search(rf"Paragraph {n}: word", joined) for n in range(12))
    assert "line 599 &lt;&amp;&gt;" in joined and messages[0].startswith("Paragraph 0")


async def test_pins_and_ai_requests_take_only_the_users_own_sessions_and_weapons(db: Database) -> None:
    ids = await seed_alice(db)
    bobs_rifle = await seed_bob(db)
    uow = UnitOfWork(db)
    async with db.session() as session:
        bobs_session = await session.scalar(select(ShootingSession.id).where(ShootingSession.user_id == BOB))
    assert await topics.pin_session(uow, ALICE, bobs_session) is None
    assert await topics.pin_weapon(uow, ALICE, bobs_rifle) is None
    assert await reflections.request(uow, Kind.REFLECTION, ALICE, bobs_session) is None
    assert await reflections.request(uow, Kind.INSIGHT, ALICE, bobs_rifle) is None
    assert await topics.pin_session(uow, ALICE, ids["s5"]) == dt.date(2026, 3, 2)
    assert await topics.pin_weapon(uow, ALICE, ids["glock"]) == "Glock 17"
    choices = await topics.pin_choices(uow, ALICE)
    assert [s.id for s in choices.sessions] == [ids[f"s{n}"] for n in (5, 4, 3, 2, 1)]
    assert [w.name for w in choices.weapons] == ["Glock 17", "Walther KK500"]


async def test_an_attempt_writes_the_reflection_once(db: Database) -> None:
    ids = await seed_alice(db)
    uow, coach = UnitOfWork(db), ShooterCoach(OfflineProvider(), db)
    job = await reflections.request(uow, Kind.REFLECTION, ALICE, ids["s5"])
    assert job is not None and await reflections.reflection_pending(uow, ALICE, ids["s5"])
    assert await reflections.pending_jobs(uow) == [job]
    written = await reflections.attempt(uow, coach, job)
    assert isinstance(written, reflections.Written) and written.title == "2 Mar 2026"
    assert not await reflections.reflection_pending(uow, ALICE, ids["s5"])
    assert await reflections.attempt(uow, coach, job) is None, "nothing left to do"


async def test_a_result_equal_to_the_average_is_level_with_it_not_above(db: Database) -> None:
    """471 from 50 shots twice: the second is 9.42 against an average of 9.42, in English and Dutch."""
    async with db.session() as session:
        session.add(User(id=BOB, display_name="Bob"))
        await session.flush()
        glock = Weapon(user_id=BOB, name="Glock 17", type="pistol", caliber="9mm")
        session.add(glock)
        await session.flush()
        for day in (dt.date(2026, 3, 1), dt.date(2026, 3, 8)):
            run = ShootingSession(user_id=BOB, date=day, club="SV De Roos")
            run.entries = [
                SessionWeaponEntry(
                    weapon_id=glock.id, distance_m=25, shot_count=50, score=471, ammo_caliber="9mm"
                )
            ]
            session.add(run)
        await session.flush()
        second = run.id
    coach = ShooterCoach(OfflineProvider(), db)
    english, dutch = await coach.reflect(BOB, second, "en"), await coach.reflect(BOB, second, "nl")

    level = "Glock 17 at 25 m: 9.42 per shot, level with your average there (1 earlier entries)."
    assert level in english.went_well
    assert not any("above" in line for line in [*english.went_well, *english.needs_improvement])
    assert "Glock 17 op 25 m: 9,42 per schot, gelijk aan je gemiddelde daar (1 eerdere onderdelen)." in (
        dutch.went_well
    )
    assert not any("entries" in line for line in [*dutch.went_well, *dutch.needs_improvement])
