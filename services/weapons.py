"""The weapons register without a chat: weapon types, common calibers, the weapon form and the card, and
the use cases (the register, a card, retiring, deleting, saving the form), each scoped to its user: another
user's weapon is refused exactly like a missing one.

The form is a fixed list of steps. Each function here takes and returns plain data (a draft is a
JSON-ready dict keyed by column), and texts are `(catalog key, values)` pairs, so any transport can ask
the same questions and show the same card; the chat layer only turns choices into buttons.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.attachments import forget_files
from services.texts import Label, Text
from services.unit_of_work import UnitOfWork
from services.validation import InvalidInput, parse_date, parse_name, parse_note
from storage import attachments
from storage import weapons as store
from storage.models import AttachableType, Weapon
from storage.weapons import DeleteOutcome, WeaponStats

WEAPON_TYPES = ("pistol", "revolver", "rifle", "shotgun", "air_pistol", "air_rifle", "other")
COMMON_CALIBERS = (
    ".22 LR",
    "9mm",
    ".45 ACP",
    ".357 Mag",
    ".38 Special",
    "4.5mm (.177)",
    ".308 Win",
    "12 gauge",
)
MAX_CALIBER_LENGTH = 32
MAX_SERIAL_LENGTH = 64

# Tokens of the control buttons; a choice's token is its index in the step's choices.
SKIP, KEEP, CLEAR = "skip", "keep", "clear"


class Field(enum.StrEnum):
    """The form's steps; the values are short because they travel in callback data."""

    NAME = "name"
    TYPE = "type"
    CALIBER = "cal"
    SERIAL = "serial"
    STORAGE = "store"
    PURCHASED = "bought"
    NOTES = "notes"


@dataclass(frozen=True)
class Step:
    field: Field
    column: str
    optional: bool = False
    choices: tuple[str, ...] = ()  # values offered as buttons
    label_prefix: str | None = None  # catalog key prefix of the choices' labels; None: the value is the label
    typed: bool = True  # whether a typed answer is accepted
    repeat_current: bool = True  # whether editing repeats the current value (never a serial number)


STEPS: tuple[Step, ...] = (
    Step(Field.NAME, "name"),
    Step(Field.TYPE, "type", choices=WEAPON_TYPES, label_prefix="weapons.type.", typed=False),
    Step(Field.CALIBER, "caliber", choices=COMMON_CALIBERS),
    Step(Field.SERIAL, "serial_number", optional=True, repeat_current=False),
    Step(Field.STORAGE, "storage_location", optional=True),
    Step(Field.PURCHASED, "purchased_at", optional=True),
    Step(Field.NOTES, "notes", optional=True),
)
_STEPS = {step.field: step for step in STEPS}
FIELDS: tuple[Field, ...] = tuple(step.field for step in STEPS)


@dataclass(frozen=True)
class Choice:
    """A button: `token` is what tapping it answers; its label is `label` itself or the text `label_key`."""

    token: str
    label_key: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Question:
    field: Field
    texts: tuple[Text, ...]
    choices: tuple[Choice, ...]  # the step's own options
    controls: tuple[Choice, ...]  # skip / keep / clear


def step_of(field: Field | str) -> Step:
    return _STEPS[Field(field)]


def new_draft() -> dict[str, Any]:
    return {step.column: None for step in STEPS}


def draft_of(weapon: Weapon) -> dict[str, Any]:
    """A weapon's current values as a draft, for editing it."""
    draft = {step.column: getattr(weapon, step.column) for step in STEPS}
    return _stored(draft)


def _stored(draft: dict[str, Any]) -> dict[str, Any]:
    purchased = draft.get("purchased_at")
    return {**draft, "purchased_at": purchased.isoformat() if isinstance(purchased, dt.date) else purchased}


def weapon_values(draft: dict[str, Any], fields: Iterable[Field] = FIELDS) -> dict[str, Any]:
    """Column values for storage from a draft (all of them, or those of `fields`)."""
    values = {step_of(field).column: draft.get(step_of(field).column) for field in fields}
    if isinstance(purchased := values.get("purchased_at"), str):
        values["purchased_at"] = dt.date.fromisoformat(purchased)
    return values


def _shown(step: Step, value: Any) -> Any:
    """A draft value as it reads: a type's label, a date, or the text itself."""
    if value is None:
        return Label("weapons.card.none")
    if step.label_prefix and value in step.choices:
        return Label(f"{step.label_prefix}{value}")
    if step.column == "purchased_at" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


def question(field: Field, draft: dict[str, Any], *, editing: bool) -> Question:
    """What to ask at `field`: the texts, the options as buttons, and the controls (skip, keep, clear)."""
    step = step_of(field)
    current = draft.get(step.column)
    if editing:
        header: Text = (
            ("weapons.form.current", {"name": draft["name"], "value": _shown(step, current)})
            if step.repeat_current
            else ("weapons.form.editing", {"name": draft["name"]})
        )
        controls = [Choice(KEEP, "weapons.form.keep")]
        if step.optional and current is not None:
            controls.append(Choice(CLEAR, "weapons.form.clear"))
    else:
        header = ("weapons.form.progress", {"step": FIELDS.index(field) + 1, "total": len(FIELDS)})
        controls = [Choice(SKIP, "weapons.form.skip")] if step.optional else []
    choices = tuple(
        Choice(str(index), label_key=f"{step.label_prefix}{value}")
        if step.label_prefix
        else Choice(str(index), label=value)
        for index, value in enumerate(step.choices)
    )
    return Question(field, (header, (f"weapons.form.ask_{field}", {})), choices, tuple(controls))


def _read(step: Step, text: str, today: dt.date) -> Any:
    if not step.typed:
        raise InvalidInput("weapons.form.use_buttons")
    if step.field is Field.CALIBER:
        return parse_name(text, maximum=MAX_CALIBER_LENGTH)
    if step.field is Field.SERIAL:
        return parse_name(text, maximum=MAX_SERIAL_LENGTH)
    if step.field is Field.PURCHASED:
        return parse_date(text, today)
    if step.field is Field.NOTES:
        return parse_note(text)
    return parse_name(text)


def answer_text(field: Field, text: str, draft: dict[str, Any], *, today: dt.date) -> dict[str, Any]:
    """The draft with a typed answer; raises `InvalidInput` (the draft unchanged) if it can't be used."""
    step = step_of(field)
    return _stored({**draft, step.column: _read(step, text, today)})


def answer_tap(field: Field, token: str, draft: dict[str, Any], *, editing: bool) -> dict[str, Any]:
    """The draft with a tapped answer; a token that this question did not offer raises `InvalidInput`."""
    asked = question(field, draft, editing=editing)
    if token not in {choice.token for choice in (*asked.choices, *asked.controls)}:
        raise InvalidInput("common.expired_button")
    step = step_of(field)
    if token == KEEP:
        return draft
    value = None if token in (SKIP, CLEAR) else step.choices[int(token)]
    return {**draft, step.column: value}


def next_field(field: Field, *, editing: bool) -> Field | None:
    """The step after `field`; None when the form is done (editing changes one field at a time)."""
    position = FIELDS.index(field) + 1
    return None if editing or position == len(FIELDS) else FIELDS[position]


# --- showing weapons --------------------------------------------------------------------------------


def list_entry(weapon: Weapon, stats: WeaponStats) -> Text:
    """A weapon's line in lists: name, caliber and rounds fired. Never the serial number."""
    key = "weapons.list.entry_retired" if weapon.retired_at else "weapons.list.entry"
    return key, {"name": weapon.name, "caliber": weapon.caliber, "rounds": stats.rounds}


def split_retired(weapons: Iterable[Weapon]) -> tuple[list[Weapon], list[Weapon]]:
    """(weapons in use, retired ones), each in the given order."""
    weapons = list(weapons)
    return [w for w in weapons if w.retired_at is None], [w for w in weapons if w.retired_at is not None]


def card(weapon: Weapon, stats: WeaponStats) -> list[Text]:
    """The weapon card: everything about it, with its use (sessions, rounds fired, last day used)."""
    draft = draft_of(weapon)
    texts: list[Text] = [("weapons.card.title", {"name": weapon.name})]
    if weapon.retired_at:
        texts.append(("weapons.card.retired", {"date": weapon.retired_at}))
    texts += [
        (f"weapons.card.{step.field}", {"value": _shown(step, draft[step.column])})
        for step in STEPS
        if step.field is not Field.NAME
    ]
    if stats.sessions:
        texts.append(("weapons.card.stats", {"sessions": stats.sessions, "rounds": stats.rounds}))
        texts.append(("weapons.card.last_used", {"date": stats.last_used}))
    else:
        texts.append(("weapons.card.unused", {}))
    return texts


class DeletePlan(enum.StrEnum):
    CONFIRM = "confirm"  # no history: delete after a confirmation
    RETIRE_INSTEAD = "retire_instead"  # history: offer to retire it, so exports keep it
    ALREADY_RETIRED = "already_retired"  # history and already retired: nothing more to do


def delete_plan(weapon: Weapon, stats: WeaponStats) -> DeletePlan:
    if not stats.sessions:
        return DeletePlan.CONFIRM
    return DeletePlan.ALREADY_RETIRED if weapon.retired_at else DeletePlan.RETIRE_INSTEAD


def delete_question(weapon: Weapon, stats: WeaponStats) -> Text:
    plan = delete_plan(weapon, stats)
    return f"weapons.delete.{plan}", {"name": weapon.name, "sessions": stats.sessions}


# --- the use cases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeaponLine:
    """A weapon's button in the register."""

    id: int
    text: Text


