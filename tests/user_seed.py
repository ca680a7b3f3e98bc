"""A user with a row in every table of theirs and files on disk, for the /mydata, /deleteme and backup tests.

Every text carries the user's tag, so a test can tell whose data it is looking at. All users seeded with
the same `shared` bytes send the same photo, which is stored once (files are kept by content hash).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from services.attachments import ATTACHMENTS_FOLDER, store_bytes
from storage.db import Database
from storage.models import (
    AiReflection,
    AiStatus,
    AiWeaponInsight,
    AttachableType,
    Attachment,
    Base,
    CoachMessage,
    CoachRole,
    CoachThread,
    Competition,
    ConversationState,
    GearCategory,
    GearItem,
    GearJourney,
    GearJourneyItem,
    MatrixAccount,
    MatrixLinkCode,
    PersistedData,
    SessionWeaponEntry,
    ShootingSession,
    User,
    Weapon,
)

SHARED_PHOTO = b"\xff\xd8 the same target photo, sent by both users"


async def seed_everything(db: Database, data_dir: Path, user_id: int, tag: str) -> None:
    """A row in every user table (AI rows done, so no job picks them up) and three files, one shared."""
    own_photo = store_bytes(data_dir, f"{tag}'s own photo".encode(), "image/jpeg")
    shared = store_bytes(data_dir, SHARED_PHOTO, "image/jpeg")
    scan = store_bytes(data_dir, f"%PDF-1.4 {tag}'s scan".encode(), "application/pdf")
    async with db.session() as session:
        session.add(User(id=user_id, display_name=f"{tag} name", licence_number=f"L-{tag}", time_zone="UTC"))
        await session.flush()
        weapon = Weapon(user_id=user_id, name=f"{tag}-glock", type="pistol", caliber="9mm", serial_number=tag)
        run = ShootingSession(
            user_id=user_id,
            date=dt.date(2026, 11, 21),
            location=f"{tag} range",
            start_time=dt.time(19, 30),
            competition=Competition.CLUB,
        )
        session.add_all([weapon, run])
        await session.flush()
        entry = SessionWeaponEntry(
            session_id=run.id,
            weapon_id=weapon.id,
            distance_m=25,
            shot_count=50,
            ammo_caliber="9mm",
            score=471,
        )
        thread = CoachThread(user_id=user_id, topic=f"{tag} topic", session_id=run.id, weapon_id=weapon.id)
        category = GearCategory(user_id=user_id, name=f"{tag} clothes")
        journey = GearJourney(
            user_id=user_id,
            destination=f"{tag} city",
            latitude=Decimal("52.370216"),
            longitude=Decimal("4.895168"),
            starts_at=dt.date(2026, 12, 1),
            ends_at=dt.date(2026, 12, 3),
            participants=["adult"],
            weather={"source": "manual", "average_temp_celsius": 5},
        )
        session.add_all([entry, thread, category, journey])
        await session.flush()
        item = GearItem(user_id=user_id, category_id=category.id, name=f"{tag} socks", quantity_per_day=1)
        session.add(item)
        await session.flush()
        session.add_all(
            [
                _attachment(user_id, AttachableType.SESSION, run.id, own_photo, None),
                _attachment(user_id, AttachableType.WEAPON, weapon.id, shared, None),
                _attachment(user_id, AttachableType.ENTRY, entry.id, scan, f"{tag}.pdf"),
                AiReflection(session_id=run.id, summary=f"{tag} reflection", status=AiStatus.SUCCEEDED),
                AiWeaponInsight(weapon_id=weapon.id, trends=f"{tag} trends", status=AiStatus.SUCCEEDED),
                CoachMessage(coach_thread_id=thread.id, role=CoachRole.USER, content=f"{tag} question"),
                CoachMessage(coach_thread_id=thread.id, role=CoachRole.ASSISTANT, content=f"{tag} answer"),
                GearJourneyItem(journey_id=journey.id, item_id=item.id, quantity=3, reasons=["cold"]),
                # Half-way through typing a time zone, with a draft in user and chat data.
                ConversationState(
                    name="settings_time_zone", key=f"[{user_id},{user_id}]", state="typing_zone"
                ),
                PersistedData(scope="user", owner_id=user_id, data={"draft": f"{tag} draft"}),
                PersistedData(scope="chat", owner_id=user_id, data={"note": f"{tag} chat"}),
                # On Matrix too, with a link code not used yet.
                MatrixAccount(matrix_id=f"@{tag.lower()}:example.org", user_id=user_id, room_id=f"!{tag}:x"),
                MatrixLinkCode(
                    code=f"{user_id:08d}"[-8:],
                    user_id=user_id,
                    expires_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
                ),
            ]
        )


def _attachment(user_id: int, kind: AttachableType, owner_id: int, stored, name: str | None) -> Attachment:
    return Attachment(
        user_id=user_id,
        attachable_type=kind,
        attachable_id=owner_id,
        path=stored.path,
        mime=stored.mime,
        size=stored.size,
        sha256=stored.sha256,
        original_name=name,
        telegram_file_id=None,
    )


async def snapshot(db: Database) -> dict[str, list[dict]]:
    """Every row of every table, by table name."""
    tables: dict[str, list[dict]] = {}
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            result = await session.execute(select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [dict(row._mapping) for row in result]
    return tables


def files(data_dir: Path) -> dict[str, str]:
    """The files under the attachments folder, relative path -> sha256."""
    root = data_dir / ATTACHMENTS_FOLDER
    return {
        path.relative_to(data_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }
