"""The weapon form's steps, the card and the weapon queries, without a chat."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import event, select

from services import weapons
from services.unit_of_work import UnitOfWork
from services.validation import InvalidInput
from services.weapons import (
    CLEAR,
    COMMON_CALIBERS,
    FIELDS,
    KEEP,
    SKIP,
    WEAPON_TYPES,
    DeletePlan,
    Field,
    Label,
    answer_tap,
    answer_text,
    card,
    delete_plan,
    draft_of,
    list_entry,
    new_draft,
    next_field,
    question,
    weapon_values,
)
from storage.db import Database
from storage.models import AttachableType, Attachment, SessionWeaponEntry, ShootingSession, User, Weapon
from storage.weapons import (
    DeleteOutcome,
    WeaponStats,
    create_weapon,
    delete_weapon,
    get_weapon,
    list_weapons,
    set_retired,
    update_weapon,
    weapon_stats,
)

TODAY = dt.date(2026, 11, 21)


def weapon(**values: object) -> Weapon:
    fields = {"id": 7, "name": "Glock 17", "type": "pistol", "caliber": "9mm", "serial_number": "GLK-0042"}
    return Weapon(**{**fields, **values})


def filled_draft() -> dict:
    draft = new_draft()
    for field, answer in [("name", "Glock 17"), ("cal", "9mm"), ("bought", "2024-03-01")]:
        draft = answer_text(Field(field), answer, draft, today=TODAY)
    return answer_tap(Field.TYPE, "0", draft, editing=False)


# --- the form ---------------------------------------------------------------------------------------


def test_adding_asks_every_step_in_order_and_editing_one() -> None:
    assert list(FIELDS) == ["name", "type", "cal", "serial", "store", "bought", "notes"]
    field, seen = FIELDS[0], []
    while field is not None:
        seen.append(field)
        field = next_field(field, editing=False)
    assert seen == list(FIELDS)
    assert all(next_field(field, editing=True) is None for field in FIELDS)


def test_a_new_weapons_questions_offer_their_choices_and_skip_only_when_optional() -> None:
    draft = new_draft()
    name = question(Field.NAME, draft, editing=False)
    assert name.texts[0] == ("weapons.form.progress", {"step": 1, "total": 7})
    assert name.choices == () and name.controls == ()
    kinds = question(Field.TYPE, draft, editing=False)
    assert [choice.label_key for choice in kinds.choices] == [f"weapons.type.{kind}" for kind in WEAPON_TYPES]
    calibers = question(Field.CALIBER, draft, editing=False)
    assert [choice.label for choice in calibers.choices] == list(COMMON_CALIBERS)
    for field in (Field.SERIAL, Field.STORAGE, Field.PURCHASED, Field.NOTES):
        assert [choice.token for choice in question(field, draft, editing=False).controls] == [SKIP]
    assert all(
        len(f"wf:{field}:{choice.token}".encode()) <= 64 for field in FIELDS for choice in kinds.choices
    )


def test_editing_offers_keep_and_clear_and_never_repeats_the_serial_number() -> None:
    draft = draft_of(weapon(notes="Night sights", purchased_at=dt.date(2024, 3, 1)))
    notes = question(Field.NOTES, draft, editing=True)
    assert [choice.token for choice in notes.controls] == [KEEP, CLEAR]
    assert notes.texts[0] == ("weapons.form.current", {"name": "Glock 17", "value": "Night sights"})
    assert question(Field.PURCHASED, draft, editing=True).texts[0][1]["value"] == dt.date(2024, 3, 1)
    assert question(Field.TYPE, draft, editing=True).texts[0][1]["value"] == Label("weapons.type.pistol")
    assert [choice.token for choice in question(Field.STORAGE, draft, editing=True).controls] == [KEEP]
    assert [choice.token for choice in question(Field.NAME, draft, editing=True).controls] == [KEEP]
    serial = question(Field.SERIAL, draft, editing=True)
    assert "GLK-0042" not in repr(serial.texts)


def test_typed_answers_are_read_into_the_draft() -> None:
    draft = filled_draft()
    assert draft["name"] == "Glock 17" and draft["type"] == "pistol" and draft["caliber"] == "9mm"
    assert draft["purchased_at"] == "2024-03-01", "the draft stays JSON, for the persistence"
    draft = answer_text(Field.NOTES, "  Night sights\nand a flat trigger ", draft, today=TODAY)
    assert draft["notes"] == "Night sights\nand a flat trigger"
    assert answer_text(Field.PURCHASED, "21-11", draft, today=TODAY)["purchased_at"] == "2026-11-21"


@pytest.mark.parametrize(
    ("field", "text", "key"),
    [
        (Field.NAME, "x" * 101, "input.too_long"),
        (Field.NAME, "  \n ", "input.empty"),
        (Field.TYPE, "pistol", "weapons.form.use_buttons"),
        (Field.CALIBER, "c" * 33, "input.too_long"),
        (Field.SERIAL, "s" * 65, "input.too_long"),
        (Field.STORAGE, "k" * 101, "input.too_long"),
        (Field.PURCHASED, "2026-11-22", "input.future_date"),
        (Field.PURCHASED, "last spring", "input.bad_date"),
        (Field.PURCHASED, "30-02-2024", "input.no_such_date"),
        (Field.NOTES, "n" * 2001, "input.too_long"),
    ],
)
def test_unusable_answers_raise_and_leave_the_draft_alone(field: Field, text: str, key: str) -> None:
    draft = filled_draft()
    before = dict(draft)
    with pytest.raises(InvalidInput) as raised:
        answer_text(field, text, draft, today=TODAY)
    assert raised.value.key == key
    assert draft == before


def test_the_longest_allowed_answers_are_taken() -> None:
    draft = answer_text(Field.CALIBER, "c" * 32, new_draft(), today=TODAY)
    assert answer_text(Field.SERIAL, "s" * 64, draft, today=TODAY)["serial_number"] == "s" * 64


def test_taps_answer_only_with_the_buttons_that_were_offered() -> None:
    draft = new_draft()
    assert answer_tap(Field.TYPE, "3", draft, editing=False)["type"] == "shotgun"
    assert answer_tap(Field.CALIBER, "5", draft, editing=False)["caliber"] == "4.5mm (.177)"
    assert (
        answer_tap(Field.SERIAL, SKIP, {**draft, "serial_number": None}, editing=False)["serial_number"]
        is None
    )
    for field, token, editing in [
        (Field.TYPE, "7", False),
        (Field.TYPE, "-1", False),
        (Field.TYPE, SKIP, False),  # a required step has no Skip
        (Field.NAME, "0", False),
        (Field.SERIAL, KEEP, False),  # Keep is for editing
        (Field.SERIAL, SKIP, True),
        (Field.SERIAL, CLEAR, True),  # nothing to clear
        (Field.CALIBER, "", False),
    ]:
        with pytest.raises(InvalidInput):
            answer_tap(field, token, draft, editing=editing)


def test_keep_and_clear_when_editing() -> None:
    draft = draft_of(weapon(notes="Night sights"))
    assert answer_tap(Field.NOTES, KEEP, draft, editing=True) == draft
    assert answer_tap(Field.NOTES, CLEAR, draft, editing=True)["notes"] is None
    assert answer_tap(Field.CALIBER, "0", draft, editing=True)["caliber"] == ".22 LR"


def test_weapon_values_turn_a_draft_into_columns() -> None:
    values = weapon_values(filled_draft())
    assert values == {
        "name": "Glock 17",
        "type": "pistol",
        "caliber": "9mm",
        "serial_number": None,
        "storage_location": None,
        "purchased_at": dt.date(2024, 3, 1),
        "notes": None,
    }
    assert weapon_values(filled_draft(), [Field.PURCHASED]) == {"purchased_at": dt.date(2024, 3, 1)}


# --- showing ----------------------------------------------------------------------------------------


def test_the_card_has_every_field_and_the_use() -> None:
    texts = dict(card(weapon(purchased_at=dt.date(2024, 3, 1)), WeaponStats(3, 150, dt.date(2026, 11, 1))))
    assert texts["weapons.card.title"] == {"name": "Glock 17"}
    assert texts["weapons.card.type"] == {"value": Label("weapons.type.pistol")}
    assert texts["weapons.card.serial"] == {"value": "GLK-0042"}
    assert texts["weapons.card.store"] == {"value": Label("weapons.card.none")}
    assert texts["weapons.card.bought"] == {"value": dt.date(2024, 3, 1)}
    assert texts["weapons.card.stats"] == {"sessions": 3, "rounds": 150}
    assert texts["weapons.card.last_used"] == {"date": dt.date(2026, 11, 1)}
    assert "weapons.card.retired" not in texts
    unused = dict(card(weapon(retired_at=TODAY, type="crossbow"), WeaponStats()))
    assert "weapons.card.unused" in unused and unused["weapons.card.retired"] == {"date": TODAY}
    assert unused["weapons.card.type"] == {"value": "crossbow"}, "a type from elsewhere is shown as it is"


def test_list_entries_never_show_the_serial_number() -> None:
    key, values = list_entry(weapon(), WeaponStats(2, 80, TODAY))
    assert key == "weapons.list.entry" and values == {"name": "Glock 17", "caliber": "9mm", "rounds": 80}
    assert list_entry(weapon(retired_at=TODAY), WeaponStats())[0] == "weapons.list.entry_retired"


def test_a_weapon_with_history_is_retired_instead_of_deleted() -> None:
    assert delete_plan(weapon(), WeaponStats()) is DeletePlan.CONFIRM
    assert delete_plan(weapon(), WeaponStats(1, 5, TODAY)) is DeletePlan.RETIRE_INSTEAD
    assert delete_plan(weapon(retired_at=TODAY), WeaponStats(1, 5, TODAY)) is DeletePlan.ALREADY_RETIRED


# --- storage ----------------------------------------------------------------------------------------


async def _users(db: Database) -> None:
    async with db.session() as session:
        session.add_all([User(id=1), User(id=2)])


async def _entries(db: Database, user_id: int, day: dt.date, entries: list[tuple[int, int]]) -> None:
    async with db.session() as session:
        shooting = ShootingSession(user_id=user_id, date=day)
        session.add(shooting)
        await session.flush()
        session.add_all(
            SessionWeaponEntry(
                session_id=shooting.id,
                weapon_id=weapon_id,
                distance_m=25,
                shot_count=shots,
                ammo_caliber="9mm",
            )
            for weapon_id, shots in entries
        )


async def test_stats_for_all_weapons_come_from_one_query(db: Database) -> None:
    await _users(db)
    async with db.session() as session:
        a = (await create_weapon(session, 1, name="A", type="pistol", caliber="9mm")).id
        b = (await create_weapon(session, 1, name="B", type="rifle", caliber=".22 LR")).id
        c = (await create_weapon(session, 1, name="C", type="rifle", caliber=".22 LR")).id
    await _entries(db, 1, dt.date(2026, 1, 5), [(a, 10), (a, 20), (b, 5)])
    await _entries(db, 1, dt.date(2026, 3, 9), [(a, 30)])

    statements: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    async with db.session() as session:
        stats = await weapon_stats(session, 1)
    assert len([sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]) == 1
    assert stats == {a: WeaponStats(2, 60, dt.date(2026, 3, 9)), b: WeaponStats(1, 5, dt.date(2026, 1, 5))}
    assert c not in stats
    async with db.session() as session:
        assert await weapon_stats(session, 1, [b]) == {b: WeaponStats(1, 5, dt.date(2026, 1, 5))}
        assert await weapon_stats(session, 2) == {}


async def test_weapon_queries_keep_to_their_user(db: Database) -> None:
    await _users(db)
    async with db.session() as session:
        weapon_id = (await create_weapon(session, 1, name="A", type="pistol", caliber="9mm")).id
    async with db.session() as session:
        assert await get_weapon(session, 2, weapon_id) is None
        assert await update_weapon(session, 2, weapon_id, name="Stolen") is None
        assert await set_retired(session, 2, weapon_id, TODAY) is None
        assert await delete_weapon(session, 2, weapon_id) is DeleteOutcome.MISSING
        assert await list_weapons(session, 2, include_retired=True) == []
        with pytest.raises(ValueError, match="retired_at"):  # only the form's columns
            await update_weapon(session, 1, weapon_id, retired_at=TODAY)
    async with db.session() as session:
        row = await get_weapon(session, 1, weapon_id)
        assert (row.name, row.retired_at) == ("A", None)


async def test_retiring_hides_a_weapon_from_the_default_list(db: Database) -> None:
    await _users(db)
    async with db.session() as session:
        weapon_id = (await create_weapon(session, 1, name="A", type="pistol", caliber="9mm")).id
        await set_retired(session, 1, weapon_id, TODAY)
    async with db.session() as session:
        assert await list_weapons(session, 1) == []
        assert [w.id for w in await list_weapons(session, 1, include_retired=True)] == [weapon_id]
        await set_retired(session, 1, weapon_id, None)
    async with db.session() as session:
        assert [w.id for w in await list_weapons(session, 1)] == [weapon_id]


async def test_delete_keeps_a_weapon_with_history_and_removes_one_without(db: Database) -> None:
    await _users(db)
    async with db.session() as session:
        used = (await create_weapon(session, 1, name="Used", type="pistol", caliber="9mm")).id
        unused = (await create_weapon(session, 1, name="Unused", type="pistol", caliber="9mm")).id
        session.add(
            Attachment(
                user_id=1,
                attachable_type=AttachableType.WEAPON,
                attachable_id=unused,
                path="attachments/x.jpg",
                mime="image/jpeg",
                size=1,
                sha256="0" * 64,
            )
        )
    await _entries(db, 1, TODAY, [(used, 10)])
    async with db.session() as session:
        assert await delete_weapon(session, 1, used) is DeleteOutcome.HAS_HISTORY
        assert await delete_weapon(session, 1, unused) is DeleteOutcome.DELETED
    async with db.session() as session:
        assert [w.id for w in await list_weapons(session, 1)] == [used]
        assert list(await session.scalars(select(Attachment))) == []


async def test_the_use_cases_refuse_another_users_weapon_like_a_missing_one(
    db: Database, data_dir: Path
) -> None:
    await _users(db)
    uow = UnitOfWork(db)
    made = await weapons.save_new(uow, 1, filled_draft())
    assert (made.name, made.retired, made.delete_plan) == ("Glock 17", False, DeletePlan.CONFIRM)
    for refused in (
        weapons.weapon_card(uow, 2, made.id),
        weapons.weapon_draft(uow, 2, made.id),
        weapons.retire(uow, 2, made.id, TODAY),
        weapons.reactivate(uow, 2, made.id),
        weapons.delete(uow, 2, made.id, data_dir=data_dir),
        weapons.save_field(uow, 2, made.id, {**filled_draft(), "name": "Stolen"}, Field.NAME),
    ):
        assert await refused is None
    assert (await weapons.register(uow, 2)).empty
    assert await weapons.weapon_card(uow, 1, made.id) == made, "nothing of it changed"
    retired = await weapons.retire(uow, 1, made.id, TODAY)
    assert retired is not None and retired.retired
    assert [line.id for line in (await weapons.register(uow, 1)).retired] == [made.id]
    assert await weapons.delete(uow, 1, made.id, data_dir=data_dir) == weapons.Deleted("Glock 17")
