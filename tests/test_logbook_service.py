"""The logbook's use cases without a chat: each reads and writes only the user's own rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from services import photos, shooting_sessions
from services.photos import EntryRef, SessionRef, Target, WeaponRef
from services.session_log import EntryDraft, SessionDraft
from services.unit_of_work import UnitOfWork
from storage.db import Database
from storage.models import Attachment, SessionWeaponEntry, ShootingSession, User, Weapon

ALICE, BOB = 1001, 1002
DAY = dt.date(2026, 3, 7)
FILE = {
    "path": "attachments/ab/abc.jpg",
    "sha256": "ab" * 32,
    "size": 3,
    "mime": "image/jpeg",
    "original_name": None,
    "telegram_file_id": "AgAC",
}


async def seed(db: Database, user_id: int) -> dict[str, int]:
    """A user with a weapon and one session of one entry with it."""
    async with db.session() as session:
        session.add(User(id=user_id))
        await session.flush()
        weapon = Weapon(user_id=user_id, name=f"Glock {user_id}", type="pistol", caliber="9mm")
        session.add(weapon)
        await session.flush()
        row = ShootingSession(user_id=user_id, date=DAY, club="SV De Roos")
        row.entries = [
            SessionWeaponEntry(weapon_id=weapon.id, distance_m=25, shot_count=20, ammo_caliber="9mm")
        ]
        session.add(row)
        await session.flush()
        return {"weapon": weapon.id, "session": row.id, "entry": row.entries[0].id}


async def count(db: Database, model: type) -> int:
    async with db.session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


def draft_with(weapon_id: int, session_id: int | None = None) -> SessionDraft:
    entry = EntryDraft(
        weapon_id=weapon_id, weapon_name="Glock", distance_m=25, shot_count=30, ammo_caliber="9mm"
    )
    return SessionDraft(session_id=session_id, date=DAY.isoformat(), entries=[entry], files=[dict(FILE)])


async def test_another_users_session_or_weapon_is_refused_like_a_missing_one(
    db: Database, data_dir: Path
) -> None:
    uow = UnitOfWork(db)
    mine, theirs = await seed(db, ALICE), await seed(db, BOB)
    assert await shooting_sessions.open_session(uow, ALICE, theirs["session"]) is None
    assert await shooting_sessions.delete_session(uow, ALICE, theirs["session"], data_dir=data_dir) is None
    assert await shooting_sessions.save_draft(uow, ALICE, draft_with(theirs["weapon"])) is None
    assert (
        await shooting_sessions.save_draft(uow, ALICE, draft_with(mine["weapon"], theirs["session"])) is None
    )
    assert (await count(db, ShootingSession), await count(db, Attachment)) == (2, 0), "nothing written"

    card = await shooting_sessions.open_session(uow, ALICE, mine["session"])
    assert card is not None and (card.date, card.entries, card.files) == (DAY, 1, 0)
    saved = await shooting_sessions.save_draft(uow, ALICE, draft_with(mine["weapon"]))
    assert saved is not None and saved.created and saved.date == DAY
    assert await count(db, Attachment) == 1, "the draft's file went with the new session"
    assert await shooting_sessions.delete_session(uow, ALICE, mine["session"], data_dir=data_dir) == DAY
    page = await shooting_sessions.sessions_page(uow, ALICE, 7)
    assert (page.page, page.total, [row.id for row in page.sessions]) == (1, 1, [saved.id])


async def test_files_go_only_to_the_users_own_places(db: Database) -> None:
    uow = UnitOfWork(db)
    mine, theirs = await seed(db, ALICE), await seed(db, BOB)
    for target, key in ((Target.SESSION, "session"), (Target.WEAPON, "weapon"), (Target.ENTRY, "entry")):
        assert await photos.attach_files(uow, ALICE, target, theirs[key], [FILE]) is None
        assert await photos.attach_files(uow, ALICE, target, 999_999, [FILE]) is None
    assert await count(db, Attachment) == 0
    assert await photos.session_files(uow, ALICE, theirs["session"]) is None
    assert await photos.weapon_files(uow, ALICE, theirs["weapon"]) is None

    entry = await photos.attach_files(uow, ALICE, Target.ENTRY, mine["entry"], [FILE])
    session = SessionRef(mine["session"], DAY, "SV De Roos")
    assert entry == EntryRef(mine["entry"], session, f"Glock {ALICE}", 25)
    weapon = await photos.attach_files(uow, ALICE, Target.WEAPON, mine["weapon"], [FILE])
    assert weapon == WeaponRef(mine["weapon"], f"Glock {ALICE}")
    shown = await photos.session_files(uow, ALICE, mine["session"])
    assert shown is not None and len(shown) == 1, "a session shows its entries' files too"
    places = await photos.places(uow, ALICE)
    assert (places.latest, places.has_weapons, places.has_entries) == (session, True, True)