@dataclass(frozen=True)
class Register:
    """The user's weapons, those in use and the retired ones, each by name; `empty`: none at all."""

    active: tuple[WeaponLine, ...]
    retired: tuple[WeaponLine, ...]

    @property
    def empty(self) -> bool:
        return not self.active and not self.retired


@dataclass(frozen=True)
class WeaponCard:
    """What the card and its buttons need: the texts, whether it is retired, and what Delete would do."""

    id: int
    name: str
    retired: bool
    texts: tuple[Text, ...]
    delete_plan: DeletePlan
    delete_question: Text


@dataclass(frozen=True)
class Deleted:
    name: str


def _card_of(weapon: Weapon, stats: WeaponStats) -> WeaponCard:
    return WeaponCard(
        id=weapon.id,
        name=weapon.name,
        retired=weapon.retired_at is not None,
        texts=tuple(card(weapon, stats)),
        delete_plan=delete_plan(weapon, stats),
        delete_question=delete_question(weapon, stats),
    )


async def _stats_of(session: AsyncSession, user_id: int, weapon_id: int) -> WeaponStats:
    return (await store.weapon_stats(session, user_id, [weapon_id])).get(weapon_id, WeaponStats())


async def register(uow: UnitOfWork, user_id: int) -> Register:
    """Every weapon of the user with its line (name, caliber, rounds fired), retired ones apart."""
    async with uow.transaction() as session:
        weapons = await store.list_weapons(session, user_id, include_retired=True)
        stats = await store.weapon_stats(session, user_id)
    active, retired = split_retired(weapons)

    def lines(group: list[Weapon]) -> tuple[WeaponLine, ...]:
        return tuple(WeaponLine(w.id, list_entry(w, stats.get(w.id, WeaponStats()))) for w in group)

    return Register(lines(active), lines(retired))


async def weapon_card(uow: UnitOfWork, user_id: int, weapon_id: int) -> WeaponCard | None:
    """The user's weapon as its card; None when they have no such weapon."""
    async with uow.transaction() as session:
        weapon = await store.get_weapon(session, user_id, weapon_id)
        if weapon is None:
            return None
        return _card_of(weapon, await _stats_of(session, user_id, weapon_id))


async def retire(uow: UnitOfWork, user_id: int, weapon_id: int, today: dt.date) -> WeaponCard | None:
    """Retire the weapon as of `today` (the user's day); one that is retired already keeps its date."""
    async with uow.transaction() as session:
        weapon = await store.get_weapon(session, user_id, weapon_id)
        if weapon is not None and weapon.retired_at is None:
            await store.set_retired(session, user_id, weapon_id, today)
    return await weapon_card(uow, user_id, weapon_id)


async def reactivate(uow: UnitOfWork, user_id: int, weapon_id: int) -> WeaponCard | None:
    async with uow.transaction() as session:
        await store.set_retired(session, user_id, weapon_id, None)
    return await weapon_card(uow, user_id, weapon_id)


async def delete(
    uow: UnitOfWork, user_id: int, weapon_id: int, *, data_dir: Path
) -> Deleted | WeaponCard | None:
    """Delete a weapon no session mentions (with its attachment rows, and the files no other row
    references). One that got a session since the question is kept, and its card (which now offers to
    retire it) returned; None if there is no such weapon."""
    async with uow.transaction() as session:
        weapon = await store.get_weapon(session, user_id, weapon_id)
        name = weapon.name if weapon is not None else ""
        files = await attachments.list_attachments(session, user_id, AttachableType.WEAPON, weapon_id)
        paths = {file.path for file in files}
        outcome = await store.delete_weapon(session, user_id, weapon_id)
    if outcome is DeleteOutcome.MISSING:
        return None
    if outcome is DeleteOutcome.HAS_HISTORY:
        return await weapon_card(uow, user_id, weapon_id)
    await forget_files(uow, data_dir, paths)
    return Deleted(name)


async def weapon_draft(uow: UnitOfWork, user_id: int, weapon_id: int) -> dict[str, Any] | None:
    """The weapon's current values as a form draft, for editing one of them; None if not the user's."""
    async with uow.transaction() as session:
        weapon = await store.get_weapon(session, user_id, weapon_id)
        return None if weapon is None else draft_of(weapon)


async def save_new(uow: UnitOfWork, user_id: int, draft: dict[str, Any]) -> WeaponCard:
    """Store the completed form as the user's new weapon."""
    async with uow.transaction() as session:
        weapon = await store.create_weapon(session, user_id, **weapon_values(draft))
        return _card_of(weapon, WeaponStats())


async def save_field(
    uow: UnitOfWork, user_id: int, weapon_id: int, draft: dict[str, Any], field: Field
) -> WeaponCard | None:
    """Store one edited field of the user's weapon; None when it is gone (deleted while being edited)."""
    async with uow.transaction() as session:
        weapon = await store.update_weapon(session, user_id, weapon_id, **weapon_values(draft, [field]))
        if weapon is None:
            return None
        return _card_of(weapon, await _stats_of(session, user_id, weapon_id))
